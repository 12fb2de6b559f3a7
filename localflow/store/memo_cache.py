"""Memoization caches in localflow's config map store (the engine's MemoCache, localflow/engine/memo.py).

A cache is a ConfigMap labelled `workflows.argoproj.io/configmap-type: Cache`, as Argo's controller
makes it; like Argo, a config map of that name without the label is refused rather than overwritten.
Reads and writes hold an flock on $LOCALFLOW_HOME/locks/configmaps.lock, so concurrent runs that
share a cache do not lose each other's entries.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from . import secrets as S
from .paths import home

LABEL = "workflows.argoproj.io/configmap-type"
CACHE = "Cache"


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    d = home() / "locks"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(d / "configmaps.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check(manifest: dict) -> None:
    label = ((manifest.get("metadata") or {}).get("labels") or {}).get(LABEL)
    if label is None:
        raise ValueError(f"memoization configmap doesn't have {LABEL} label, refusing to use it")
    if label != CACHE:
        raise ValueError(f"memoization configmap doesn't have label {LABEL} = {CACHE}, refusing to use it")


class ConfigMapCache:
    def load(self, cache: str, key: str) -> str | None:
        with _locked():
            m = S.get("ConfigMap", cache)
        if m is None:
            return None
        _check(m)
        value = (m.get("data") or {}).get(key)
        return str(value) if value else None

    def save(self, cache: str, key: str, entry: str) -> None:
        with _locked():
            m = S.get("ConfigMap", cache)
            if m is None:
                m = S.config_map_manifest(cache, {})
                m["metadata"]["labels"] = {LABEL: CACHE}
            else:
                _check(m)
            m.setdefault("data", {})[key] = entry
            S.save(m)
