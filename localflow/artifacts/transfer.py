"""What the engine calls to move an artifact between a container and the repository.

    # step A finished: its output artifact `name` at `path` (Argo's key layout)
    chunks, _stat = container_a.get_archive(path)           # the runtime does this
    saved = save_output(chunks, repo, f"{workflow}/{pod_a}", name, path, archive="tar")

    # step B, before it starts: the input artifact at `dest`
    with load_input(repo, saved.key, dest, mode=None) as tar:
        container_b.put_archive(tar.put_path, tar.fileobj)   # the runtime does this
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from localflow.artifacts import archive as arc
from localflow.artifacts import streams as S
from localflow.artifacts.repository import ArtifactNotFound, S3Repository, VerifyingReader
from localflow.errors import ArtifactError


@dataclass(frozen=True)
class SavedArtifact:
    key: str  # the object's key; for a directory stored with archive none, the key prefix
    archive: str  # "tar" | "none"
    kind: str  # "file" | "dir" | "symlink"
    size: int  # bytes stored (summed over objects for a directory with archive none)
    objects: int  # objects written


def output_key(key_prefix: str, name: str, path: str, archive: str = "tar") -> str:
    """Argo's key: `<prefix>/<name>.tgz` for tar; `<prefix>/<basename(path)>` for none."""
    prefix = key_prefix.strip("/")
    if archive == "tar":
        leaf = f"{name}.tgz"
    elif archive == "none":
        leaf = posixpath.basename(posixpath.normpath(path)) or name
    else:
        raise ArtifactError(f"archive strategy {archive!r} is not supported (tar or none)")
    return f"{prefix}/{leaf}" if prefix else leaf


def save_output(
    tar_stream: BinaryIO | Iterable[bytes],
    repo: S3Repository,
    key_prefix: str,
    name: str,
    path: str,
    archive: str = "tar",
    compression_level: int | None = None,
    key: str | None = None,
) -> SavedArtifact:
    """Store a container's `get_archive(path)` stream; `key` overrides Argo's key layout."""
    key = key or output_key(key_prefix, name, path, archive)
    if archive == "tar":
        return _save_tar(tar_stream, repo, key, compression_level)
    if archive != "none":
        raise ArtifactError(f"archive strategy {archive!r} is not supported (tar or none)")
    total = objects = 0
    kind = "file"
    stored: dict[str, str] = {}  # tar member name -> object key, for hard links
    # a thread reads the container's archive while this one uploads
    chunks = S.prefetch(arc.chunks_of(tar_stream), max_items=8, name="localflow-archive-read")
    try:
        for rel, entry in arc.docker_entries(S.ChunkSource(chunks)):
            info = entry.info
            if rel == "":
                if info.issym():
                    raise ArtifactError(f"output artifact {name!r}: {path} is a symbolic link")
                kind = "dir" if info.isdir() else "file"
            object_key = key if rel == "" else f"{key}/{rel}"
            if info.isreg():
                total += repo.put_chunks(object_key, entry.pieces(), length=info.size).size
            elif info.islnk() and info.linkname.rstrip("/") in stored:
                total += repo.copy(stored[info.linkname.rstrip("/")], object_key).size
            else:  # directories and symbolic links: Argo stores regular files only
                continue
            stored[info.name.rstrip("/")] = object_key
            objects += 1
    finally:
        chunks.close()
    return SavedArtifact(key, "none", kind, total, objects)


def _save_tar(tar_stream: BinaryIO | Iterable[bytes], repo: S3Repository, key: str,
              compression_level: int | None) -> SavedArtifact:
    """The Docker tar gzipped on its way to S3: a thread reads it, checks its entries and cuts it
    into segments; a pool compresses them; this thread uploads the result as it comes (multipart).
    At most a few segments and one part are in memory; nothing goes to disk."""
    level = arc.gzip_level(compression_level)
    n = S.workers()
    pool = ThreadPoolExecutor(n, thread_name_prefix="localflow-gzip")
    summary: list[tuple[str, str, int]] = []

    def produce(pipe: S.Pipe) -> None:
        gz = S.GzipWriter(level, pool, pipe.put)
        summary.append(arc.summarise_docker_tar(S.ChunkSource(arc.chunks_of(tar_stream), tap=gz.write)))
        gz.close()

    pipe, thread = S.run_producer(produce, n + 1, "localflow-archive-gzip")
    try:
        # no MD5 of the parts (0.3 s of CPU per 256 MiB, beside the SHA-256 the client already
        # signs each part with over http): the gzip member carries its own end-to-end check, the
        # CRC-32 and length of every byte in its trailer, which every reader verifies (zlib here,
        # Go's gzip reader in Argo's executor, which checks no ETag either). The size is checked.
        stored = repo.put_chunks(key, pipe.items(), md5=False)
    finally:
        pipe.cancel()
        thread.join(timeout=60)
        pool.shutdown(wait=True, cancel_futures=True)
    kind = summary[0][0] if summary else "file"
    return SavedArtifact(key, "tar", kind, stored.size, 1)


