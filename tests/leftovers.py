"""Docker objects labelled `localflow.run`, and which of them belong to this test session.

An object is the test's own when its `localflow.pid` label is this pytest process, or when its run
and its pid are those of a run recorded in a history (`localflow.db`) under the test's tmp_path (the
CLI processes the test started). Other processes' objects on a shared engine never count.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

RUN, PID = "localflow.run", "localflow.pid"


def labelled_objects() -> list[tuple[str, str, dict]]:
    """(kind, id or name, labels) of every container, network and volume labelled localflow.run."""
    from needs import need
    api = need("docker").api
    flt = {"label": RUN}
    found = [("container", c["Id"], c.get("Labels") or {}) for c in api.containers(all=True, filters=flt)]
    found += [("network", n["Id"], n.get("Labels") or {}) for n in api.networks(filters=flt)]
    found += [("volume", v["Name"], v.get("Labels") or {})
              for v in (api.volumes(filters=flt) or {}).get("Volumes") or []]
    return found


def recorded_runs(root: Path) -> set[tuple[str, str]]:
    """(run, pid) of every run in the histories under `root`."""
    runs: set[tuple[str, str]] = set()
    for db in root.rglob("localflow.db"):
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            try:
                runs |= {(name, str(pid)) for name, pid in conn.execute("SELECT name, pid FROM runs")}
            finally:
                conn.close()
    return runs


def mine(objects: list[tuple[str, str, dict]], root: Path) -> Iterator[tuple[str, str, str]]:
    """(key, description, run) of the objects that belong to this pytest process or to the runs under root."""
    runs = recorded_runs(root) if root.is_dir() else set()
    me = str(os.getpid())
    for kind, ident, labels in objects:
        run, pid = labels.get(RUN, ""), labels.get(PID, "")
        if pid == me or (run, pid) in runs:
            yield f"{kind}:{ident}", f"{kind} {ident[:12]} of run {run}", run
