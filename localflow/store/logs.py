"""Container logs beside the database: `home()/logs/<run>/<node>.<container>.log`.

One file per node and container. `<node>` is the node's id when the writer knows it (ids are unique
within a run, display names are not: a DAG template called twice has two tasks named `A`), else its
display name; either is percent-encoded (dots too) so any name makes a safe, reversible file name.
Each line is stored as `<RFC3339 UTC timestamp with microseconds> <text>`, so `--since` can filter
and lines of several files can be merged in time order; readers show the text without it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import heapq
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

from .paths import home

TS_LEN = len("2006-01-02T15:04:05.000000Z")
MAX_OPEN = 128


def ts_text(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def logs_root(base: Path | None = None) -> Path:
    return (base or home()) / "logs"


def log_dir(run: str, base: Path | None = None) -> Path:
    return logs_root(base) / _encode(run)


def _encode(s: str) -> str:
    return quote(s, safe="").replace(".", "%2E") or "%00"


def file_name(key: str, container: str) -> str:
    return f"{_encode(key)}.{_encode(container)}.log"


def parse_file_name(name: str) -> tuple[str, str] | None:
    """(node key, container) from a log file's name, or None for other files."""
    parts = name.split(".")
    if len(parts) != 3 or parts[2] != "log":
        return None
    return unquote(parts[0]), unquote(parts[1])


def parse_since(text: str, now: float | None = None) -> float:
    """`--since`: a duration back from now (`10m`, `1h30m`, `45s`, `2d`) or an RFC3339 time -> epoch seconds."""
    text = text.strip()
    now = time.time() if now is None else now
    m = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+)", text)
    if m:
        units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
        total = sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text))
        return now - total
    try:
        d = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r}: expected a duration such as 10m, 1h30m, 45s, or an RFC3339 time") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.timestamp()


class LogWriter:
    """Appends lines to the log files; many threads may call `append` at once."""

    def __init__(self, base: Path | None = None):
        self.base = base
        self._root: Path | None = None
        self._root_for: tuple[str | None, str | None] | None = None
        self._lock = threading.Lock()
        self._handles: OrderedDict[Path, IO[str]] = OrderedDict()

    def _path(self, run: str, key: str, container: str) -> Path:
        if self.base is None:  # follow $LOCALFLOW_HOME if it changes (tests do)
            env = (os.environ.get("LOCALFLOW_HOME"), os.environ.get("XDG_DATA_HOME"))
            if self._root is None or env != self._root_for:
                self._root, self._root_for = logs_root(), env
        elif self._root is None:
            self._root = logs_root(self.base)
        assert self._root is not None
        return self._root / _encode(run) / file_name(key, container)

    def append(self, run: str, node_id: str | None, display: str, container: str, line: str,
               ts: float | None = None) -> None:
        path = self._path(run, node_id or display, container or "main")
        stamp = ts_text(time.time() if ts is None else ts)
        text = "".join(f"{stamp} {part}\n" for part in line.rstrip("\n").split("\n"))
        with self._lock:
            fh = self._handles.get(path)
            if fh is None:
                fh = self._open(path)
            else:
                self._handles.move_to_end(path)
            fh.write(text)
            fh.flush()

    def _open(self, path: Path) -> IO[str]:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fh = os.fdopen(fd, "a", encoding="utf-8", errors="replace")
        self._handles[path] = fh
        while len(self._handles) > MAX_OPEN:
            _, old = self._handles.popitem(last=False)
            old.close()
        return fh

    def close_run(self, run: str) -> None:
        prefix = self._path(run, "x", "x").parent
        with self._lock:
            for p in [p for p in self._handles if p.parent == prefix]:
                self._handles.pop(p).close()

    def close(self) -> None:
        with self._lock:
            while self._handles:
                _, fh = self._handles.popitem()
                fh.close()


_default = LogWriter()


def append(run: str, node_id: str | None, display: str, container: str, line: str) -> None:
    """Append through a process-wide writer (handles cached, lock held per line)."""
    _default.append(run, node_id, display, container, line)


def remove(run: str, base: Path | None = None) -> bool:
    d = log_dir(run, base)
    _default.close_run(run)
    if d.is_dir():
        shutil.rmtree(d, ignore_errors=True)
        return True
    return False


