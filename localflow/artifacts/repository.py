"""An S3 bucket holding artifacts, through the minio client, with integrity checks.

Every transfer streams (parts of `part_size` bytes at most are held in memory; `put_chunks`
fills one reused part buffer) and is verified afterwards, without reading anything twice: the size always, and the MD5 the server reports as ETag where it is one
(single-part objects, and multipart objects uploaded by us: their part size is recorded in
the object's metadata, so a reader can recompute the `md5-of-md5s-N` form).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from localflow.errors import ArtifactError

if TYPE_CHECKING:  # minio (and its crypto) is imported when an artifact moves, not by every run
    from minio import Minio

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MiB
MIN_PART_SIZE = 5 * MiB
MAX_PARTS = 10_000
IN_FLIGHT = 2  # parts being hashed and sent while the next one fills (each a part_size buffer)
PART_SIZE_META = "x-amz-meta-localflow-part-size"
_MD5_ETAG = re.compile(r"^[0-9a-f]{32}(-[0-9]+)?$")
_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchObject", "NotFound", "NoSuchBucket"}


class ArtifactNotFound(ArtifactError):
    """The key (or bucket) does not exist. Optional artifacts treat this as 'absent'."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


class _PartHasher:
    """MD5 per `part_size` slice of a byte stream: the data behind an S3 ETag."""

    def __init__(self, part_size: int) -> None:
        self.part_size = part_size
        self.size = 0
        self._digests: list[bytes] = []
        self._current = hashlib.md5()
        self._filled = 0

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self.size += len(view)
        while len(view):
            if self._filled == self.part_size:
                self._digests.append(self._current.digest())
                self._current, self._filled = hashlib.md5(), 0
            take = min(len(view), self.part_size - self._filled)
            self._current.update(view[:take])
            self._filled += take
            view = view[take:]

    def count(self, size: int) -> None:
        """Bytes counted, not hashed (their check is elsewhere; etag() is then meaningless)."""
        self.size += size

    def add_part(self, part: Any, size: int) -> None:
        """A whole part hashed elsewhere (an md5 object); parts come in order, all but the last
        `part_size` long, and no `update` is mixed in."""
        if self._filled:
            self._digests.append(self._current.digest())
        self._current, self._filled = part, size
        self.size += size

    def etag(self) -> str:
        """The ETag an MD5-ETag server gives: plain MD5 for one part, else md5(digests)-N."""
        if not self._digests:
            return self._current.hexdigest()
        digests = [*self._digests, self._current.digest()]
        return f"{hashlib.md5(b''.join(digests)).hexdigest()}-{len(digests)}"


class _HashingReader(io.RawIOBase):
    """Passes a file object through, hashing what is read (used for uploads)."""

    def __init__(self, inner: BinaryIO, hasher: _PartHasher) -> None:
        self._inner = inner
        self.hasher = hasher

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if data:
            self.hasher.update(data)
        return data or b""

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class VerifyingReader(io.RawIOBase):
    """A stream of an object's bytes; at end of stream checks size and checksum.

    Raises ArtifactError from read() when the data ends early, runs long or does not match.
    Use as a context manager (or call close()) to give the connection back.
    """

    def __init__(  # type: ignore[no-untyped-def]
        self, response, where: str, size: int, etag: str, part_size: int | None, check_md5: bool
    ) -> None:
        self._response = response
        self._where = where
        self.size = size
        self.etag = etag
        self._hasher = _PartHasher(part_size or max(size, 1))
        self._check_md5 = check_md5 and _checkable_etag(etag, part_size)
        self._verified = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        import urllib3
        amt = None if size is None or size < 0 else size
        try:
            data = self._response.read(amt, decode_content=False) if amt != 0 else b""
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ArtifactError(f"{self._where}: download interrupted: {_one_line(exc)}") from exc
        if data:
            if self._check_md5:
                self._hasher.update(data)
            else:
                self._hasher.count(len(data))
            if self._hasher.size > self.size:
                raise ArtifactError(
                    f"{self._where}: integrity check failed: received more than {self.size} bytes"
                )
        elif amt != 0:
            self._verify()
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def skip_md5(self) -> None:
        """From now on count the bytes, not hash them, and check only the size at the end: for a
        reader that checks every byte itself (a gzip stream read whole: its CRC-32 and length)."""
        self._check_md5 = False

    def _verify(self) -> None:
        if self._verified:
            return
        self._verified = True
        _verify(self._where, self.size, self.etag, self._hasher, self._check_md5)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._response.release_conn()
        super().close()


