"""archive.py without Docker: tars shaped like Docker's get_archive, Argo's stored forms."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from localflow.artifacts import archive as arc
from localflow.errors import ArtifactError


def docker_tar(entries: dict[str, bytes | None], links: dict[str, str] | None = None) -> bytes:
    """A tar like Docker's: entries in order; None means a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o640
                tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def members(docker: arc.DockerTar) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=docker.fileobj, mode="r:") as tar:
        return {m.name: m for m in tar.getmembers()}


def contents(docker: arc.DockerTar) -> dict[str, bytes | None]:
    docker.fileobj.seek(0)
    out: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=docker.fileobj, mode="r:") as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isreg() else None
            out[m.name] = f.read() if f else None
    return out


DIR_TAR = docker_tar({"out": None, "out/a.txt": b"A", "out/sub": None, "out/sub/b.txt": b"B"},
                     links={"out/link": "a.txt"})


def test_file_stored_as_gzipped_docker_tar_and_back() -> None:
    stored = io.BytesIO()
    info = arc.docker_tar_to_stored(chunks(docker_tar({"hello.txt": b"hello\n"})), stored)
    assert (info.archive, info.kind, info.name, info.entries) == ("tar", "file", "hello.txt", 1)
    assert info.size == len(stored.getvalue())
    assert stored.getvalue()[:2] == b"\x1f\x8b"
    with tarfile.open(fileobj=io.BytesIO(stored.getvalue()), mode="r:gz") as tar:
        assert tar.getnames() == ["hello.txt"]  # Argo's layout: basename as the top entry
    with arc.stored_to_docker_tar(io.BytesIO(stored.getvalue()), "/tmp/in/message") as docker:
        assert docker.put_path == "/" and docker.kind == "file"
        assert contents(docker) == {"tmp/in/message": b"hello\n"}


def test_directory_round_trip_keeps_tree_links_and_applies_mode() -> None:
    stored = io.BytesIO()
    info = arc.docker_tar_to_stored(iter(chunks(DIR_TAR)), stored, compression_level=0)
    assert (info.kind, info.name, info.entries) == ("dir", "out", 5)
    stored.seek(0)
    docker = arc.stored_to_docker_tar(stored, "/work/src/", mode=0o750)
    got = members(docker)
    assert sorted(got) == ["work/src", "work/src/a.txt", "work/src/link", "work/src/sub", "work/src/sub/b.txt"]
    assert got["work/src"].mode == 0o750 and got["work/src/a.txt"].mode == 0o640
    assert got["work/src/link"].issym() and got["work/src/link"].linkname == "a.txt"
    assert docker.kind == "dir"
    recursive = members(arc.stored_to_docker_tar(io.BytesIO(stored.getvalue()), "/d", mode=0o700, recurse_mode=True))
    assert {m.mode for m in recursive.values() if not m.issym()} == {0o700}


def test_compression_levels() -> None:
    data = docker_tar({"f": b"x" * 100_000})
    sizes = {}
    for level in (0, 1, 9, None):
        out = io.BytesIO()
        sizes[level] = arc.docker_tar_to_stored(io.BytesIO(data), out, "tar", level).size
    assert sizes[0] > sizes[1] >= sizes[9]
    with pytest.raises(ArtifactError, match="compressionLevel"):
        arc.docker_tar_to_stored(io.BytesIO(data), io.BytesIO(), "tar", 12)


def test_archive_none_file_is_raw_and_directory_is_refused_as_one_stream() -> None:
    out = io.BytesIO()
    info = arc.docker_tar_to_stored(io.BytesIO(docker_tar({"x.bin": b"\x00raw"})), out, "none")
    assert out.getvalue() == b"\x00raw" and info.kind == "file"
    with pytest.raises(ArtifactError, match="one object per file"):
        arc.docker_tar_to_stored(io.BytesIO(DIR_TAR), io.BytesIO(), "none")


