"""What a running `localflow submit` writes to the history, and how it hears other processes' requests.

`Recorder` receives the engine's events. `node_changed` only takes a snapshot of the node (in the
engine's thread, so no other thread ever reads live engine objects); a background thread writes the
snapshots and the run's row in one transaction at most every `interval` seconds. `log` appends to the
log files from whichever thread calls it.

`StoreControl` is the engine's `Control` fed from the `requests` table: `localflow stop/terminate/
resume/suspend` in another process add a row; `poll` (called by suspended nodes, and by
`watch_requests` for everything else) acts on it and marks it handled.

`reap_orphans` finds runs whose row says Pending/Running but whose localflow process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from localflow.engine.interfaces import Control, tuned_collector
from localflow.errors import LocalflowError

from .db import ACTIVE_PHASES, Store, pid_alive, process_start  # noqa: F401 - pid_alive re-exported
from .logs import LogWriter

ORPHAN_MESSAGE = "localflow process exited while the run was going on"
UNFINISHED_MESSAGE = "localflow stopped recording before the run finished"
DONE = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})


class RunExists(LocalflowError):
    exit_code = 2

    def __init__(self, name: str):
        super().__init__(f'a run named "{name}" already exists (localflow delete {name}, or choose another --name)')


def _without_nodes(doc: dict[str, Any]) -> dict[str, Any]:
    """The run's document as the history keeps it: its nodes are in the node table (written with it), so
    `status.nodes` keeps only their order, as `{id: {}}` (store.db.workflow_of puts them back). A
    100,000-node run's document was 60 MB of JSON that `get` decoded twice."""
    status = doc.get("status")
    if not isinstance(status, dict) or not status.get("nodes"):
        return doc
    return {**doc, "status": {**status, "nodes": dict.fromkeys(status["nodes"], {})}}


