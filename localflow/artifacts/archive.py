"""Between Docker's archive API and Argo's stored artifact formats, streaming.

Docker: `get_archive(path)` gives a tar whose single top entry is basename(path);
`put_archive(dir, tar)` extracts a tar into `dir`, creating missing parents.

Argo (executor.go, util/archive): an output artifact is stored as a gzipped tar of the
file or directory, its top entry being basename(path) (`archive: tar`, the default,
`compressionLevel` 0-9, default 6), or as-is with `archive: none` (a file is one object; a
directory becomes one object per regular file under the key, symlinks skipped). When loading,
an explicit `archive` decides; otherwise a gzip stream holding at least one tar entry is
untarred and anything else is a raw file. Untarring puts a single top entry exactly at the
artifact path; several top entries become the children of a directory at the path.

The tars made here for `put_archive` are meant for the container root ("/"): entry names are
full paths, so the artifact lands at `dest_path` even when its parent does not exist yet.
"""

from __future__ import annotations

import copy as copy_module
import gzip
import io
import os
import posixpath
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Literal

from localflow.errors import ArtifactError

from . import streams as S

if TYPE_CHECKING:
    from typing_extensions import Self

Archive = Literal["tar", "none"]
SPOOL_MAX = 16 * 1024 * 1024  # bytes kept in memory before a spooled file moves to disk
COPY_CHUNK = 1024 * 1024
DEFAULT_COMPRESSION = 6  # Go's gzip.DefaultCompression


@dataclass(frozen=True)
class StoredInfo:
    archive: str  # "tar" | "none"
    kind: str  # "file" | "dir" | "symlink"
    name: str  # the top entry's name: basename of the container path
    size: int  # bytes written to the stored object
    entries: int  # tar entries seen


@dataclass
class DockerTar:
    """A tar ready for `container.put_archive(put_path, fileobj)`; close() when done."""

    put_path: str
    fileobj: BinaryIO
    size: int  # -1 when streamed
    kind: str  # "file" | "dir" ("" while a streamed tar has not shown its first entry)
    chunks: Iterator[bytes] | None = None  # streamed: the same bytes as fileobj, in large pieces

    def body(self) -> Iterable[bytes]:
        """What to give put_archive: large pieces (requests sends a file in 16 KiB writes)."""
        return self.chunks if self.chunks is not None else S.ReaderChunks(self.fileobj)

    def close(self) -> None:
        if self.chunks is not None:
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()
        self.fileobj.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class TarMember:
    """One entry of a Docker tar: `path` is relative to the top entry ("" for the top)."""

    path: str
    info: tarfile.TarInfo
    fileobj: BinaryIO | None  # content of a regular file, readable once, before the next member


def spooled() -> BinaryIO:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # type: ignore[return-value]


def copy(src: BinaryIO, dst: BinaryIO) -> int:
    total = 0
    while chunk := src.read(COPY_CHUNK):
        dst.write(chunk)
        total += len(chunk)
    return total


# -- from a container ------------------------------------------------------------------------
def docker_entries(src: S.ChunkSource) -> Iterator[tuple[str, S.TarEntry]]:
    """(path relative to the top entry, entry) of a Docker archive, checked to share one top."""
    top: str | None = None
    for entry in _checked(S.iter_tar(src), "bad container archive"):
        info = entry.info
        name = info.name.rstrip("/")
        if top is None:
            top, rel = name, ""
            if "/" in name or name in ("", ".", ".."):
                raise ArtifactError(f"unexpected top entry {info.name!r} in container archive")
        elif name.startswith(top + "/"):
            rel = name[len(top) + 1:]
        else:
            raise ArtifactError(f"container archive has a second top entry {info.name!r}")
        yield rel, entry
    if top is None:
        raise ArtifactError("container archive is empty")