# ---- reading ----
class _Selector:
    """Which files of a run to read, and the display name to show for each."""

    def __init__(self, node: str | None, container: str | None, nodes: dict[str, dict[str, Any]]):
        self.node = node
        self.container = container
        self.update(nodes)

    def update(self, nodes: dict[str, dict[str, Any]]) -> None:
        self.nodes = nodes
        self.wanted: set[str] | None = None
        if self.node is not None:
            self.wanted = {self.node} | {nid for nid, n in nodes.items()
                                         if self.node in (n.get("displayName"), n.get("name"), nid)}

    def display(self, key: str) -> str:
        n = self.nodes.get(key)
        return n.get("displayName", key) if n else key

    def accepts(self, key: str, container: str) -> bool:
        if self.container is not None and container != self.container:
            return False
        return self.wanted is None or key in self.wanted


def _files(run: str, base: Path | None) -> list[tuple[str, str, Path]]:
    d = log_dir(run, base)
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.iterdir()):
        parsed = parse_file_name(p.name)
        if parsed is not None:
            out.append((parsed[0], parsed[1], p))
    return out


def _split(raw: str) -> tuple[str, str]:
    if len(raw) > TS_LEN and raw[TS_LEN] == " " and raw[TS_LEN - 1] == "Z":
        return raw[:TS_LEN], raw[TS_LEN + 1:]
    return "", raw


def _records(path: Path, display: str, container: str, cutoff: str) -> Iterator[tuple[str, str, str, str]]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            if not raw.endswith("\n"):
                break  # a line still being written
            stamp, text = _split(raw[:-1])
            if cutoff and stamp < cutoff:
                continue
            yield stamp, display, container, text


def _load_nodes(run: str, nodes: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    if nodes is not None:
        return nodes
    from .db import Store
    return Store().nodes(run)


def read_records(run: str, node: str | None = None, container: str | None = None, since: float | None = None,
                 nodes: dict[str, dict[str, Any]] | None = None,
                 base: Path | None = None) -> Iterator[tuple[str, str, str, str]]:
    """(timestamp, display, container, line) of every matching file, merged in time order."""
    sel = _Selector(node, container, _load_nodes(run, nodes))
    cutoff = ts_text(since) if since is not None else ""
    streams = [_records(p, sel.display(key), cont, cutoff) for key, cont, p in _files(run, base)
               if sel.accepts(key, cont)]
    yield from heapq.merge(*streams, key=lambda r: r[0])


def read(run: str, node: str | None = None, container: str | None = None, since: float | None = None,
         nodes: dict[str, dict[str, Any]] | None = None, base: Path | None = None) -> Iterator[tuple[str, str, str]]:
    """(display, container, line) for the run's logs; `node` matches a display name, node name or id."""
    for _, display, cont, text in read_records(run, node, container, since, nodes, base):
        yield display, cont, text


def follow(run: str, node: str | None = None, container: str | None = None, since: float | None = None,
           *, store: Any = None, interval: float = 0.5, base: Path | None = None,
           sleep: Callable[[float], None] = time.sleep) -> Iterator[tuple[str, str, str]]:
    """Like `tail -f` over the run's files until the run has finished (its phase, read from the db)
    or its localflow process has gone (an orphan: see `recorder.reap_orphans`)."""
    if store is None:
        from .db import Store
        store = Store()
    from .db import ACTIVE_PHASES
    sel = _Selector(node, container, store.nodes(run))
    cutoff = ts_text(since) if since is not None else ""
    open_files: dict[Path, tuple[IO[str], str, str]] = {}
    partial: dict[Path, str] = {}
    with contextlib.ExitStack() as files:
        while True:
            done = store.phase(run) not in ACTIVE_PHASES or any(o["name"] == run for o in store.orphans())
            sel.update(store.nodes(run))
            for key, cont, p in _files(run, base):
                if p not in open_files and sel.accepts(key, cont):
                    fh = files.enter_context(open(p, encoding="utf-8", errors="replace"))
                    open_files[p] = (fh, key, cont)
            batch: list[tuple[str, str, str, str]] = []
            for p, (fh, key, cont) in open_files.items():
                chunk = fh.read()
                if not chunk:
                    continue
                lines = (partial.pop(p, "") + chunk).split("\n")
                if lines[-1]:
                    partial[p] = lines[-1]
                for raw in lines[:-1]:
                    stamp, text = _split(raw)
                    if not cutoff or stamp >= cutoff:
                        batch.append((stamp, sel.display(key), cont, text))
            batch.sort(key=lambda r: r[0])
            for _, display, cont, text in batch:
                yield display, cont, text
            if done:
                return
            sleep(interval)


def files_of(run: str, base: Path | None = None) -> Iterable[Path]:
    return [p for _, _, p in _files(run, base)]