class Recorder:
    """The engine's `Events` that record into the history. Use `started(run)`, then `finished(run)`, `close()`."""

    def __init__(self, store: Store, run_name: str | None = None, file: str | None = None,
                 argv: list[str] | None = None, *, interval: float = 0.5, cwd: str | None = None,
                 allow_existing: bool = False, mask: Callable[[str], str] | None = None):
        self.store = store
        self.run_name = run_name
        self.file = os.path.abspath(file) if file else None
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.cwd = cwd or os.getcwd()
        self.interval = interval
        self.allow_existing = allow_existing
        self.mask = mask or (lambda text: text)
        self.logs = LogWriter(base=store.path.parent)
        self.errors: list[str] = []
        self.flushes = 0
        self._run: Any = None
        self._lock = threading.Lock()
        self._dirty: dict[str, dict[str, Any]] = {}
        self._notices: list[str] = []
        self._pods: dict[str, list[str]] = {}  # display name -> ids of Pod nodes
        self._live: dict[str, Any] = {}  # id -> the engine's node (only its lists are read, see flush)
        self._snap: dict[str, dict[str, Any]] = {}  # id -> the last snapshot
        self._links: dict[str, tuple[int, int]] = {}  # id -> (children, outbound) counts last written
        self._phase: dict[str, str] = {}
        self._last_row: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._finished = False

    # ---- lifecycle ----
    def started(self, run: Any) -> None:
        """Create the run's row (before `run.execute()`) and start the background writer."""
        self._run = run
        self.run_name = name = run.name
        with self.store.transaction() as conn:
            row = conn.execute("SELECT phase FROM runs WHERE name = ?", (name,)).fetchone()
            if row is not None and not self.allow_existing:
                raise RunExists(name)
            if row is not None and row["phase"] in ACTIVE_PHASES:
                raise RunExists(name)
            self.store.upsert_run(
                name, phase=run.phase, message=run.message or "",
                created=getattr(run, "created_at", None) or time.time(),
                started=run.started_at, finished=run.finished_at, file=self.file, entrypoint=run.entrypoint,
                parameters=list(run.parameters or []), argv=self.argv, cwd=self.cwd, pid=os.getpid(),
                pid_start=process_start(os.getpid()), host=socket.gethostname(), workflow=run.to_argo())
        self._last_row = self._row_fields(run)
        self._thread = threading.Thread(target=self._loop, name=f"localflow-recorder-{name}", daemon=True)
        self._thread.start()

    def finished(self, run: Any) -> None:
        """Write the final state: every node and the whole `run.to_argo()` document."""
        with tuned_collector():  # a large run's nodes: 100,000 new dicts each way (engine/collector.py)
            self._write_final(run)

    def _write_final(self, run: Any) -> None:
        self._run = run
        self._halt()
        doc = run.to_argo()
        with self._lock:
            self._dirty.clear()
            notices, self._notices = self._notices, []
        fields = dict(zip(("phase", "message", "started", "finished"), self._row_fields(run)))
        if fields["phase"] in ACTIVE_PHASES:  # execute() did not get to the end
            fields["phase"], fields["message"] = "Error", run.message or UNFINISHED_MESSAGE
            fields["finished"] = fields["finished"] or time.time()
        nodes = (doc.get("status") or {}).get("nodes") or {}
        with self.store.transaction():
            self.store.upsert_run(self.run_name, workflow=_without_nodes(doc), **fields)
            self.store.put_nodes(self.run_name, nodes.values())
            for n in notices:
                self.store.add_notice(self.run_name, n)
        self._finished = True
        self.logs.close()

    def close(self) -> None:
        """Stop the writer. A run never `finished` is written as it stands, as Error if still active."""
        if self._finished or self._run is None:
            self._halt()
            self.logs.close()
            return
        try:
            self.finished(self._run)
        finally:
            self.logs.close()

    def _halt(self) -> None:
        self._stop.set()
        t, self._thread = self._thread, None
        if t is not None and t is not threading.current_thread():
            t.join()

    # ---- Events ----
    def node_changed(self, run: Any, node: Any) -> None:
        snap = node.to_argo()
        with self._lock:
            self._dirty[node.id] = snap
            self._snap[node.id] = snap
            self._live[node.id] = node
            self._phase[node.id] = snap.get("phase", "")
            if snap.get("type") == "Pod":
                ids = self._pods.setdefault(snap.get("displayName", node.id), [])
                if node.id not in ids:
                    ids.append(node.id)

    def log(self, run: Any, display: str, container: str, line: str) -> None:
        self.logs.append(run.name, self.node_for(display), display, container, self.mask(line))

    def notice(self, run: Any, message: str) -> None:
        if message:
            with self._lock:
                self._notices.append(self.mask(message))

    def node_for(self, display: str) -> str | None:
        """The id of the Pod node showing this display name (the running one if several do)."""
        with self._lock:
            ids = self._pods.get(display)
            if not ids:
                return None
            if len(ids) == 1:
                return ids[0]
            running = [i for i in ids if self._phase.get(i) == "Running"]
            return (running or [i for i in ids if self._phase.get(i) not in DONE] or ids)[-1]

    # ---- the writer ----
    @staticmethod
    def _row_fields(run: Any) -> tuple:
        return (run.phase, run.message or "", run.started_at, run.finished_at)

    def flush(self) -> bool:
        """Write what changed since the last flush in one transaction. True if anything was written."""
        run = self._run
        if run is None:
            return False
        with self._lock:
            self._relink()
            dirty, self._dirty = self._dirty, {}
            notices, self._notices = self._notices, []
        row = self._row_fields(run)
        if not dirty and not notices and row == self._last_row:
            return False
        try:
            with self.store.transaction():
                if row != self._last_row:
                    self.store.upsert_run(self.run_name, **dict(zip(("phase", "message", "started", "finished"), row)))
                self.store.put_nodes(self.run_name, dirty.values())
                for n in notices:
                    self.store.add_notice(self.run_name, n)
        except Exception as e:  # noqa: BLE001 - keep what was not written for the next try
            with self._lock:
                for k, v in dirty.items():
                    self._dirty.setdefault(k, v)
                self._notices[:0] = notices
            self.errors.append(str(e))
            return False
        self._last_row = row
        self.flushes += 1
        return True

    def _relink(self) -> None:
        """The engine appends a child to its parent without reporting the parent: pick such lists up.

        Copying a list another thread appends to is atomic in CPython; nothing else of a live node is read.
        """
        for nid, node in list(self._live.items()):
            if self._links.get(nid) == (len(node.children), len(node.outbound_nodes)):
                continue  # (copying every node's lists first made each flush of a 100,000-node run slow)
            children, outbound = list(node.children), list(node.outbound_nodes)
            counts = (len(children), len(outbound))
            self._links[nid] = counts
            snap = dict(self._dirty.get(nid) or self._snap[nid])
            for key, value in (("children", children), ("outboundNodes", outbound)):
                if value:
                    snap[key] = value
            self._dirty[nid] = self._snap[nid] = snap

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()


