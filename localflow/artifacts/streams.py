"""Streaming pieces for moving artifacts: tar walking, parallel gzip, bounded hand-offs.

Nothing here holds a whole artifact in memory or on disk: data moves in chunks of about
`CHUNK` bytes through bounded queues between threads.

- `ChunkSource` + `iter_tar`: read a tar from an iterator of byte chunks, entry by entry, the
  data passed through as views of the chunks (no copies); a `tap` sees every chunk pulled, so
  the same bytes can be gzipped while they are walked.
- `GzipWriter`: gzip in independent segments compressed by a thread pool, written out in
  order as one gzip member (one deflate stream, as pigz does: each segment primed with the
  last 32 KiB of the one before and ended on a byte boundary). Any gzip reader reads it.
  A segment whose samples do not compress is written as deflate stored blocks, framed here
  around views of the segment: zlib never sees it (see `stored_blocks`).
- `gunzip`: decompress a gzip stream (several members too) in bounded pieces.
- `prefetch`: run an iterator in a thread, at most `max_items` items ahead.
"""

from __future__ import annotations

import io
import os
import queue
import struct
import tarfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from localflow.errors import ArtifactError

CHUNK = 1024 * 1024  # the size data moves in
SEGMENT = 1024 * 1024  # bytes compressed by one task
WINDOW = 32 * 1024  # deflate's window: the dictionary a segment is primed with
SAMPLE = 8 * 1024  # bytes per sample when checking whether a segment compresses (3 a segment)
INCOMPRESSIBLE = 0.97  # samples compressing to more than this fraction: store the segment
BLOCK = tarfile.BLOCKSIZE
_NUL_BLOCK = b"\0" * BLOCK
_END = object()


def workers() -> int:
    return max(2, min(4, os.cpu_count() or 2))


# ---- reading chunks ----------------------------------------------------------------------------
class ChunkSource:
    """Bytes from an iterator of chunks; `tap` is called with every chunk as it is pulled."""

    def __init__(self, chunks: Iterable[bytes], tap: Callable[[bytes], None] | None = None) -> None:
        self._it = iter(chunks)
        self._buf = memoryview(b"")
        self._tap = tap
        self.pos = 0

    def _fill(self) -> bool:
        for chunk in self._it:
            if chunk:
                if self._tap is not None:
                    self._tap(chunk)
                self._buf = memoryview(chunk)
                return True
        return False

    def read(self, n: int) -> bytes:
        """Exactly n bytes, fewer only at the end of the stream."""
        parts = []
        want = n
        while want > 0:
            if not self._buf and not self._fill():
                break
            take = self._buf[:want]
            parts.append(take)
            self._buf = self._buf[len(take):]
            want -= len(take)
        data = b"".join(parts)
        self.pos += len(data)
        return data

    def pieces(self, n: int) -> Iterator[memoryview]:
        """The next n bytes as views of the chunks (use each before asking for the next)."""
        while n > 0:
            if not self._buf and not self._fill():
                raise ArtifactError(f"tar stream ends {n} byte(s) early")
            take = self._buf[:n]
            self._buf = self._buf[len(take):]
            n -= len(take)
            self.pos += len(take)
            yield take

    def skip(self, n: int) -> None:
        for _ in self.pieces(n):
            pass

    def drain(self) -> None:
        """Pull (and tap) everything left."""
        self._buf = memoryview(b"")
        while self._fill():
            self.pos += len(self._buf)
            self._buf = memoryview(b"")


class ReaderChunks:
    """A readable (file-like) as an iterator of chunks of at most `size` bytes."""

    def __init__(self, reader: Any, size: int = CHUNK) -> None:
        self._reader, self._size = reader, size

    def __iter__(self) -> Iterator[bytes]:
        while data := self._reader.read(self._size):
            yield data


class ChunkReader(io.RawIOBase):
    """A file object over an iterator of chunks; read(n) returns n bytes unless at the end."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._src = ChunkSource(chunks)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while data := self._src.read(CHUNK):
                parts.append(data)
            return b"".join(parts)
        return self._src.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self._src.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# ---- tar ---------------------------------------------------------------------------------------
class TarEntry:
    """One member of a streamed tar; its data must be read (or is skipped) before the next."""

    def __init__(self, info: tarfile.TarInfo, src: ChunkSource, size: int) -> None:
        self.info = info
        self._src = src
        self._left = size
        self._pad = -size % BLOCK

    def pieces(self) -> Iterator[memoryview]:
        """The member's data as views (each valid until the next is asked for)."""
        while self._left > 0:
            for piece in self._src.pieces(min(self._left, CHUNK)):
                self._left -= len(piece)
                yield piece

    def read_all(self) -> bytes:
        return b"".join(bytes(p) for p in self.pieces())

    def finish(self) -> None:
        if self._left:
            self._src.skip(self._left)
            self._left = 0
        if self._pad:
            self._src.skip(self._pad)
            self._pad = 0