def _checked(entries: Iterator[S.TarEntry], what: str) -> Iterator[S.TarEntry]:
    """The walker's own errors prefixed with `what` (errors of the loop body pass unchanged)."""
    while True:
        try:
            entry = next(entries)
        except StopIteration:
            return
        except ArtifactError as exc:
            raise ArtifactError(f"{what}: {exc}") from exc
        yield entry


def chunks_of(source: BinaryIO | Iterable[bytes]) -> Iterable[bytes]:
    return S.ReaderChunks(source) if hasattr(source, "read") else source  # type: ignore[arg-type]


def walk_docker_tar(tar_stream: BinaryIO | Iterable[bytes]) -> Iterator[TarMember]:
    """The entries of a Docker archive, checked to share one top entry."""
    src = S.ChunkSource(chunks_of(tar_stream))
    for rel, entry in docker_entries(src):
        reader = S.ChunkReader(entry.pieces()) if entry.info.isreg() else None
        yield TarMember(rel, entry.info, reader)  # type: ignore[arg-type]


def summarise_docker_tar(src: S.ChunkSource) -> tuple[str, str, int]:
    """(kind of the top entry, its name, entries) of a Docker archive; reads it to the end."""
    kind, name, entries = "file", "", 0
    for rel, entry in docker_entries(src):
        entries += 1
        if rel == "":
            info = entry.info
            name = info.name.rstrip("/")
            kind = "dir" if info.isdir() else "symlink" if info.issym() else "file"
    src.drain()  # the end-of-archive padding
    return kind, name, entries


def docker_tar_to_stored(
    tar_stream: BinaryIO | Iterable[bytes],
    out_fileobj: BinaryIO,
    archive: Archive = "tar",
    compression_level: int | None = None,
) -> StoredInfo:
    """Write the stored form of a `get_archive` stream to `out_fileobj`.

    archive="tar": the Docker tar itself, gzipped (Argo's `.tgz`).
    archive="none": the raw bytes of the single file. A directory with archive "none" is
    stored as one object per file: use `walk_docker_tar` (transfer.save_output does).
    """
    if archive == "tar":
        level = gzip_level(compression_level)
        start = _position(out_fileobj)
        with gzip.GzipFile(fileobj=out_fileobj, mode="wb", compresslevel=level, mtime=0) as gz:
            kind, name, entries = summarise_docker_tar(S.ChunkSource(chunks_of(tar_stream), tap=gz.write))
        end = _position(out_fileobj)
        return StoredInfo("tar", kind, name, end - start if start >= 0 <= end else -1, entries)
    if archive != "none":
        raise ArtifactError(f"archive strategy {archive!r} is not supported (tar or none)")
    members = walk_docker_tar(tar_stream)
    first = next(members)
    if first.fileobj is None:
        kind = "dir" if first.info.isdir() else "symlink"
        raise ArtifactError(
            f"{first.info.name!r} is a {kind}: with archive none it is stored as one object "
            "per file (transfer.save_output), not as one stream"
        )
    size = copy(first.fileobj, out_fileobj)
    for _ in members:
        pass
    return StoredInfo("none", "file", first.info.name, size, 1)


def gzip_level(compression_level: int | None) -> int:
    if compression_level is None or compression_level == -1:
        return DEFAULT_COMPRESSION
    if not 0 <= compression_level <= 9:
        raise ArtifactError(f"compressionLevel must be between -1 and 9, not {compression_level}")
    return compression_level


def _position(fileobj: BinaryIO) -> int:
    try:
        return fileobj.tell()
    except (OSError, AttributeError):
        return -1


# -- into a container ------------------------------------------------------------------------
def is_gzipped_tar(fileobj: BinaryIO) -> bool:
    """Argo's isTarball: a gzip stream whose content starts with a valid tar entry."""
    start = fileobj.tell()
    try:
        if fileobj.read(2) != b"\x1f\x8b":
            return False
        fileobj.seek(start)
        with gzip.GzipFile(fileobj=fileobj, mode="rb") as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return False
    finally:
        fileobj.seek(start)