class S3Repository:
    """One bucket on one S3 endpoint (host:port, no scheme)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str | None = None,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        verify_checksums: bool = True,
        timeout: float = 60.0,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.secure = secure
        self.region = region
        self.part_size = part_size
        self.verify_checksums = verify_checksums
        import urllib3
        from minio import Minio
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout, 10.0), read=timeout),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            maxsize=10,
        )
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key,
            secure=secure, region=region, http_client=http,
        )

    def __repr__(self) -> str:
        return f"S3Repository({self.url('')!r})"

    def url(self, key: str) -> str:
        scheme = "https" if self.secure else "http"
        return f"s3://{self.bucket}/{key} at {scheme}://{self.endpoint}"

    @property
    def client(self) -> Minio:
        """The underlying minio client (for callers needing more than this class offers)."""
        return self._client

    # -- buckets ---------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        from minio.error import S3Error
        with self._errors("create bucket", ""):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, location=self.region)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

    # -- upload ----------------------------------------------------------------------------
    def put_file(self, key: str, path: str | os.PathLike[str]) -> ObjectInfo:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            return self.put_stream(key, f, length=size)

    def put_stream(self, key: str, fileobj: BinaryIO, length: int = -1) -> ObjectInfo:
        """Upload from a readable stream; unknown length (-1) uploads in parts of part_size."""
        part_size = self._part_size_for(length)
        hasher = _PartHasher(part_size)
        reader = _HashingReader(fileobj, hasher)
        with self._errors("upload", key):
            result = self._client.put_object(
                self.bucket, key, reader, length, part_size=part_size,
                num_parallel_uploads=1, metadata={PART_SIZE_META: str(part_size)},
            )
        if length >= 0 and hasher.size != length:
            raise ArtifactError(f"{self.url(key)}: stream gave {hasher.size} bytes, expected {length}")
        info = self.stat_info(key)
        etag = info.etag or (result.etag or "").strip('"')
        check = self.verify_checksums and _checkable_etag(etag, part_size)
        _verify(self.url(key), info.size, etag, hasher, check, sent=True)
        return info

    def put_chunks(self, key: str, chunks: Iterable[bytes | memoryview], length: int = -1,
                   md5: bool = True) -> ObjectInfo:
        """Upload a stream given as chunks, verified as put_stream does. Parts are filled in reused
        buffers and sent with the client's multipart calls: parts are hashed and uploaded by threads
        while the next one fills (never a copy of them: put_object copies each part twice);
        put_stream where the client lacks those calls.

        md5=False: the parts of a multipart upload are not hashed and only the size is checked, for
        a stream that carries its own end-to-end check (a gzip member's CRC-32 and length, checked
        by every reader); a single-part object is still hashed (it is small)."""
        calls = [getattr(self._client, name, None) for name in
                 ("_create_multipart_upload", "_upload_part", "_complete_multipart_upload",
                  "_abort_multipart_upload")]
        if not all(callable(c) for c in calls):
            from .streams import ChunkReader
            return self.put_stream(key, ChunkReader(chunks), length)  # type: ignore[arg-type]
        part_size = self._part_size_for(length)
        hasher = _PartHasher(part_size)
        bufs = [bytearray(part_size)]
        parts = _fill_parts(chunks, bufs)
        first = next(parts)
        meta = {PART_SIZE_META: str(part_size)}
        if first < part_size:  # one part: a plain put
            data = bytes(memoryview(bufs[0])[:first])
            hasher.update(data)
            with self._errors("upload", key):
                self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), metadata=meta)
        else:
            bufs += [bytearray(part_size) for _ in range(IN_FLIGHT)]  # the next part fills while others are sent
            self._put_parts(key, calls, meta, parts, first, bufs, hasher, md5)
        if length >= 0 and hasher.size != length:
            raise ArtifactError(f"{self.url(key)}: stream gave {hasher.size} bytes, expected {length}")
        info = self.stat_info(key)
        check = self.verify_checksums and _checkable_etag(info.etag, part_size) and (md5 or first < part_size)
        _verify(self.url(key), info.size, info.etag, hasher, check, sent=True)
        return info

    def _put_parts(self, key: str, calls: list[Any], meta: dict[str, str], parts: Iterator[int], filled: int,
                   bufs: list[bytearray], hasher: _PartHasher, md5: bool) -> None:
        """A multipart upload of the parts `_fill_parts` fills in turn into `bufs`; the first is filled.
        len(bufs) - 1 threads hash and send parts (each part is hashed apart: a multipart ETag is the MD5
        of the parts' MD5s) while the next one fills; a buffer is filled again once its part is sent.
        md5 False: parts are counted, not hashed (put_chunks' md5=False)."""
        from concurrent.futures import Future, ThreadPoolExecutor

        from minio.datatypes import Part
        create, upload, complete, abort = calls
        with self._errors("upload", key):
            upload_id = create(self.bucket, key, {"Content-Type": "application/octet-stream", **meta})

        def send(number: int, data: bytes | bytearray) -> tuple[Part, Any, int]:
            digest = hashlib.md5(data) if md5 else None  # hashlib releases the GIL: overlaps the filling
            with self._errors("upload", key):
                return Part(number, upload(self.bucket, key, data, None, upload_id, number)), digest, len(data)

        done: list[Part] = []

        def finish(sent: Future[tuple[Part, Any, int]]) -> None:
            part, digest, size = sent.result()
            done.append(part)
            if digest is None:
                hasher.count(size)
            else:
                hasher.add_part(digest, size)

        try:
            with ThreadPoolExecutor(len(bufs) - 1, thread_name_prefix="localflow-s3-part") as pool:
                pending: deque[Future[tuple[Part, Any, int]]] = deque()
                number = 0
                while filled:
                    buf = bufs[number % len(bufs)]  # where _fill_parts put part `number`
                    number += 1
                    data = buf if filled == len(buf) else bytes(memoryview(buf)[:filled])
                    pending.append(pool.submit(send, number, data))
                    if len(pending) == len(bufs):
                        finish(pending.popleft())  # its buffer is the one filled next
                    filled = next(parts, 0)
                while pending:
                    finish(pending.popleft())
            with self._errors("upload", key):
                complete(self.bucket, key, upload_id, done)
        except BaseException:
            with contextlib.suppress(Exception):
                abort(self.bucket, key, upload_id)
            raise

    def _part_size_for(self, length: int) -> int:
        if length <= 0:
            return self.part_size
        needed = -(-length // MAX_PARTS)
        return max(self.part_size, -(-needed // MiB) * MiB)

    def copy(self, src_key: str, dest_key: str) -> ObjectInfo:
        """Server-side copy within the bucket."""
        from minio.commonconfig import CopySource
        with self._errors("copy", src_key):
            self._client.copy_object(self.bucket, dest_key, CopySource(self.bucket, src_key))
        return self.stat_info(dest_key)

    # -- download --------------------------------------------------------------------------
    def open(self, key: str) -> VerifyingReader:
        """A verified stream of the object's bytes (close it, or use `with`)."""
        info, part_size = self._stat(key)
        with self._errors("download", key):
            response = self._client.get_object(self.bucket, key)
        return VerifyingReader(
            response, self.url(key), info.size, info.etag, part_size, self.verify_checksums
        )

    def get_to_file(self, key: str, path: str | os.PathLike[str], chunk_size: int = MiB) -> ObjectInfo:
        """Download to `path` (written beside it first, renamed when verified)."""
        target = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(target))
        os.makedirs(parent, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=parent)
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as stream:
                while chunk := stream.read(chunk_size):
                    out.write(chunk)
                info = ObjectInfo(key, stream.size, stream.etag)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return info

    # -- metadata --------------------------------------------------------------------------
    def stat(self, key: str) -> tuple[int, str]:
        info = self.stat_info(key)
        return info.size, info.etag

    def stat_info(self, key: str) -> ObjectInfo:
        return self._stat(key)[0]

    def _stat(self, key: str) -> tuple[ObjectInfo, int | None]:
        with self._errors("stat", key):
            obj = self._client.stat_object(self.bucket, key)
        meta = {k.lower(): v for k, v in (obj.metadata or {}).items()}
        part = meta.get(PART_SIZE_META)
        part_size = int(part) if part and part.isdigit() else None
        return ObjectInfo(key, int(obj.size or 0), (obj.etag or "").strip('"')), part_size

    def exists(self, key: str) -> bool:
        try:
            self.stat_info(key)
        except ArtifactNotFound:
            return False
        return True

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix` (recursively), in key order."""
        with self._errors("list", prefix):
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.is_dir or obj.object_name is None:
                    continue
                yield ObjectInfo(obj.object_name, int(obj.size or 0), (obj.etag or "").strip('"'))

    def is_directory(self, key: str) -> bool:
        """True when objects exist under `key/` (Argo's notion of an S3 'directory')."""
        prefix = key.rstrip("/") + "/" if key else ""
        return next(iter(self.list_objects(prefix)), None) is not None

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; returns how many were deleted."""
        keys = [o.key for o in self.list_objects(prefix)]
        if not keys:
            return 0
        from minio.deleteobjects import DeleteObject
        with self._errors("delete", prefix):
            errors = list(self._client.remove_objects(self.bucket, (DeleteObject(k) for k in keys)))
        if errors:
            raise ArtifactError(
                f"{self.url(prefix)}: could not delete {len(errors)} object(s): {errors[0].message}"
            )
        return len(keys)

    @contextlib.contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        import urllib3
        from minio.error import MinioException, S3Error
        try:
            yield
        except S3Error as exc:
            cls = ArtifactNotFound if exc.code in _NOT_FOUND_CODES else ArtifactError
            raise cls(f"{action} {self.url(key)} failed: {exc.code}: {_one_line(exc.message)}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise ArtifactError(f"{action} {self.url(key)} failed: {_one_line(exc)}") from exc


def _fill_parts(chunks: Iterable[bytes | memoryview], bufs: list[bytearray]) -> Iterator[int]:
    """Fill the buffers from the chunks in turn (part n goes to bufs[n % len(bufs)], as long as the list
    is when part n starts): yields how full each is (the last time possibly less than full; at least
    once, 0 for no data). The buffer filled next must be free when asking again."""
    n, filled = 0, 0
    buf = bufs[0]
    size = len(buf)
    for chunk in chunks:
        view = memoryview(chunk)
        while len(view):
            take = min(len(view), size - filled)
            buf[filled:filled + take] = view[:take]
            filled += take
            view = view[take:]
            if filled == size:
                yield filled
                n, filled = n + 1, 0
                buf = bufs[n % len(bufs)]
    yield filled


def _checkable_etag(etag: str, part_size: int | None) -> bool:
    """Whether an ETag can be recomputed from the bytes (given the upload's part size)."""
    if not _MD5_ETAG.match(etag):
        return False
    return "-" not in etag or part_size is not None


def _verify(
    where: str, size: int, etag: str, hasher: _PartHasher, check_md5: bool, sent: bool = False
) -> None:
    verb = "sent" if sent else "received"
    if hasher.size != size:
        raise ArtifactError(
            f"{where}: integrity check failed: {verb} {hasher.size} bytes, server has {size}"
        )
    if check_md5:
        expected = hasher.etag()
        if expected != etag:
            raise ArtifactError(
                f"{where}: integrity check failed: checksum of the {verb} data {expected} "
                f"does not match the server's {etag}"
            )


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 300 else text[:297] + "..."
