"""Input artifact sources fetched to the local disk: http, git and s3.

To put what they fetch into a container, use archive.stored_to_docker_tar for a file (it
detects a gzipped tar as Argo does, so an http `.tgz` is unpacked) and
archive.local_path_to_docker_tar for a directory (a git checkout, an s3 'directory').
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shlex
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import BinaryIO

import git
import requests

from localflow.artifacts.archive import COPY_CHUNK
from localflow.artifacts.repository import ArtifactNotFound, S3Repository
from localflow.errors import ArtifactError

Headers = Mapping[str, str] | Sequence[Mapping[str, str]]


# -- http ----------------------------------------------------------------------------------
def _header_dict(headers: Headers | None) -> dict[str, str]:
    if not headers:
        return {}
    if isinstance(headers, Mapping):
        return {str(k): str(v) for k, v in headers.items()}
    return {str(h["name"]): str(h.get("value", "")) for h in headers}  # Argo: [{name, value}]


def fetch_http(
    url: str,
    headers: Headers | None,
    dest_file: str | os.PathLike[str] | BinaryIO,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 60.0,
) -> int:
    """GET `url` into `dest_file` (a path or a binary file), streaming; returns the byte count."""
    auth = (username or "", password or "") if username or password else None
    try:
        with requests.get(url, headers=_header_dict(headers), auth=auth, stream=True, timeout=timeout) as resp:
            if resp.status_code == 404:
                raise ArtifactNotFound(f"GET {url}: 404 Not Found")
            if resp.status_code >= 400:
                raise ArtifactError(f"GET {url}: {resp.status_code} {resp.reason}")
            expected = resp.headers.get("Content-Length")
            with _open_dest(dest_file) as out:
                total = 0
                for chunk in resp.iter_content(chunk_size=COPY_CHUNK):
                    out.write(chunk)
                    total += len(chunk)
    except requests.RequestException as exc:
        raise ArtifactError(f"GET {url} failed: {' '.join(str(exc).split())}") from exc
    if expected is not None and expected.isdigit() and "Content-Encoding" not in resp.headers \
            and int(expected) != total:
        raise ArtifactError(f"GET {url}: received {total} bytes, Content-Length said {expected}")
    return total


@contextlib.contextmanager
def _open_dest(dest: str | os.PathLike[str] | BinaryIO) -> Iterator[BinaryIO]:
    if hasattr(dest, "write"):
        yield dest  # type: ignore[misc]
        return
    path = os.fspath(dest)  # type: ignore[arg-type]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        yield f


# -- git -----------------------------------------------------------------------------------
@contextlib.contextmanager
def _git_env(
    username: str | None, password: str | None, ssh_private_key: str | None, insecure_ignore_host_key: bool
) -> Iterator[dict[str, str]]:
    """Environment for git: never prompts; credentials through files removed afterwards."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    with tempfile.TemporaryDirectory(prefix="localflow-git-") as tmp:
        if ssh_private_key:
            key_path = os.path.join(tmp, "id_key")
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(ssh_private_key if ssh_private_key.endswith("\n") else ssh_private_key + "\n")
            ssh = f"ssh -i {shlex.quote(key_path)} -o IdentitiesOnly=yes -o BatchMode=yes"
            if insecure_ignore_host_key:
                ssh += " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            env["GIT_SSH_COMMAND"] = ssh
        if username or password:
            askpass = os.path.join(tmp, "askpass.sh")
            with open(askpass, "w") as f:
                f.write('#!/bin/sh\ncase "$1" in\n  Username*) printf "%s\\n" "$LOCALFLOW_GIT_USERNAME" ;;\n'
                        '  *) printf "%s\\n" "$LOCALFLOW_GIT_PASSWORD" ;;\nesac\n')
            os.chmod(askpass, stat.S_IRWXU)
            env.update(GIT_ASKPASS=askpass, LOCALFLOW_GIT_USERNAME=username or "",
                       LOCALFLOW_GIT_PASSWORD=password or "")
        yield env