def stored_to_docker_tar(
    stored_fileobj: BinaryIO,
    dest_path: str,
    mode: int | None = None,
    archive: Archive | None = None,
    recurse_mode: bool = False,
) -> DockerTar:
    """A tar that puts a stored artifact exactly at `dest_path` (put it at "/").

    `archive` is the input artifact's explicit strategy; None detects as Argo does.
    `mode` applies to the artifact itself (and everything below it with recurse_mode).
    """
    src = _seekable(stored_fileobj)
    size = src.seek(0, os.SEEK_END)

    def open_chunks() -> Iterator[bytes]:
        src.seek(0)
        return iter(S.ReaderChunks(src))

    streamed = streamed_docker_tar(open_chunks, size, dest_path, mode, archive, recurse_mode)
    out = spooled()
    for chunk in streamed.body():
        out.write(chunk)
    return finish(out, streamed.kind)


def streamed_docker_tar(
    open_chunks: Callable[[], Iterator[bytes]],
    size: int,
    dest_path: str,
    mode: int | None = None,
    archive: Archive | None = None,
    recurse_mode: bool = False,
    gunzipped: Callable[[], None] | None = None,
) -> DockerTar:
    """As stored_to_docker_tar, streamed: `open_chunks()` gives the stored bytes (`size` of them).
    `gunzipped()` is called each time the bytes `open_chunks()` gives are known to be read whole
    through gunzip (a gzipped tar), so that its CRC-32 checks every one of them.

    Nothing is spooled: the tar for put_archive is made while the stored artifact is read (and
    gunzipped). A gzipped tar is assumed to have one top entry, as Argo and localflow store
    them; when a second one shows up, the tar goes on with entries that reset `dest_path` to an
    empty directory, and the artifact is read again, every top entry becoming its child.
    """
    if archive not in (None, "tar", "none"):
        raise ArtifactError(f"archive strategy {archive!r} is not supported (tar or none)")
    dest = dest_name(dest_path)
    out = DockerTar("/", None, -1, "")  # type: ignore[arg-type]
    gen = _stream_tar(out, open_chunks, size, dest, mode, archive, recurse_mode, gunzipped or _nothing)
    out.chunks = gen
    out.fileobj = S.ChunkReader(gen)  # type: ignore[assignment]
    return out


class _SecondTop(Exception):
    pass


def _nothing() -> None:
    pass


def _stream_tar(out: DockerTar, open_chunks: Callable[[], Iterator[bytes]], size: int, dest: str,
                mode: int | None, archive: Archive | None, recurse: bool,
                gunzipped: Callable[[], None]) -> Iterator[bytes]:
    chunks = open_chunks()
    try:
        as_tar, chunks = _detect(chunks) if archive is None else (archive == "tar", chunks)
        if not as_tar:
            out.kind = "file"
            yield S.tar_header(file_entry(dest, size, 0o644 if mode is None else mode))
            sent = 0
            for chunk in chunks:
                sent += len(chunk)
                if sent > size:
                    break
                yield chunk
            if sent != size:
                raise ArtifactError(f"artifact gave {sent} bytes, expected {size}")
            yield S.tar_padding(size) + S.TAR_END
            return
        gunzipped()
        try:
            yield from _rebased(out, chunks, dest, mode, recurse, single=True)
            return
        except _SecondTop:
            pass
        _close(chunks)
        chunks = open_chunks()
        gunzipped()
        out.kind = "dir"
        # the entries already extracted go: a file replaces them, an empty directory the file
        yield S.tar_header(file_entry(dest, 0, 0o644))
        yield from _rebased(out, chunks, dest, mode, recurse, single=False)
    finally:
        _close(chunks)


