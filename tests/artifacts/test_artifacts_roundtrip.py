"""Container -> S3 -> container, through Docker's archive API and a real S3 server."""

from __future__ import annotations

import io
import tarfile

import pytest
from artifacts_helpers import run, sh

from localflow.artifacts import archive as arc
from localflow.artifacts.repository import ArtifactNotFound, S3Repository
from localflow.artifacts.transfer import (
    download,
    load_input,
    output_key,
    save_local_path,
    save_output,
)

pytestmark = [pytest.mark.docker, pytest.mark.s3]

MAKE_OUTPUTS = """
mkdir -p /out/tree/sub /out/empty
printf 'hello world\\n' > /out/hello.txt
printf 'A' > /out/tree/a.txt
printf 'B' > /out/tree/sub/b.txt
ln -s a.txt /out/tree/link
ln /out/tree/sub/b.txt /out/tree/hard
"""


@pytest.fixture
def producer(make_container):  # type: ignore[no-untyped-def]
    container = make_container()
    sh(container, MAKE_OUTPUTS)
    return container


def put(container, docker_tar: arc.DockerTar) -> None:  # type: ignore[no-untyped-def]
    with docker_tar:
        assert container.put_archive(docker_tar.put_path, docker_tar.fileobj)


def test_output_keys_follow_argo() -> None:
    assert output_key("wf-abc/wf-abc-123", "hello-art", "/tmp/hello.txt") == "wf-abc/wf-abc-123/hello-art.tgz"
    assert output_key("wf/pod", "hello-art", "/tmp/hello.txt", "none") == "wf/pod/hello.txt"
    assert output_key("wf/pod", "etc", "/etc/", "none") == "wf/pod/etc"


@pytest.mark.parametrize("archive", ["tar", "none"])
def test_file_round_trip(producer, make_container, repo: S3Repository, archive: str) -> None:  # type: ignore[no-untyped-def]
    chunks, _ = producer.get_archive("/out/hello.txt")
    saved = save_output(chunks, repo, "wf/wf-pod-a", "hello-art", "/out/hello.txt", archive=archive)
    assert saved.kind == "file" and saved.objects == 1
    assert saved.key == ("wf/wf-pod-a/hello-art.tgz" if archive == "tar" else "wf/wf-pod-a/hello.txt")
    if archive == "none":
        assert repo.stat(saved.key)[0] == len("hello world\n")
    consumer = make_container()
    put(consumer, load_input(repo, saved.key, "/tmp/inputs/deep/message"))  # parent does not exist
    assert run(consumer, "cat", "/tmp/inputs/deep/message") == "hello world\n"
    put(consumer, load_input(repo, saved.key, "/bin/tool", mode=0o755))
    assert run(consumer, "stat", "-c", "%a", "/bin/tool").strip() == "755"


@pytest.mark.parametrize("archive", ["tar", "none"])
def test_directory_round_trip(producer, make_container, repo: S3Repository, archive: str) -> None:  # type: ignore[no-untyped-def]
    chunks, _ = producer.get_archive("/out/tree")
    saved = save_output(chunks, repo, "wf/wf-pod-a", "tree", "/out/tree", archive=archive, compression_level=1)
    assert saved.kind == "dir"
    if archive == "none":  # one object per regular file under the key, symlinks skipped (Argo)
        keys = [o.key.rsplit("/tree/", 1)[1] for o in repo.list_objects(saved.key + "/")]
        assert keys == ["a.txt", "hard", "sub/b.txt"]
    consumer = make_container()
    put(consumer, load_input(repo, saved.key, "/src", mode=0o750))
    listing = sh(consumer, "cd /src && find . | sort && cat a.txt sub/b.txt hard && echo && stat -c %a /src")
    expected = ["./a.txt", "./hard", "./link", "./sub", "./sub/b.txt"]
    if archive == "none":
        expected.remove("./link")
    assert listing.split() == [".", *expected, "ABB", "750"]
    if archive == "tar":
        assert run(consumer, "cat", "/src/link") == "A"


def test_subpath_and_missing(producer, make_container, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    chunks, _ = producer.get_archive("/out/tree")
    saved = save_output(chunks, repo, "wf/pod", "tree", "/out/tree", archive="none")
    consumer = make_container()
    put(consumer, load_input(repo, f"{saved.key}/sub/b.txt", "/tmp/b"))  # Argo's subPath: key + "/" + subPath
    assert run(consumer, "cat", "/tmp/b") == "B"
    with pytest.raises(ArtifactNotFound):
        load_input(repo, "wf/pod/absent.tgz", "/tmp/x")


def test_empty_directory_with_tar(producer, make_container, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    chunks, _ = producer.get_archive("/out/empty")
    saved = save_output(chunks, repo, "wf/pod", "empty", "/out/empty")
    consumer = make_container()
    put(consumer, load_input(repo, saved.key, "/tmp/e"))
    assert sh(consumer, "test -d /tmp/e && ls -A /tmp/e | wc -l || echo missing") .strip() == "0"


def test_raw_local_and_download(make_container, repo: S3Repository, tmp_path) -> None:  # type: ignore[no-untyped-def]
    consumer = make_container()
    put(consumer, arc.raw_to_docker_tar("raw data\n", "/tmp/raw/file.txt", mode=0o600))
    assert run(consumer, "cat", "/tmp/raw/file.txt") == "raw data\n"
    assert run(consumer, "stat", "-c", "%a", "/tmp/raw/file.txt").strip() == "600"
    (tmp_path / "local" / "sub").mkdir(parents=True)
    (tmp_path / "local" / "sub" / "x.txt").write_text("X")
    put(consumer, arc.local_path_to_docker_tar(tmp_path / "local", "/tmp/local"))
    assert run(consumer, "cat", "/tmp/local/sub/x.txt") == "X"
    saved = save_local_path(repo, "cli/input.tgz", str(tmp_path / "local"))
    assert saved.kind == "dir"
    put(consumer, load_input(repo, saved.key, "/tmp/from-s3"))
    assert run(consumer, "cat", "/tmp/from-s3/sub/x.txt") == "X"
    assert (tmp_path / "dl").exists() is False
    download(repo, saved.key, str(tmp_path / "dl"))
    assert (tmp_path / "dl" / "sub" / "x.txt").read_text() == "X"


def test_stored_tar_is_argo_compatible(producer, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    chunks, _ = producer.get_archive("/out/tree")
    saved = save_output(chunks, repo, "wf/pod", "tree", "/out/tree")
    with repo.open(saved.key) as stream, tarfile.open(fileobj=io.BytesIO(stream.read()), mode="r:gz") as tar:
        names = sorted(tar.getnames())
    assert names == ["tree", "tree/a.txt", "tree/hard", "tree/link", "tree/sub", "tree/sub/b.txt"]