def fetch_git(
    repo: str,
    dest_dir: str | os.PathLike[str],
    *,
    revision: str | None = None,
    depth: int | None = None,
    fetch: Sequence[str] = (),
    single_branch: bool = False,
    branch: str | None = None,
    username: str | None = None,
    password: str | None = None,
    ssh_private_key: str | None = None,
    insecure_ignore_host_key: bool = False,
    disable_submodules: bool = False,
) -> str:
    """Clone `repo` into `dest_dir` and check out `revision` as Argo's git driver does.

    Returns the checked-out commit (empty string for an empty repository).
    """
    if single_branch and not branch:
        raise ArtifactError(f"git {repo}: singleBranch needs a branch")
    dest = os.fspath(dest_dir)
    depth_args = [f"--depth={depth}"] if depth and depth > 0 else []
    clone_args = [*depth_args, "--single-branch" if single_branch else "--no-single-branch"]
    if single_branch:
        clone_args += ["--branch", str(branch)]
    try:
        with _git_env(username, password, ssh_private_key, insecure_ignore_host_key) as env:
            g = git.Git()
            g.update_environment(**env)
            g.clone(*clone_args, "--", repo, dest)
            r = git.Repo(dest)
            r.git.update_environment(**env)
            if not r.git.for_each_ref("refs/remotes", "refs/heads", count=1):
                return ""  # an empty repository: nothing to check out
            if fetch:
                r.git.fetch(*depth_args, "origin", *fetch)
            if revision:
                refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}" if single_branch \
                    else "+refs/heads/*:refs/remotes/origin/*"
                r.git.fetch(*depth_args, "origin", refspec)
                sha = _resolve(r, revision, depth_args)
                r.git.checkout("--quiet", "--detach", sha)
            if not disable_submodules and os.path.exists(os.path.join(dest, ".gitmodules")):
                r.git.submodule("update", "--init", "--recursive")
            return r.head.commit.hexsha
    except git.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc).split()).replace("stderr: ", "")
        raise ArtifactError(f"git {repo}: {' '.join(exc.command[1:3])} failed: {detail[-300:]}") from exc


def _resolve(r: git.Repo, revision: str, depth_args: list[str]) -> str:
    for candidate in (revision, f"origin/{revision}"):
        with contextlib.suppress(git.GitCommandError):
            return r.git.rev_parse("--verify", "--quiet", f"{candidate}^{{commit}}")
    r.git.fetch(*depth_args, "origin", revision)  # a commit or ref no branch tip reaches
    return r.git.rev_parse("--verify", "FETCH_HEAD^{commit}")


# -- s3 ------------------------------------------------------------------------------------
def download_prefix(repo: S3Repository, prefix: str, dest_dir: str | os.PathLike[str]) -> int:
    """Download every object under `prefix/` into dest_dir (relative paths kept)."""
    base = prefix.rstrip("/") + "/" if prefix else ""
    root = os.path.abspath(os.fspath(dest_dir))
    count = 0
    for obj in repo.list_objects(base):
        rel = posixpath.normpath(obj.key[len(base):])
        if rel in ("", ".") or rel.startswith(("../", "/")):
            continue
        repo.get_to_file(obj.key, os.path.join(root, *rel.split("/")))
        count += 1
    if count:
        os.makedirs(root, exist_ok=True)
    return count


def fetch_s3(
    endpoint: str,
    bucket: str,
    key: str,
    access_key: str,
    secret_key: str,
    insecure: bool = False,
    dest: str | os.PathLike[str] = ".",
    region: str | None = None,
) -> str:
    """Download s3://bucket/key to `dest`; a key that is a 'directory' gives a directory.

    Returns "file" or "dir"; raises ArtifactNotFound when there is neither.
    """
    repo = S3Repository(endpoint, access_key, secret_key, bucket, secure=not insecure, region=region)
    try:
        repo.get_to_file(key, dest)
        return "file"
    except ArtifactNotFound:
        if download_prefix(repo, key, dest):
            return "dir"
        raise