def _close(chunks: object) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def _rebased(out: DockerTar, chunks: Iterator[bytes], dest: str, mode: int | None, recurse: bool,
             single: bool) -> Iterator[bytes]:
    """The gzipped tar's entries under dest (its single top entry at dest, or every top entry in
    a directory at dest); raises _SecondTop when `single` turns out wrong (before sending it)."""
    src = S.ChunkSource(S.gunzip(chunks))
    top: str | None = None
    if not single:
        yield S.tar_header(dir_entry(dest, 0o755 if mode is None else mode))
    for entry in _checked(S.iter_tar(src), "artifact is not a valid gzipped tar"):
        info = entry.info
        name = _clean_member_name(info.name)
        if name is None:
            continue
        first, _, rest = name.partition("/")
        if single:
            if top is None:
                top = first
                out.kind = "dir" if rest or info.isdir() else "file"
            elif first != top:
                raise _SecondTop(name)
        new = copy_module.copy(info)
        new.name = _rebase(name, dest, single)
        # a pax "path"/"linkpath" would override the new names
        new.pax_headers = {k: v for k, v in info.pax_headers.items() if k not in ("path", "linkpath")}
        if info.islnk():
            linked = _clean_member_name(info.linkname)
            if linked is None:
                raise ArtifactError(f"artifact tar has a bad hard link {info.linkname!r}")
            new.linkname = _rebase(linked, dest, single)
        if mode is not None and ((single and name == top) or recurse) and not info.issym():
            new.mode = mode
        if not info.isreg():
            new.size = 0
        yield S.tar_header(new)
        if info.isreg():
            yield from entry.pieces()
            yield S.tar_padding(info.size)
    if single and top is None:  # an empty archive: an empty directory at dest, as before
        out.kind = "dir"
        yield S.tar_header(dir_entry(dest, 0o755 if mode is None else mode))
    src.drain()  # to the end of the stored object: its checksum is verified there
    yield S.TAR_END


def _detect(chunks: Iterator[bytes]) -> tuple[bool, Iterator[bytes]]:
    """Argo's isTarball on the first bytes of a stream: gzip whose content starts with a tar
    entry. Returns the answer and the whole stream again."""
    head: list[bytes] = []
    it = iter(chunks)
    d = zlib.decompressobj(31)
    seen = b""  # the first two bytes
    plain = b""
    for chunk in it:
        head.append(chunk)
        if len(seen) < 2:
            seen = (seen + chunk)[:2]
            if len(seen) < 2:
                continue
            if seen != b"\x1f\x8b":
                break
        try:
            plain += d.decompress(d.unconsumed_tail + chunk, S.BLOCK)
        except zlib.error:
            break
        if len(plain) >= S.BLOCK or d.eof:
            break
    answer = False
    if len(plain) >= S.BLOCK and plain[: S.BLOCK] != b"\0" * S.BLOCK:
        try:
            tarfile.TarInfo.frombuf(plain[: S.BLOCK], "utf-8", "surrogateescape")
            answer = True
        except tarfile.HeaderError:
            pass

    def again() -> Iterator[bytes]:
        try:
            yield from head
            yield from it
        finally:
            _close(chunks)

    return answer, again()


def _clean_member_name(name: str) -> str | None:
    """A tar member's relative name, or None for the archive root ("."); refuses escapes."""
    clean = posixpath.normpath(name.lstrip("/")) if name.strip("/") else "."
    if clean == ".":
        return None
    if clean == ".." or clean.startswith("../"):
        raise ArtifactError(f"artifact tar entry {name!r} escapes the artifact path")
    return clean


def _rebase(name: str, dest: str, single: bool) -> str:
    if single:
        rest = name.split("/", 1)[1] if "/" in name else ""
        return posixpath.join(dest, rest) if rest else dest
    return posixpath.join(dest, name)


def dest_name(dest_path: str) -> str:
    """A container path as a tar entry name (no leading slash); refuses relative paths and /."""
    if not dest_path.startswith("/"):
        raise ArtifactError(f"artifact path {dest_path!r} must be absolute")
    dest = posixpath.normpath(dest_path).lstrip("/")
    if dest in ("", "."):
        raise ArtifactError("artifact path must not be '/'")
    return dest