def load_input(
    repo: S3Repository,
    key: str,
    dest_path: str,
    mode: int | None = None,
    archive: str | None = None,
    recurse_mode: bool = False,
) -> arc.DockerTar:
    """A tar that puts the artifact stored at `key` exactly at `dest_path` in a container.

    `key` may be a 'directory' (objects under `key/`, as archive none stores directories).
    Raises ArtifactNotFound when neither exists (optional artifacts are then skipped).
    `archive` is the input's explicit strategy ("tar" | "none"), None to detect.
    """
    if archive not in (None, "tar", "none"):
        raise ArtifactError(f"archive strategy {archive!r} is not supported (tar or none)")
    try:
        size = repo.stat_info(key).size
    except ArtifactNotFound:
        if not repo.is_directory(key):
            raise
        return directory_to_docker_tar(repo, key, dest_path, mode, recurse_mode)

    reads = _ObjectReads(repo, key)

    def open_chunks() -> Iterator[bytes]:  # read (and verified) by a thread, a few MiB ahead
        return S.prefetch(reads.chunks(), max_items=4, name="localflow-artifact-read")

    return arc.streamed_docker_tar(open_chunks, size, dest_path, mode, archive, recurse_mode,  # type: ignore[arg-type]
                                   gunzipped=reads.gunzipped)


class _ObjectReads:
    """The reads of one stored object (read twice when a .tgz turns out to have several top entries).

    Each is checked against the object's size and, until `gunzipped()`, its MD5 ETag: once the
    object is known to go whole through gunzip, the gzip trailer's CRC-32 and length check every
    byte (as in Argo's executor, whose Go gzip reader checks them and no ETag), and hashing it
    again would cost 0.3 s of CPU per 256 MiB while the engine unpacks the tar."""

    def __init__(self, repo: S3Repository, key: str) -> None:
        self._repo, self._key = repo, key
        self._crc_checked = False
        self._open: list[VerifyingReader] = []

    def chunks(self) -> Iterator[bytes]:
        with self._repo.open(self._key) as stream:
            self._open.append(stream)  # before looking at the flag: gunzipped() sees it, or it the flag
            if self._crc_checked:
                stream.skip_md5()
            yield from S.ReaderChunks(stream)

    def gunzipped(self) -> None:
        self._crc_checked = True
        for stream in self._open:
            stream.skip_md5()


def _object_chunks(repo: S3Repository, key: str) -> Iterator[bytes]:
    with repo.open(key) as stream:
        yield from S.ReaderChunks(stream)


def directory_to_docker_tar(
    repo: S3Repository, prefix: str, dest_path: str, mode: int | None = None, recurse_mode: bool = False
) -> arc.DockerTar:
    """Every object under `prefix/` as files of a directory at dest_path (streamed)."""
    dest = arc.dest_name(dest_path)
    base = prefix.rstrip("/") + "/"

    def chunks() -> Iterator[bytes]:
        yield S.tar_header(arc.dir_entry(dest, 0o755 if mode is None else mode))
        for obj in repo.list_objects(base):
            rel = posixpath.normpath(obj.key[len(base):])
            if rel in (".", "") or rel.startswith("../"):
                continue
            file_mode = mode if (mode is not None and recurse_mode) else 0o644
            yield S.tar_header(arc.file_entry(f"{dest}/{rel}", obj.size, file_mode))
            sent = 0
            for chunk in _object_chunks(repo, obj.key):
                sent += len(chunk)
                yield chunk
            if sent != obj.size:
                raise ArtifactError(f"{repo.url(obj.key)}: got {sent} bytes, listed with {obj.size}")
            yield S.tar_padding(obj.size)
        yield S.TAR_END

    gen = chunks()
    return arc.DockerTar("/", S.ChunkReader(gen), -1, "dir", chunks=gen)  # type: ignore[arg-type]


def save_local_path(
    repo: S3Repository,
    key: str,
    path: str,
    compression_level: int | None = None,
) -> SavedArtifact:
    """Store a local file or folder (`--input-artifact NAME=PATH`) as Argo would (tar)."""
    with arc.spooled() as tmp:
        info = arc.local_path_to_stored(path, tmp, compression_level)
        size = tmp.tell()
        tmp.seek(0)
        stored = repo.put_stream(key, tmp, length=size)
    return SavedArtifact(key, "tar", info.kind, stored.size, 1)


def download(repo: S3Repository, key: str, dest_path: str, archive: str | None = None) -> str:
    """Fetch an artifact to a local path, unpacked as Argo's executor would."""
    if repo.exists(key):
        with repo.open(key) as stream, arc.spooled() as tmp:
            arc.copy(stream, tmp)  # type: ignore[arg-type]
            tmp.seek(0)
            return arc.stored_to_local(tmp, dest_path, archive)  # type: ignore[arg-type]
    from localflow.artifacts.sources import download_prefix

    if download_prefix(repo, key, dest_path) == 0:
        raise ArtifactNotFound(f"{repo.url(key)}: no such object or prefix")
    return dest_path