class StoreControl(Control):
    """The engine's Control, fed by the `requests` table (stop, terminate, resume, suspend)."""

    def __init__(self, store: Store, run_name: str | None = None, *, min_interval: float = 0.2):
        super().__init__()
        self.store = store
        self.run_name = run_name
        self.suspended = False
        self.min_interval = min_interval
        self.handled: list[dict[str, Any]] = []
        self._last = 0.0
        self._busy = False

    async def poll(self, run: Any) -> None:
        now = time.monotonic()
        if self._busy or now - self._last < self.min_interval:
            return
        self._last, self._busy = now, True
        try:
            name = self.run_name or run.name
            for req in self.store.pending_requests(name):
                result = await self._apply(run, req)
                self.store.mark_handled(req["id"], result)
                self.handled.append(dict(req, result=result))
        finally:
            self._busy = False

    async def _apply(self, run: Any, req: dict[str, Any]) -> str | None:
        """Act on one request; a one-line reason when it cannot be done."""
        kind = req["kind"]
        if kind in ("stop", "terminate"):
            await run.request_stop(terminate=kind == "terminate")
        elif kind == "suspend":
            self.suspended = True
        elif kind == "resume":
            waiting = [n for n in list(run.nodes.values()) if n.type == "Suspend" and not n.done]
            target = req.get("node")
            if target:
                waiting = [n for n in waiting if target in (n.display_name, n.name, n.id)]
                if not waiting:
                    return f'no suspended node matches "{target}"'
            elif not waiting and not self.suspended:
                return "nothing is suspended"
            else:
                self.suspended = False
            self.resumed.update(n.name for n in waiting)
            self.supplied.update({str(k): str(v) for k, v in (req.get("parameters") or {}).items()})
        return None


async def watch_requests(run: Any, control: Control, interval: float = 0.5) -> None:
    """Poll for requests until the run has finished (start it as a task beside `run.execute()`)."""
    while getattr(run, "finished_at", None) is None:
        with contextlib.suppress(Exception):  # a locked db must not kill the run: try again next time
            await control.poll(run)
        await asyncio.sleep(interval)


def connect_docker() -> Any:
    """A Docker client if an engine answers, else None."""
    try:
        from localflow.runtime.remote import client_from_env
        client = client_from_env(timeout=10)
        client.ping()
        return client
    except Exception:  # noqa: BLE001 - no Docker means nothing to clean
        return None


def remove_docker_objects(client: Any, run: str) -> dict[str, int]:
    from localflow.runtime.labels import remove_run_objects
    try:
        return remove_run_objects(client, run)
    except Exception:  # noqa: BLE001 - best effort: the engine may have gone away
        return {}


def reap_orphans(store: Store, docker_client: Any = None, *, cleanup: bool = True) -> list[str]:
    """Mark Error every active run on this host whose process is gone; remove its Docker objects."""
    reaped = [r["name"] for r in store.orphans() if store.mark_orphan(r["name"], ORPHAN_MESSAGE, pid=r["pid"])]
    if reaped and cleanup:
        client = docker_client if docker_client is not None else connect_docker()
        if client is not None:
            for name in reaped:
                remove_docker_objects(client, name)
    return reaped