def _seekable(fileobj: BinaryIO) -> BinaryIO:
    try:
        if fileobj.seekable():
            fileobj.seek(0)
            return fileobj
    except (AttributeError, OSError):
        pass
    tmp = spooled()
    copy(fileobj, tmp)
    tmp.seek(0)
    return tmp


def file_entry(name: str, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(time.time())
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def dir_entry(name: str, mode: int) -> tarfile.TarInfo:
    info = file_entry(name, 0, mode)
    info.type = tarfile.DIRTYPE
    return info


def _single_file_tar(content: BinaryIO, size: int, dest: str, mode: int) -> DockerTar:
    out = spooled()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(file_entry(dest, size, mode), content)
    return finish(out, "file")


def finish(out: BinaryIO, kind: str) -> DockerTar:
    """Wrap a tar written to `out` for put_archive at "/"."""
    size = out.tell()
    out.seek(0)
    return DockerTar("/", out, size, kind)


def raw_to_docker_tar(data: str, dest_path: str, mode: int | None = None) -> DockerTar:
    """A `raw: {data: ...}` input artifact as a file at dest_path."""
    encoded = data.encode("utf-8")
    return _single_file_tar(io.BytesIO(encoded), len(encoded), dest_name(dest_path), 0o644 if mode is None else mode)


def local_path_to_docker_tar(
    path: str | os.PathLike[str], dest_path: str, mode: int | None = None, recurse_mode: bool = False
) -> DockerTar:
    """A local file or folder (`--input-artifact NAME=PATH`, a git checkout) at dest_path."""
    src = os.fspath(path)
    if not os.path.lexists(src):
        raise ArtifactError(f"{src}: no such file or directory")
    dest = dest_name(dest_path)

    def owner_and_mode(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if mode is not None and not info.issym() and (recurse_mode or info.name == dest):
            info.mode = mode
        return info

    out = spooled()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(src, arcname=dest, recursive=True, filter=owner_and_mode)
    return finish(out, "dir" if os.path.isdir(src) else "file")


def local_path_to_stored(
    path: str | os.PathLike[str], out_fileobj: BinaryIO, compression_level: int | None = None
) -> StoredInfo:
    """A local file or folder as Argo stores it with archive tar (top entry = basename)."""
    src = os.path.abspath(os.fspath(path))
    if not os.path.exists(src):
        raise ArtifactError(f"{src}: no such file or directory")
    name = os.path.basename(src.rstrip("/")) or "root"
    level = gzip_level(compression_level)
    with (
        gzip.GzipFile(fileobj=out_fileobj, mode="wb", compresslevel=level, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.add(src, arcname=name, recursive=True)
        entries = len(tar.getmembers())
    return StoredInfo("tar", "dir" if os.path.isdir(src) else "file", name, _position(out_fileobj), entries)


def stored_to_local(
    stored_fileobj: BinaryIO, dest_path: str | os.PathLike[str], archive: Archive | None = None
) -> str:
    """Unpack a stored artifact at a local path as Argo's executor would; returns the path."""
    dest = os.path.abspath(os.fspath(dest_path))
    src = _seekable(stored_fileobj)
    as_tar = is_gzipped_tar(src) if archive is None else archive == "tar"
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if not as_tar:
        with open(dest, "wb") as out:
            copy(src, out)
        return dest
    tmpdir = tempfile.mkdtemp(prefix=".unpack-", dir=os.path.dirname(dest))
    try:
        with tarfile.open(fileobj=src, mode="r:gz") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmpdir, filter="data")
            else:  # Python without extraction filters: refuse escaping names and links
                for info in tar.getmembers():
                    _clean_member_name(info.name)
                    if info.issym() or info.islnk():
                        raise ArtifactError(f"refusing link {info.name!r} on this Python version")
                tar.extractall(tmpdir)
        children = os.listdir(tmpdir)
        if len(children) == 1:
            os.replace(os.path.join(tmpdir, children[0]), dest)
        else:
            os.replace(tmpdir, dest)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArtifactError(f"artifact is not a valid gzipped tar: {exc}") from exc
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return dest