def test_walk_docker_tar_gives_relative_paths() -> None:
    seen = [(m.path, m.fileobj.read() if m.fileobj else None) for m in arc.walk_docker_tar(io.BytesIO(DIR_TAR))]
    assert seen == [("", None), ("a.txt", b"A"), ("sub", None), ("sub/b.txt", b"B"), ("link", None)]


def test_bad_container_archives() -> None:
    with pytest.raises(ArtifactError, match="second top entry"):
        list(arc.walk_docker_tar(io.BytesIO(docker_tar({"a": b"1", "b": b"2"}))))
    with pytest.raises(ArtifactError, match="bad container archive|empty"):
        list(arc.walk_docker_tar(io.BytesIO(b"not a tar at all" * 100)))


def test_detection_follows_argo() -> None:
    gz_tar = io.BytesIO()
    arc.docker_tar_to_stored(io.BytesIO(docker_tar({"f": b"1"})), gz_tar)
    assert arc.is_gzipped_tar(io.BytesIO(gz_tar.getvalue()))
    assert not arc.is_gzipped_tar(io.BytesIO(gzip.compress(b"just text")))  # gzip, not a tar
    assert not arc.is_gzipped_tar(io.BytesIO(docker_tar({"f": b"1"})))  # a plain tar is a raw file
    # gzip of a non-tar is stored raw at the path; with archive none even a .tgz stays raw
    assert contents(arc.stored_to_docker_tar(io.BytesIO(gzip.compress(b"t")), "/p")) == {"p": gzip.compress(b"t")}
    raw = arc.stored_to_docker_tar(io.BytesIO(gz_tar.getvalue()), "/p", archive="none")
    assert contents(raw) == {"p": gz_tar.getvalue()}
    with pytest.raises(ArtifactError, match="not a valid gzipped tar"):
        arc.stored_to_docker_tar(io.BytesIO(b"plain"), "/p", archive="tar")


def test_several_top_entries_become_children_of_the_path() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(docker_tar({"a.txt": b"A", "b.txt": b"B"}))
    got = contents(arc.stored_to_docker_tar(io.BytesIO(buf.getvalue()), "/x/y"))
    assert got == {"x/y": None, "x/y/a.txt": b"A", "x/y/b.txt": b"B"}


def test_escaping_entries_are_refused() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
        gz.write(docker_tar({"../evil": b"x"}))
    with pytest.raises(ArtifactError, match="escapes"):
        arc.stored_to_docker_tar(io.BytesIO(buf.getvalue()), "/x")


def test_long_names_are_renamed_too() -> None:
    long_name = "top/" + "d" * 120 + "/" + "f" * 120
    stored = io.BytesIO()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("top", None), (long_name, b"L")):
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = 1
                tar.addfile(info, io.BytesIO(data))
    arc.docker_tar_to_stored(io.BytesIO(buf.getvalue()), stored)
    stored.seek(0)
    got = contents(arc.stored_to_docker_tar(stored, "/dest"))
    assert got["dest/" + long_name[len("top/"):]] == b"L"


def test_raw_and_local_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = members(arc.raw_to_docker_tar("héllo", "/etc/greeting", mode=0o600))
    assert raw["etc/greeting"].size == len("héllo".encode()) and raw["etc/greeting"].mode == 0o600
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "f.txt").write_text("F")
    local = contents(arc.local_path_to_docker_tar(tmp_path / "dir", "/in/dir"))
    assert local == {"in/dir": None, "in/dir/sub": None, "in/dir/sub/f.txt": b"F"}
    with pytest.raises(ArtifactError, match="no such file"):
        arc.local_path_to_docker_tar(tmp_path / "missing", "/in")
    with pytest.raises(ArtifactError, match="absolute"):
        arc.raw_to_docker_tar("x", "relative/path")
    stored = io.BytesIO()
    info = arc.local_path_to_stored(tmp_path / "dir", stored)
    assert (info.kind, info.name) == ("dir", "dir")
    stored.seek(0)
    target = arc.stored_to_local(stored, tmp_path / "unpacked")
    assert (tmp_path / "unpacked" / "sub" / "f.txt").read_text() == "F" and target.endswith("unpacked")
