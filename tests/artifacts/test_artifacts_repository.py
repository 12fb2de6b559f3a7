"""S3Repository against a real S3 server (SeaweedFS), and the repository configuration."""

from __future__ import annotations

import hashlib
import io
import secrets
import tracemalloc

import pytest
from s3server import S3Server

from localflow.artifacts.config import (
    DEFAULT_KEY_FORMAT,
    config_from_env,
    parse_artifact_repository,
    repository_from_env,
)
from localflow.artifacts.repository import ArtifactNotFound, S3Repository
from localflow.errors import ArtifactError

pytestmark = pytest.mark.s3
MiB = 1024 * 1024


class PatternStream(io.RawIOBase):
    """`size` bytes generated on the fly (never all in memory), with their MD5."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.block = secrets.token_bytes(64 * 1024)
        self.md5 = hashlib.md5()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), len(self.block), self.remaining)
        buffer[:n] = self.block[:n]
        self.md5.update(self.block[:n])
        self.remaining -= n
        return n


def test_bucket_creation_is_idempotent(s3_server: S3Server) -> None:
    bucket = "lf-new-" + secrets.token_hex(4)
    repo = S3Repository(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, bucket)
    assert not repo.client.bucket_exists(bucket)
    repo.ensure_bucket()
    repo.ensure_bucket()
    assert repo.client.bucket_exists(bucket)
    repo.client.remove_bucket(bucket)


def test_put_get_stat_list_delete(repo: S3Repository, tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.txt"
    src.write_bytes(b"hello world\n")
    info = repo.put_file("wf/pod/in.txt", src)
    assert info.size == 12 and info.etag == hashlib.md5(b"hello world\n").hexdigest()
    assert repo.stat("wf/pod/in.txt") == (12, info.etag)
    assert repo.exists("wf/pod/in.txt") and not repo.exists("wf/pod/other")
    repo.put_stream("wf/pod/dir/a", io.BytesIO(b"a"))
    assert repo.is_directory("wf/pod/dir") and not repo.is_directory("wf/pod/in.txt")
    assert [o.key for o in repo.list_objects("wf/")] == ["wf/pod/dir/a", "wf/pod/in.txt"]
    repo.get_to_file("wf/pod/in.txt", tmp_path / "out" / "copy.txt")
    assert (tmp_path / "out" / "copy.txt").read_bytes() == b"hello world\n"
    with repo.open("wf/pod/in.txt") as stream:
        assert stream.read() == b"hello world\n"
    assert repo.delete_prefix("wf/") == 2
    assert list(repo.list_objects("")) == []


def test_missing_key_and_bucket_are_not_found(repo: S3Repository, tmp_path, s3_server: S3Server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArtifactNotFound, match="NoSuchKey"):
        repo.open("nope")
    with pytest.raises(ArtifactNotFound):
        repo.get_to_file("nope", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    other = S3Repository(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, "lf-missing-bucket")
    with pytest.raises(ArtifactNotFound, match="NoSuchBucket"):
        other.put_stream("k", io.BytesIO(b"x"), 1)


def test_bad_credentials_and_dead_endpoint_give_one_line_errors(s3_server: S3Server) -> None:
    wrong = S3Repository(s3_server.endpoint, s3_server.access_key, "wrong-secret", "lf-any")
    with pytest.raises(ArtifactError) as err:
        wrong.ensure_bucket()
    assert "SignatureDoesNotMatch" in str(err.value) and "\n" not in str(err.value)
    dead = S3Repository("127.0.0.1:1", "a", "b", "lf-any", timeout=2)
    with pytest.raises(ArtifactError, match="127.0.0.1:1"):
        dead.ensure_bucket()


def test_50_mib_stream_keeps_memory_flat(repo: S3Repository, tmp_path) -> None:  # type: ignore[no-untyped-def]
    size = 50 * MiB + 123
    source = PatternStream(size)
    tracemalloc.start()
    try:
        info = repo.put_stream("big/stream.bin", source)  # type: ignore[arg-type]
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.md5()
        with repo.open("big/stream.bin") as stream:
            while chunk := stream.read(MiB):
                digest.update(chunk)
        repo.get_to_file("big/stream.bin", tmp_path / "big.bin")
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == size and info.etag.endswith("-11")  # 5 MiB parts
    assert digest.hexdigest() == source.md5.hexdigest()
    assert (tmp_path / "big.bin").stat().st_size == size
    assert upload_peak < 4 * repo.part_size, f"upload peak {upload_peak / MiB:.1f} MiB"
    assert download_peak < 8 * MiB, f"download peak {download_peak / MiB:.1f} MiB"


class _Corrupting:
    """Wraps a urllib3 response: flips one byte, or ends the body early."""

    def __init__(self, response, mode: str) -> None:  # type: ignore[no-untyped-def]
        self.response, self.mode, self.sent = response, mode, 0

    def read(self, amt=None, decode_content=True):  # type: ignore[no-untyped-def]
        data = self.response.read(amt, decode_content=decode_content)
        if self.mode == "truncate" and self.sent + len(data) > 3:
            data = data[: max(0, 3 - self.sent)]
        elif self.mode == "flip" and data and self.sent == 0:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        self.sent += len(data)
        return data

    def close(self) -> None:
        self.response.close()

    def release_conn(self) -> None:
        self.response.release_conn()


@pytest.mark.parametrize("mode, message", [("flip", "checksum"), ("truncate", "received 3 bytes")])
@pytest.mark.parametrize("size", [10, 6 * MiB])  # single part, and multipart (part size in metadata)
def test_corrupted_download_raises(repo, tmp_path, monkeypatch, mode, message, size) -> None:  # type: ignore[no-untyped-def]
    repo.put_stream("k", io.BytesIO(b"z" * size), size)
    real_get = repo.client.get_object
    monkeypatch.setattr(repo.client, "get_object", lambda *a, **k: _Corrupting(real_get(*a, **k), mode))
    with pytest.raises(ArtifactError, match=f"integrity check failed: .*{message}"):
        repo.get_to_file("k", tmp_path / "k")
    assert not (tmp_path / "k").exists()


def test_corrupted_upload_raises(repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real_put = repo.client.put_object

    def put_other_bytes(bucket, key, data, length, **kwargs):  # type: ignore[no-untyped-def]
        data.read()  # the hasher sees the real bytes; the server gets others
        return real_put(bucket, key, io.BytesIO(b"tampered"), 8, **kwargs)

    monkeypatch.setattr(repo.client, "put_object", put_other_bytes)
    with pytest.raises(ArtifactError, match="integrity check failed"):
        repo.put_stream("k", io.BytesIO(b"original"), 8)


def test_short_stream_with_declared_length_raises(repo: S3Repository) -> None:
    with pytest.raises(ArtifactError, match="upload"):
        repo.put_stream("k", io.BytesIO(b"abc"), 10)


# -- configuration ---------------------------------------------------------------------------
def test_repository_from_env() -> None:
    assert repository_from_env({}) is None
    env = {"LOCALFLOW_S3_ENDPOINT": "http://127.0.0.1:9000/", "LOCALFLOW_S3_ACCESS_KEY": "a",
           "LOCALFLOW_S3_SECRET_KEY": "b"}
    config = config_from_env(env)
    assert config is not None and (config.endpoint, config.secure, config.bucket) == ("127.0.0.1:9000", False, "localflow")
    repo = repository_from_env({"LOCALFLOW_S3_ENDPOINT": "s3.example:443", "LOCALFLOW_S3_ACCESS_KEY": "a",
                                "LOCALFLOW_S3_SECRET_KEY": "b", "LOCALFLOW_S3_BUCKET": "mine",
                                "LOCALFLOW_S3_INSECURE": "true"})
    assert repo is not None and (repo.endpoint, repo.bucket, repo.secure) == ("s3.example:443", "mine", False)
    with pytest.raises(ArtifactError, match="LOCALFLOW_S3_SECRET_KEY"):
        config_from_env({"LOCALFLOW_S3_ENDPOINT": "x:1", "LOCALFLOW_S3_ACCESS_KEY": "a"})


def test_parse_argo_artifact_repository() -> None:
    secrets_store = {("my-minio-cred", "accesskey"): "AK", ("my-minio-cred", "secretkey"): "SK"}

    def resolve(name: str, key: str) -> str:
        return secrets_store[(name, key)]

    config = parse_artifact_repository({"artifactRepository": {"archiveLogs": True, "s3": {
        "endpoint": "minio:9000", "bucket": "my-bucket", "insecure": True,
        "accessKeySecret": {"name": "my-minio-cred", "key": "accesskey"},
        "secretKeySecret": {"name": "my-minio-cred", "key": "secretkey"},
    }}}, resolve)
    assert (config.endpoint, config.bucket, config.secure, config.access_key, config.secret_key) == (
        "minio:9000", "my-bucket", False, "AK", "SK")
    assert config.key_format == DEFAULT_KEY_FORMAT
    prefixed = parse_artifact_repository({"s3": {
        "endpoint": "s3.amazonaws.com", "bucket": "b", "keyPrefix": "runs", "region": "eu-west-1",
        "accessKeySecret": {"name": "my-minio-cred", "key": "accesskey"},
        "secretKeySecret": {"name": "my-minio-cred", "key": "secretkey"},
    }}, resolve)
    assert prefixed.secure and prefixed.region == "eu-west-1"
    assert prefixed.key_format == "runs/{{workflow.name}}/{{pod.name}}"
    assert prefixed.repository().bucket == "b"
    with pytest.raises(ArtifactError, match="'gcs' is not supported"):
        parse_artifact_repository({"gcs": {"bucket": "x"}}, resolve)
    with pytest.raises(ArtifactError, match="accessKeySecret"):
        parse_artifact_repository({"s3": {"endpoint": "e", "bucket": "b"}}, resolve)


@pytest.mark.parametrize("md5", [True, False])
@pytest.mark.parametrize("size", [3 * 5 * MiB, 3 * 5 * MiB + 7, 5 * MiB - 1])
def test_put_chunks_parts_in_order(repo: S3Repository, tmp_path, size: int, md5: bool) -> None:  # type: ignore[no-untyped-def]
    """Parts filled while the previous one is sent (two buffers): every byte in place, S3's multipart ETag
    (parts of 5 MiB) recomputed from the bytes, whatever the chunks' sizes; with md5=False too (the
    parts are then not hashed by put_chunks, and the object is the same)."""
    data = secrets.token_bytes(size)
    cuts = [0, 1, 3 * MiB, 5 * MiB, 5 * MiB + 1, 11 * MiB, size]
    cuts = sorted(c for c in set(cuts) if c <= size)
    chunks = [memoryview(data)[a:b] for a, b in zip(cuts, cuts[1:])]
    info = repo.put_chunks("chunks/k", chunks, md5=md5)
    repo.get_to_file("chunks/k", tmp_path / "k")
    assert (tmp_path / "k").read_bytes() == data
    parts = [hashlib.md5(data[i:i + 5 * MiB]).digest() for i in range(0, size, 5 * MiB)]
    expected = hashlib.md5(data).hexdigest() if len(parts) == 1 else (
        f"{hashlib.md5(b''.join(parts)).hexdigest()}-{len(parts)}")
    assert (info.size, info.etag) == (size, expected)


def test_put_chunks_without_md5_still_checks_the_size(repo: S3Repository) -> None:
    with pytest.raises(ArtifactError, match="expected"):
        repo.put_chunks("chunks/short", [b"x" * (11 * MiB)], length=12 * MiB, md5=False)


def test_put_chunks_failing_source_leaves_nothing(repo: S3Repository) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b"x" * (12 * MiB)
        raise OSError("the container went away")

    with pytest.raises(OSError, match="went away"):
        repo.put_chunks("chunks/broken", chunks())
    assert not repo.exists("chunks/broken")


@pytest.mark.parametrize("mode", ["flip", "truncate"])
def test_input_tars_check_what_gunzip_does_not(repo, monkeypatch, mode) -> None:  # type: ignore[no-untyped-def]
    """load_input skips the MD5 of an object it gunzips whole (the gzip CRC-32 checks it); one whose
    first byte changed is no gzip any more, is passed on as a file, and its ETag check fails."""
    import tarfile

    from localflow.artifacts.transfer import load_input

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("data")
        info.size = 6 * MiB
        tar.addfile(info, io.BytesIO(secrets.token_bytes(6 * MiB)))
    repo.put_stream("in.tgz", io.BytesIO(buf.getvalue()), len(buf.getvalue()))
    with load_input(repo, "in.tgz", "/tmp/data") as docker_tar:  # intact: read whole, no error
        assert b"".join(docker_tar.body())
    real_get = repo.client.get_object
    monkeypatch.setattr(repo.client, "get_object", lambda *a, **k: _Corrupting(real_get(*a, **k), mode))
    with pytest.raises(ArtifactError, match="integrity check failed" if mode == "flip" else "ends early|3 bytes"):
        with load_input(repo, "in.tgz", "/tmp/data") as docker_tar:
            for _ in docker_tar.body():
                pass
