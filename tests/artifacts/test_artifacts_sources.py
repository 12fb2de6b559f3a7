"""Input sources: http (a local http.server), git (a local bare repository), s3."""

from __future__ import annotations

import http.server
import io
import os
import stat
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localflow.artifacts import archive as arc
from localflow.artifacts import sources
from localflow.artifacts.repository import ArtifactNotFound, S3Repository
from localflow.errors import ArtifactError


# -- http ------------------------------------------------------------------------------------
@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path, list[dict[str, str]]]]:
    """Serve tmp_path/www on 127.0.0.1; yields (base url, directory, received headers)."""
    root = tmp_path / "www"
    root.mkdir()
    received: list[dict[str, str]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            received.append(dict(self.headers))
            super().do_GET()

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, received
    server.shutdown()
    server.server_close()


def test_fetch_http_streams_to_a_file(http_root, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, root, received = http_root
    payload = os.urandom(3 * 1024 * 1024 + 7)
    (root / "kubectl").write_bytes(payload)
    n = sources.fetch_http(f"{base}/kubectl", [{"name": "X-Token", "value": "t0k"}], tmp_path / "dl" / "kubectl")
    assert n == len(payload) and (tmp_path / "dl" / "kubectl").read_bytes() == payload
    assert received[-1]["X-Token"] == "t0k"
    buf = io.BytesIO()
    sources.fetch_http(f"{base}/kubectl", {"Accept": "*/*"}, buf)
    assert buf.getvalue() == payload
    with pytest.raises(ArtifactNotFound, match="404"):
        sources.fetch_http(f"{base}/missing", None, tmp_path / "missing")
    with pytest.raises(ArtifactError, match="127.0.0.1:1"):
        sources.fetch_http("http://127.0.0.1:1/x", None, tmp_path / "x", timeout=2)


def test_http_tgz_is_unpacked_like_argo(http_root, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, root, _ = http_root
    with tarfile.open(root / "bundle.tgz", mode="w:gz") as tar:
        info = tarfile.TarInfo("bundle/readme")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with arc.spooled() as tmp:
        sources.fetch_http(f"{base}/bundle.tgz", None, tmp)
        docker_tar = arc.stored_to_docker_tar(tmp, "/opt/bundle")
    with docker_tar, tarfile.open(fileobj=docker_tar.fileobj) as tar:
        assert tar.getnames() == ["opt/bundle/readme"]


# -- git -------------------------------------------------------------------------------------
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def bare_repo(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """file:// URL of a bare repo: main (2 commits), branch feature, tag v1; and their SHAs."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "f.txt").write_text("one\n")
    git(work, "add", "f.txt")
    git(work, "commit", "-q", "-m", "one")
    first = git(work, "rev-parse", "HEAD")
    git(work, "tag", "v1")
    (work / "f.txt").write_text("two\n")
    git(work, "commit", "-q", "-am", "two")
    git(work, "checkout", "-q", "-b", "feature")
    (work / "f.txt").write_text("feature\n")
    git(work, "commit", "-q", "-am", "feature")
    feature = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "-q", "main")
    git(tmp_path, "clone", "-q", "--bare", str(work), str(tmp_path / "repo.git"))
    return f"file://{tmp_path / 'repo.git'}", {"first": first, "feature": feature}


def test_fetch_git_default_branch_revision_and_tag(bare_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, shas = bare_repo
    sources.fetch_git(url, tmp_path / "c1")
    assert (tmp_path / "c1" / "f.txt").read_text() == "two\n"
    assert sources.fetch_git(url, tmp_path / "c2", revision="feature") == shas["feature"]
    assert (tmp_path / "c2" / "f.txt").read_text() == "feature\n"
    assert sources.fetch_git(url, tmp_path / "c3", revision=shas["first"]) == shas["first"]
    assert sources.fetch_git(url, tmp_path / "c4", revision="v1") == shas["first"]
    with pytest.raises(ArtifactError, match="git .*nope"):
        sources.fetch_git(url, tmp_path / "c5", revision="nope")


def test_fetch_git_shallow_single_branch_and_refspecs(bare_repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, shas = bare_repo
    sources.fetch_git(url, tmp_path / "s", depth=1)
    assert git(tmp_path / "s", "rev-list", "--count", "HEAD") == "1"
    assert sources.fetch_git(url, tmp_path / "b", single_branch=True, branch="feature",
                             revision="feature") == shas["feature"]
    assert git(tmp_path / "b", "branch", "-r").split() == ["origin/feature"]
    sources.fetch_git(url, tmp_path / "r", fetch=["+refs/tags/*:refs/tags/*"])
    assert git(tmp_path / "r", "tag") == "v1"
    with pytest.raises(ArtifactError, match="singleBranch"):
        sources.fetch_git(url, tmp_path / "x", single_branch=True)


def test_git_ssh_key_is_a_private_temp_file_removed_after() -> None:
    with sources._git_env(None, None, "-----KEY-----", insecure_ignore_host_key=True) as env:
        command = env["GIT_SSH_COMMAND"]
        key_path = command.split(" -i ", 1)[1].split(" ", 1)[0]
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
        assert Path(key_path).read_text() == "-----KEY-----\n"
        assert "StrictHostKeyChecking=no" in command
    assert not os.path.exists(key_path)


def test_git_password_goes_through_askpass_not_the_url() -> None:
    with sources._git_env("user", "s3cret", None, False) as env:
        answer = subprocess.run([env["GIT_ASKPASS"], "Password for 'https://host': "], env={**os.environ, **env},
                                capture_output=True, text=True, check=True).stdout
        assert answer == "s3cret\n"
        askpass = env["GIT_ASKPASS"]
    assert not os.path.exists(askpass)


# -- s3 --------------------------------------------------------------------------------------
@pytest.mark.s3
def test_fetch_s3_file_and_directory(repo: S3Repository, s3_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo.put_stream("path/in/bucket/a.txt", io.BytesIO(b"A"), 1)
    repo.put_stream("path/in/bucket/sub/b.txt", io.BytesIO(b"B"), 1)
    args = (s3_server.endpoint, repo.bucket)
    creds = (s3_server.access_key, s3_server.secret_key)
    assert sources.fetch_s3(*args, "path/in/bucket/a.txt", *creds, insecure=True, dest=tmp_path / "a") == "file"
    assert (tmp_path / "a").read_text() == "A"
    assert sources.fetch_s3(*args, "path/in/bucket", *creds, insecure=True, dest=tmp_path / "d") == "dir"
    assert (tmp_path / "d" / "a.txt").read_text() == "A" and (tmp_path / "d" / "sub" / "b.txt").read_text() == "B"
    with pytest.raises(ArtifactNotFound):
        sources.fetch_s3(*args, "path/none", *creds, insecure=True, dest=tmp_path / "n")