def _pax_records(data: bytes) -> dict[str, str]:
    """The records of a pax extended header ("%d %s=%s\\n")."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data) and data[pos:pos + 1] != b"\0":
        space = data.find(b" ", pos)
        if space < 0:
            raise ArtifactError("bad pax header in tar stream")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise ArtifactError("bad pax header in tar stream") from None
        record = data[space + 1:pos + length]
        if length <= 0 or not record.endswith(b"\n") or b"=" not in record:
            raise ArtifactError("bad pax header in tar stream")
        key, _, value = record[:-1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def _apply_pax(info: tarfile.TarInfo, records: dict[str, str]) -> None:
    try:
        for key, value in records.items():
            if key == "path":
                info.name = value.rstrip("/") if info.isdir() else value
            elif key == "linkpath":
                info.linkname = value
            elif key in ("size", "uid", "gid"):
                setattr(info, key, int(value))
            elif key == "mtime":
                info.mtime = float(value)
            elif key in ("uname", "gname"):
                setattr(info, key, value)
            elif key.startswith("GNU.sparse"):
                raise ArtifactError("sparse files in a tar are not supported")
    except ValueError:
        raise ArtifactError(f"bad pax header value in tar stream: {records}") from None
    info.pax_headers = dict(records)


def _nts(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def iter_tar(src: ChunkSource) -> Iterator[TarEntry]:
    """The members of a tar stream (ustar, pax and GNU long names), up to its end marker."""
    global_pax: dict[str, str] = {}
    pax: dict[str, str] | None = None
    long_name = long_link = None
    while True:
        header = src.read(BLOCK)
        if not header:
            return  # no end marker: what tar readers accept too
        if len(header) < BLOCK:
            raise ArtifactError("tar stream ends inside a header")
        if header == _NUL_BLOCK:
            return
        try:
            info = tarfile.TarInfo.frombuf(header, "utf-8", "surrogateescape")
        except tarfile.HeaderError as exc:
            raise ArtifactError(f"bad tar header at byte {src.pos - BLOCK}: {exc}") from exc
        kind = info.type
        if kind in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                    tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
            data = src.read(info.size + (-info.size % BLOCK))[: info.size]
            if len(data) < info.size:
                raise ArtifactError("tar stream ends inside an extended header")
            if kind == tarfile.XGLTYPE:
                global_pax.update(_pax_records(data))
            elif kind in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
                pax = _pax_records(data)
            elif kind == tarfile.GNUTYPE_LONGNAME:
                long_name = _nts(data)
            else:
                long_link = _nts(data)
            continue
        if kind == tarfile.GNUTYPE_SPARSE or info.sparse is not None:
            raise ArtifactError("sparse files in a tar are not supported")
        if long_name is not None:
            info.name = long_name.rstrip("/") if info.isdir() else long_name
        if long_link is not None:
            info.linkname = long_link
        if global_pax or pax:
            _apply_pax(info, {**global_pax, **(pax or {})})
        pax = long_name = long_link = None
        has_data = info.isreg() or kind not in tarfile.SUPPORTED_TYPES
        entry = TarEntry(info, src, info.size if has_data else 0)
        yield entry
        entry.finish()


def tar_header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def tar_padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


TAR_END = b"\0" * (2 * BLOCK)


# ---- gzip --------------------------------------------------------------------------------------
def _incompressible(segment: bytes) -> bool:
    """Whether samples of the segment (start, middle, end) do not compress at deflate level 1."""
    n = len(segment)
    if n < 4 * SAMPLE:
        return False
    raw = packed = 0
    for start in (0, n // 2 - SAMPLE // 2, n - SAMPLE):
        sample = segment[start:start + SAMPLE]
        c = zlib.compressobj(1, zlib.DEFLATED, -15)
        packed += len(c.compress(sample)) + len(c.flush())
        raw += len(sample)
    return packed > INCOMPRESSIBLE * raw


STORED_MAX = 0xFFFF  # bytes in one stored block (LEN is 16 bits)


def stored_blocks(segment: bytes) -> list[bytes | memoryview]:
    """The segment as non-final deflate stored blocks (RFC 1951 3.2.4), starting on a byte
    boundary: per block a header byte (BFINAL 0, BTYPE 00, padding), LEN and its complement,
    then the bytes themselves, given as views of `segment` (nothing copied here)."""
    view = memoryview(segment)
    pieces: list[bytes | memoryview] = []
    for start in range(0, len(view), STORED_MAX):
        block = view[start:start + STORED_MAX]
        pieces += (struct.pack("<BHH", 0, len(block), len(block) ^ 0xFFFF), block)
    return pieces


def deflate_segment(segment: bytes, level: int, zdict: bytes | None) -> list[bytes | memoryview]:
    """Raw deflate of one segment, ended on a byte boundary with a non-final block, as pieces.

    A segment that does not compress (or level 0) becomes stored blocks without zlib: the same
    kind of block zlib (level 0, or any level once a block would not shrink) and Go's
    compress/flate (its writer stores a block its Huffman codes would not make smaller) emit
    for such data, so the .tgz is what Argo's executor could have written, and any inflater
    (Go's gzip reader in Argo's executor, zlib, busybox) reads it."""
    if level == 0 or _incompressible(segment):
        return stored_blocks(segment)
    if zdict:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return [c.compress(segment), c.flush(zlib.Z_SYNC_FLUSH)]


GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown
_FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman codes)


class GzipWriter:
    """Gzip what is written, in segments compressed by `pool`; `emit` gets, in order, bytes or
    futures of lists of pieces (it may block: that is the back-pressure).

    Written bytes objects are held as views, not copied, until their segment is complete; a
    segment that is one whole written chunk is that chunk itself."""

    def __init__(self, level: int, pool: ThreadPoolExecutor, emit: Callable[[bytes | Future], None],
                 segment: int = SEGMENT) -> None:
        self.level = level
        self._pool = pool
        self._emit = emit
        self._segment = segment
        self._held: list[memoryview] = []
        self._held_size = 0
        self._zdict: bytes | None = None
        self.crc = 0
        self.size = 0
        emit(GZIP_HEADER)

    def write(self, data: bytes | memoryview) -> None:
        # bytes cannot change under the views held; anything else is copied once
        view = memoryview(data if isinstance(data, bytes) else bytes(data))
        while len(view):
            take = view[: self._segment - self._held_size]
            self._held.append(take)
            self._held_size += len(take)
            view = view[len(take):]
            if self._held_size == self._segment:
                self._submit()

    def _submit(self) -> None:
        held, self._held, self._held_size = self._held, [], 0
        whole = held[0].obj if len(held) == 1 else None
        segment = whole if isinstance(whole, bytes) and len(whole) == len(held[0]) else b"".join(held)
        self.crc = zlib.crc32(segment, self.crc)
        self.size += len(segment)
        self._emit(self._pool.submit(deflate_segment, segment, self.level, self._zdict))
        self._zdict = segment[-WINDOW:] if self.level > 0 else None

    def close(self) -> None:
        if self._held:
            self._submit()
        self._emit(_FINAL_BLOCK + struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))


def gunzip(chunks: Iterable[bytes], out_size: int = CHUNK) -> Iterator[bytes]:
    """Decompress a gzip stream (one member or several) in pieces of at most out_size bytes."""
    d = zlib.decompressobj(31)
    try:
        for chunk in chunks:
            data = chunk
            while data:
                if d.eof:  # another member follows
                    d = zlib.decompressobj(31)
                out = d.decompress(data, out_size)
                if out:
                    yield out
                data = d.unused_data if d.eof else d.unconsumed_tail
        if not d.eof:
            tail = d.flush()
            if tail:
                yield tail
            if not d.eof:
                raise ArtifactError("gzip stream ends early")
    except zlib.error as exc:
        raise ArtifactError(f"not a valid gzip stream: {exc}") from exc


# ---- threads -----------------------------------------------------------------------------------
class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Pipe:
    """A bounded, ordered hand-off from a producer thread to a reader: bytes, lists of pieces, or
    futures of either; the reader gets the pieces one by one."""

    def __init__(self, max_items: int) -> None:
        self._q: queue.Queue[Any] = queue.Queue(max_items)
        self._closed = threading.Event()

    def put(self, item: bytes | Future) -> None:
        while not self._closed.is_set():
            try:
                self._q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Cancelled()

    def finish(self, exc: BaseException | None = None) -> None:
        try:
            self._q.put(_END if exc is None else _Failed(exc), timeout=0.2 if self._closed.is_set() else None)
        except queue.Full:
            pass

    def cancel(self) -> None:
        """The reader gives up: the producer's next put raises, so it stops."""
        self._closed.set()
        while True:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Future):
                item.cancel()

    def items(self) -> Iterator[bytes]:
        while True:
            item = self._q.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            if isinstance(item, Future):
                item = item.result()
            if isinstance(item, list):  # pieces (views of a segment, as GzipWriter emits)
                yield from (piece for piece in item if len(piece))
            elif item:
                yield item


