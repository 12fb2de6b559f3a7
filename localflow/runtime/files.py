"""Moving files into and out of containers with the archive API (works from inside a CI container)."""

from __future__ import annotations

import io
import posixpath
import tarfile
from collections.abc import Iterable
from typing import Any

from .engine_api import api_errors, not_found


STDOUT_LIMIT = 256 * 1024


class _IterReader(io.RawIOBase):
    """A file object over an iterable of byte chunks (for streaming tar parsing)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._it = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def chunks_reader(chunks: Iterable[bytes]) -> io.BufferedReader:
    return io.BufferedReader(_IterReader(chunks), buffer_size=1 << 20)


def _as_bytes_or_iter(data: Any) -> Any:
    if callable(data):
        data = data()
    if hasattr(data, "read"):
        return data.read()
    return data


def _prefixed(data: bytes, prefix: str) -> bytes:
    """The same tar with every entry moved under `prefix/` (parent directories added)."""
    src = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as dst:
        parts = prefix.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            info = tarfile.TarInfo("/".join(parts[:i]))
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            dst.addfile(info)
        for member in src:
            f = src.extractfile(member) if member.isfile() else None
            member.name = posixpath.join(prefix.strip("/"), member.name)
            dst.addfile(member, f)
    return out.getvalue()


def put_files(container: Any, parent: str, data: Any) -> None:
    """put_archive into `parent`, creating it (and its missing ancestors) when it does not exist.

    `data` is bytes, or a factory of bytes or of an artifacts.archive.DockerTar (a tar made while
    it is sent: `body()` gives it in large pieces, never all in memory).
    """
    if callable(data):
        data = data()
    if hasattr(data, "put_path") and hasattr(data, "body"):
        try:
            container.put_archive(data.put_path, data.body())
        finally:
            data.close()
        return
    payload = _as_bytes_or_iter(data)
    if not isinstance(payload, (bytes, bytearray)):
        payload = b"".join(payload)
    try:
        container.put_archive(parent, payload)
        return
    except not_found():
        pass
    # walk up to the nearest existing ancestor, then extract there with the rest as a prefix
    missing = []
    path = parent.rstrip("/")
    while path not in ("", "/"):
        missing.append(posixpath.basename(path))
        path = posixpath.dirname(path)
        try:
            container.put_archive(path or "/", _prefixed(payload, "/".join(reversed(missing))))
            return
        except not_found():
            continue
    container.put_archive("/", _prefixed(payload, "/".join(reversed(missing))))


def read_text_file(container: Any, path: str) -> str | None:
    """The text of one file in a (stopped) container, or None when it does not exist."""
    try:
        stream, _stat = container.get_archive(path)
    except not_found():
        return None
    except api_errors() as e:
        if e.status_code in (404, 400):
            return None
        raise
    reader = chunks_reader(stream)
    with tarfile.open(fileobj=reader, mode="r|") as tf:
        for member in tf:
            if member.isfile():
                f = tf.extractfile(member)
                data = f.read() if f else b""
                return data.decode(errors="replace")
            if member.isdir():
                return None
    return None


def archive_stream(container: Any, path: str) -> Iterable[bytes] | None:
    try:
        stream, _stat = container.get_archive(path, chunk_size=1 << 20)
    except not_found():
        return None
    except api_errors() as e:
        if e.status_code in (404, 400):
            return None
        raise
    return stream


def result_text(raw: bytes) -> str:
    """Argo's outputs.result: the last 256 KiB of stdout, one trailing newline trimmed."""
    if len(raw) > STDOUT_LIMIT:
        raw = raw[-STDOUT_LIMIT:]
    text = raw.decode(errors="replace")
    text = text.removesuffix("\n")
    return text


def single_file_tar(name: str, data: bytes, mode: int = 0o644) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()
