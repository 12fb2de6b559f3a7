"""The streaming pieces: parallel gzip, gunzip, the tar walker, streamed input tars (no Docker)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from localflow.artifacts import archive as arc
from localflow.artifacts import streams as S
from localflow.errors import ArtifactError

MiB = 1024 * 1024


def gzipped(data: bytes, level: int, segment: int = 256 * 1024, piece: int = 70_001) -> bytes:
    out: list[bytes | Future] = []
    with ThreadPoolExecutor(2) as pool:
        gz = S.GzipWriter(level, pool, out.append, segment=segment)
        for i in range(0, len(data), piece):
            gz.write(data[i:i + piece])
        gz.close()
    return b"".join(b"".join(x.result()) if isinstance(x, Future) else x for x in out)


TEXT = b"".join(b"line %d of a log that compresses well\n" % i for i in range(40_000))


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_parallel_gzip_is_one_gzip_member_any_reader_reads(level: int) -> None:
    data = os.urandom(700_000) + TEXT + os.urandom(3)
    blob = gzipped(data, level)
    assert gzip.decompress(blob) == data
    d = zlib.decompressobj(31)  # one member: nothing left after it
    assert d.decompress(blob) == data and d.eof and d.unused_data == b""
    if level == 0:
        assert len(blob) > len(data)
    else:  # the text part compresses, the random part is stored (a few bytes of framing per block)
        assert len(blob) < 700_000 + len(TEXT) // 5


def test_incompressible_segments_are_stored_compressible_ones_are_not() -> None:
    noise = os.urandom(MiB)
    assert S._incompressible(noise)
    assert not S._incompressible(TEXT[:MiB])
    assert len(b"".join(S.deflate_segment(noise, 6, None))) < MiB + 200
    assert len(b"".join(S.deflate_segment(TEXT[:MiB], 6, None))) < MiB // 10


def test_stored_blocks_follow_rfc1951() -> None:
    """RFC 1951 3.2.4: a stored block is a header byte (BFINAL 0, BTYPE 00, then padding to the
    byte), LEN, NLEN = ~LEN (little-endian), then LEN bytes; at most 65,535 bytes a block."""
    noise = os.urandom(2 * 65535 + 10)
    blob = b"".join(S.stored_blocks(noise))
    assert len(blob) == len(noise) + 3 * 5
    assert blob[:5] == b"\x00\xff\xff\x00\x00"  # LEN 65535, NLEN 0
    assert blob[5 + 65535:10 + 65535] == b"\x00\xff\xff\x00\x00"
    assert blob[2 * (5 + 65535):2 * (5 + 65535) + 5] == b"\x00\x0a\x00\xf5\xff"  # LEN 10, NLEN ~10
    d = zlib.decompressobj(-15)  # zlib's inflater: the blocks and an empty final one
    assert d.decompress(blob + b"\x03\x00") == noise and d.eof


def test_gzip_of_noise_starts_with_stored_blocks_and_survives_reused_buffers() -> None:
    """Incompressible data is framed, not deflated: right after the 10-byte gzip header comes a
    full stored block. A bytearray written and then reused by its owner is not read late."""
    noise = os.urandom(3 * 256 * 1024 + 100)
    out: list[bytes | Future] = []
    with ThreadPoolExecutor(2) as pool:
        gz = S.GzipWriter(6, pool, out.append, segment=256 * 1024)
        buf = bytearray(100_000)
        for i in range(0, len(noise), len(buf)):
            piece = noise[i:i + len(buf)]
            buf[:len(piece)] = piece
            gz.write(buf[:len(piece)] if len(piece) < len(buf) else buf)
            buf[:] = b"\0" * len(buf)  # the owner reuses its buffer
        gz.close()
        blob = b"".join(b"".join(x.result()) if isinstance(x, Future) else x for x in out)
    assert blob[10:15] == b"\x00\xff\xff\x00\x00"
    assert gzip.decompress(blob) == noise
    with tarfile.open(fileobj=io.BytesIO(gzipped(_tar_of(noise), 6)), mode="r:gz") as tar:
        member = tar.next()
        assert member is not None and tar.extractfile(member).read() == noise  # type: ignore[union-attr]


def _tar_of(data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("noise")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_empty_input_gives_a_valid_empty_gzip() -> None:
    assert gzip.decompress(gzipped(b"", 6)) == b""


def test_gunzip_several_members_small_pieces_and_errors() -> None:
    data = os.urandom(5000) + TEXT
    two = gzip.compress(data[:1000]) + gzip.compress(data)
    pieces = [two[i:i + 4096] for i in range(0, len(two), 4096)]
    out = list(S.gunzip(pieces, out_size=65_536))
    assert b"".join(out) == data[:1000] + data
    assert max(len(x) for x in out) <= 65_536
    with pytest.raises(ArtifactError, match="ends early"):
        b"".join(S.gunzip([two[:-10]]))
    with pytest.raises(ArtifactError, match="not a valid gzip"):
        b"".join(S.gunzip([b"not gzip at all"]))


def make_tar(fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    long_dir = "top/" + "d" * 120
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, kind, data in [
            ("top", tarfile.DIRTYPE, None), (long_dir, tarfile.DIRTYPE, None),
            (long_dir + "/f" * 1 + "é.txt", tarfile.REGTYPE, b"x" * 1000),
            ("top/link", tarfile.SYMTYPE, "l" * 150), ("top/hard", tarfile.LNKTYPE, long_dir + "/fé.txt"),
            ("top/empty", tarfile.REGTYPE, b""),
        ]:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = data  # type: ignore[assignment]
                tar.addfile(info)
            elif data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_tar_walker_reads_what_tarfile_reads(fmt: int) -> None:
    blob = make_tar(fmt)
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        expected = [(m.name, m.type, m.linkname, m.size, tar.extractfile(m).read() if m.isreg() else None)
                    for m in tar]
    src = S.ChunkSource(blob[i:i + 777] for i in range(0, len(blob), 777))
    seen = [(e.info.name, e.info.type, e.info.linkname, e.info.size, e.read_all() if e.info.isreg() else None)
            for e in S.iter_tar(src)]
    assert seen == expected


def test_tar_walker_errors() -> None:
    blob = make_tar()
    with pytest.raises(ArtifactError, match="early|inside"):
        for e in S.iter_tar(S.ChunkSource([blob[:1800]])):
            e.read_all()
    with pytest.raises(ArtifactError, match="bad tar header"):
        list(S.iter_tar(S.ChunkSource([b"x" * 512])))
    assert list(S.iter_tar(S.ChunkSource([]))) == []


def docker_tar_of(stored: bytes, dest: str, mode: int | None = None, archive: str | None = None,
                  opened: list[int] | None = None) -> tuple[arc.DockerTar, dict[str, tuple]]:
    def open_chunks():  # type: ignore[no-untyped-def]
        if opened is not None:
            opened.append(1)
        return iter([stored[i:i + 1000] for i in range(0, len(stored), 1000)])

    dt = arc.streamed_docker_tar(open_chunks, len(stored), dest, mode, archive)  # type: ignore[arg-type]
    blob = b"".join(dt.body())
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        members = {m.name: (m.type, m.mode, tar.extractfile(m).read() if m.isreg() else m.linkname)
                   for m in tar}
    return dt, members


def tgz(entries: dict[str, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_streamed_input_tar_single_top_entry() -> None:
    dt, members = docker_tar_of(tgz({"data": b"abc"}), "/tmp/in/x", mode=0o700)
    assert members == {"tmp/in/x": (tarfile.REGTYPE, 0o700, b"abc")} and dt.kind == "file"
    dt, members = docker_tar_of(tgz({"tree": None, "tree/a": b"A", "./tree/sub/b": b"B"}), "/src")
    assert set(members) == {"src", "src/a", "src/sub/b"} and dt.kind == "dir"


def test_streamed_input_tar_several_top_entries_reset_the_path_and_read_again() -> None:
    opened: list[int] = []
    dt, members = docker_tar_of(tgz({"a": b"1", "b/c": b"2"}), "/tmp/x", opened=opened)
    assert len(opened) == 2 and dt.kind == "dir"
    assert {k: v[0] for k, v in members.items()} == {
        "tmp/x": tarfile.DIRTYPE, "tmp/x/a": tarfile.REGTYPE, "tmp/x/b/c": tarfile.REGTYPE}
    blob = b"".join(arc.streamed_docker_tar(
        lambda: iter([tgz({"a": b"1", "b/c": b"2"})]), 0, "/tmp/x").body())
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        order = [(m.name, m.type) for m in tar]
    # the first pass sent tmp/x as the file `a`; a file and then a directory replace it
    assert order[:3] == [("tmp/x", tarfile.REGTYPE), ("tmp/x", tarfile.REGTYPE), ("tmp/x", tarfile.DIRTYPE)]
    assert order[3:] == [("tmp/x/a", tarfile.REGTYPE), ("tmp/x/b/c", tarfile.REGTYPE)]


def test_streamed_input_detection_and_raw_files() -> None:
    _, members = docker_tar_of(b"plain text", "/tmp/f")
    assert members == {"tmp/f": (tarfile.REGTYPE, 0o644, b"plain text")}
    gz = gzip.compress(b"not a tar" * 100)
    _, members = docker_tar_of(gz, "/tmp/f")
    assert members == {"tmp/f": (tarfile.REGTYPE, 0o644, gz)}
    stored = tgz({"data": b"abc"})
    _, members = docker_tar_of(stored, "/tmp/f", archive="none")
    assert members == {"tmp/f": (tarfile.REGTYPE, 0o644, stored)}
    _, members = docker_tar_of(b"", "/tmp/empty")
    assert members == {"tmp/empty": (tarfile.REGTYPE, 0o644, b"")}
    empty = tgz({})  # no entry: not a tarball for Argo either (a raw file)
    _, members = docker_tar_of(empty, "/tmp/d")
    assert members == {"tmp/d": (tarfile.REGTYPE, 0o644, empty)}
    _, members = docker_tar_of(empty, "/tmp/d", archive="tar")  # said to be one: an empty directory
    assert members == {"tmp/d": (tarfile.DIRTYPE, 0o755, "")}


def test_streamed_input_errors_reach_the_reader() -> None:
    stored = tgz({"data": os.urandom(100_000)})
    dt = arc.streamed_docker_tar(lambda: iter([stored[:-20]]), len(stored), "/tmp/x")
    with pytest.raises(ArtifactError, match="ends early"):
        b"".join(dt.body())
    dt = arc.streamed_docker_tar(lambda: iter([b"abc"]), 10, "/tmp/x", archive="none")
    with pytest.raises(ArtifactError, match="gave 3 bytes, expected 10"):
        b"".join(dt.body())
    with pytest.raises(ArtifactError, match="escapes"):
        b"".join(arc.streamed_docker_tar(lambda: iter([tgz({"../evil": b"x"})]), 0, "/tmp/x").body())


def test_prefetch_keeps_order_bounds_and_stops_early() -> None:
    produced: list[int] = []

    def source():  # type: ignore[no-untyped-def]
        for i in range(1000):
            produced.append(i)
            yield b"%d," % i

    it = S.prefetch(source(), max_items=2, coalesce=1)
    assert [next(it) for _ in range(3)] == [b"0,", b"1,", b"2,"]
    it.close()
    assert len(produced) < 20
    assert b"".join(S.prefetch(iter([b"a", b"b", b"c"]), coalesce=2)) == b"abc"

    def failing():  # type: ignore[no-untyped-def]
        yield b"x"
        raise ArtifactError("boom")

    with pytest.raises(ArtifactError, match="boom"):
        list(S.prefetch(failing()))