class _Cancelled(Exception):
    pass


def run_producer(target: Callable[[Pipe], None], max_items: int, name: str) -> tuple[Pipe, threading.Thread]:
    """Start `target(pipe)` in a thread; read with pipe.items(); pipe.cancel() to stop it."""
    pipe = Pipe(max_items)

    def run() -> None:
        try:
            target(pipe)
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            pipe.finish(exc)
            return
        pipe.finish()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return pipe, thread


def prefetch(chunks: Iterable[bytes], max_items: int = 4, name: str = "localflow-prefetch",
             coalesce: int = CHUNK) -> Iterator[bytes]:
    """The same bytes, read by a thread at most `max_items` pieces ahead (I/O overlaps the
    consumer); small chunks are joined into pieces of about `coalesce` bytes."""

    def produce(pipe: Pipe) -> None:
        buf = bytearray()
        try:
            for chunk in chunks:
                if len(chunk) >= coalesce and not buf:
                    pipe.put(chunk)
                    continue
                buf += chunk
                if len(buf) >= coalesce:
                    pipe.put(bytes(buf))
                    buf.clear()
            if buf:
                pipe.put(bytes(buf))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    pipe, thread = run_producer(produce, max_items, name)
    try:
        yield from pipe.items()
    finally:
        pipe.cancel()
        thread.join(timeout=30)

