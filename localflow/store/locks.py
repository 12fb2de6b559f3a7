"""Synchronization locks shared by every localflow process on this machine: lock files under
$LOCALFLOW_HOME/locks, one directory per lock, one file per slot of its limit, each held with flock.

A lock held by a process that dies (kill -9, a crash) is released by the kernel with its file
descriptor, so no lock outlives its run. Each slot file names its holder while held (for people).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from urllib.parse import quote

from .paths import home


class FileLocks:
    """The engine's LockProvider (localflow/engine/sync.py) across processes."""

    def __init__(self, root: Path | None = None):
        self.root = root or home() / "locks"
        self.fds: dict[tuple[str, str], int] = {}

    def _dir(self, key: str) -> Path:
        d = self.root / quote(key, safe="")
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return d

    def try_acquire(self, key: str, limit: int, holder: str) -> bool:
        if (key, holder) in self.fds:
            return True
        d = self._dir(key)
        for i in range(limit):
            fd = os.open(d / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # per open file: slots conflict within a process too
            except OSError:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{holder} pid {os.getpid()}\n".encode(), 0)
            self.fds[(key, holder)] = fd
            return True
        return False

    def release(self, key: str, holder: str) -> None:
        fd = self.fds.pop((key, holder), None)
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor of this open file drops the flock

    def release_all(self) -> None:
        for key, holder in list(self.fds):
            self.release(key, holder)
