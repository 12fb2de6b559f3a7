"""Read a stored run for the reports: the workflow (`Store().get_run`) and its log lines per node,
with the values of local Secrets masked as `localflow get/logs` mask them; and write report files
(atomically: a CI never collects half a file)."""

from __future__ import annotations

import contextlib
import heapq
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

MAX_LINES_PER_NODE = 20000


def run_logs(run: str, nodes: dict[str, dict[str, Any]], base: Path | None = None) -> dict[str, list[str]]:
    """{node id: lines} from the run's log files, containers merged in time order; lines of a
    container other than main/init/wait are prefixed `[name] `. Files keyed by a display name (older
    writers) are matched to the node of that display name."""
    from localflow.store import logs as L
    by_display: dict[str, str] = {}
    for nid, n in nodes.items():
        by_display.setdefault(str(n.get("displayName", nid)), nid)
    streams: dict[str, list[list[tuple[str, str]]]] = {}
    for path in L.files_of(run, base):
        parsed = L.parse_file_name(path.name)
        if parsed is None:
            continue
        key, container = parsed
        nid = key if key in nodes else by_display.get(key, key)
        prefix = "" if container in ("main", "init", "wait") else f"[{container}] "
        records: list[tuple[str, str]] = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                if not raw.endswith("\n"):
                    break  # a line still being written
                line = raw[:-1]
                stamp, text = "", line
                if len(line) > L.TS_LEN and line[L.TS_LEN] == " " and line[L.TS_LEN - 1] == "Z":
                    stamp, text = line[:L.TS_LEN], line[L.TS_LEN + 1:]
                records.append((stamp, prefix + text))
        streams.setdefault(nid, []).append(records)
    out: dict[str, list[str]] = {}
    for nid, lists in streams.items():
        lines = [text for _, text in heapq.merge(*lists, key=lambda r: r[0])]
        if len(lines) > MAX_LINES_PER_NODE:
            cut = len(lines) - MAX_LINES_PER_NODE
            lines = [f"[... {cut} earlier lines left out of the report: localflow logs shows them]"] + \
                lines[-MAX_LINES_PER_NODE:]
        out[nid] = lines
    return out


def load_run(name: str, store: Any = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(workflow, logs) of a stored run; `name` may be `@latest`. Raises NoSuchRun (exit code 2)."""
    if store is None:
        from localflow.store.db import Store
        store = Store()
    run = store.resolve(name)
    wf = store.get_run(run)
    logs = run_logs(run, (wf.get("status") or {}).get("nodes") or {}, base=store.path.parent)
    from localflow.store import secrets as S
    values = S.secret_values()
    return S.mask(wf, values), S.mask(logs, values)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` to `path` ("-" is standard output) through a temporary file and a rename."""
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_html_for(run_name: str, path: str | os.PathLike[str], store: Any = None) -> None:
    """Write the HTML report of a stored run (`@latest` works) to `path`."""
    from .html import render_html
    wf, logs = load_run(run_name, store)
    write_text(path, render_html(wf, logs))
