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


LARGE = """
mkdir -p /out/big
head -c 7000000 /dev/urandom > /out/big/noise
i=0; while [ $i -lt 40000 ]; do echo "log line $i of a file that compresses well"; i=$((i+1)); done > /out/big/text
"""


@pytest.mark.parametrize("archive", ["tar", "none"])
def test_large_artifact_streams_through_segments_and_parts(make_container, repo: S3Repository,  # type: ignore[no-untyped-def]
                                                          archive: str) -> None:
    """Several gzip segments and several multipart parts (5 MiB here), put with the runtime's put_files;
    the stored .tgz is read by busybox's gzip and tar (not Python's)."""
    from localflow.runtime import files

    producer = make_container()
    sh(producer, LARGE)
    want = sh(producer, "cd /out/big && md5sum noise text")
    chunks = files.archive_stream(producer, "/out/big")
    saved = save_output(chunks, repo, "wf/pod", "big", "/out/big", archive=archive)
    assert saved.kind == "dir" and saved.size > 5 * 1024 * 1024
    consumer = make_container()
    files.put_files(consumer, "/", lambda: load_input(repo, saved.key, "/in/big"))
    assert sh(consumer, "cd /in/big && md5sum noise text") == want
    if archive == "tar":
        assert saved.size < 7_000_000 + 400_000  # the text compressed, the noise stored
        with repo.open(saved.key) as stream:
            consumer.put_archive("/tmp", tarfile_of("stored.tgz", stream.read()))
        assert sh(consumer, "gzip -t /tmp/stored.tgz && tar tzf /tmp/stored.tgz | sort") == "big/\nbig/noise\nbig/text\n"


def tarfile_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_several_top_entries_replace_what_the_first_pass_put(make_container, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    """A .tgz made elsewhere with two top entries: the streamed tar first puts `a` at the path, then
    resets it and puts both as children; the container ends with exactly those."""
    from localflow.runtime import files

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("a", b"first"), ("b/c", b"second")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    repo.put_chunks("ext/two.tgz", [buf.getvalue()])
    consumer = make_container()
    files.put_files(consumer, "/", lambda: load_input(repo, "ext/two.tgz", "/tmp/x"))
    assert sh(consumer, "cd /tmp/x && find . -type f | sort && cat a b/c") == "./a\n./b/c\nfirstsecond"


def test_corrupt_stored_artifact_fails_the_put(make_container, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    from localflow.errors import ArtifactError
    from localflow.runtime import files

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("data")
        info.size = 100_000
        tar.addfile(info, io.BytesIO(bytes(range(256)) * 391))
    repo.put_chunks("ext/cut.tgz", [buf.getvalue()[:-30]])  # the gzip ends early
    consumer = make_container()
    with pytest.raises(ArtifactError, match="ends early"):
        files.put_files(consumer, "/", lambda: load_input(repo, "ext/cut.tgz", "/tmp/x"))


def test_a_flipped_byte_in_a_stored_tgz_fails_the_put(make_container, repo: S3Repository) -> None:  # type: ignore[no-untyped-def]
    """The gzip trailer's CRC-32 is the end-to-end check of a .tgz (its multipart upload hashes no
    parts): a byte changed inside a stored block, in an object whose ETag matches the changed bytes,
    is refused while the next step's tar is streamed (the step then fails before its container starts)."""
    from localflow.errors import ArtifactError
    from localflow.runtime import files

    producer = make_container()
    sh(producer, "mkdir -p /out && head -c 7000000 /dev/urandom > /out/noise")
    saved = save_output(files.archive_stream(producer, "/out/noise"), repo, "wf/pod", "noise", "/out/noise")
    with repo.open(saved.key) as stream:
        blob = bytearray(stream.read())
    assert blob[10:15] == b"\x00\xff\xff\x00\x00"  # stored blocks right after the gzip header
    blob[len(blob) // 2] ^= 0x01
    repo.put_chunks("ext/flipped.tgz", [bytes(blob)])  # its ETag is that of the changed bytes
    consumer = make_container()
    with pytest.raises(ArtifactError, match="invalid gzip|incorrect data check"):
        files.put_files(consumer, "/", lambda: load_input(repo, "ext/flipped.tgz", "/tmp/noise"))
