"""Run history in SQLite: runs, their nodes (Argo's `status.nodes`) and requests from other processes.

One file, `home()/localflow.db`, shared by every localflow process on the machine: WAL mode (readers
never block the writer), a busy timeout, write transactions taken with BEGIN IMMEDIATE (no lock
upgrades, so no deadlocks between two writers) and one connection per thread and process.
Timestamps are seconds since the epoch (floats); JSON columns hold Argo-shaped dicts.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from localflow.errors import LocalflowError
from localflow.timefmt import iso

from .paths import home

SCHEMA_VERSION = 1
DONE_PHASES = ("Succeeded", "Failed", "Error")
ACTIVE_PHASES = ("Pending", "Running")
REQUEST_KINDS = ("stop", "terminate", "resume", "suspend")
LATEST = "@latest"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name        TEXT PRIMARY KEY,
    phase       TEXT NOT NULL DEFAULT 'Pending',
    message     TEXT NOT NULL DEFAULT '',
    created     REAL NOT NULL,
    started     REAL,
    finished    REAL,
    file        TEXT,
    entrypoint  TEXT,
    parameters  TEXT NOT NULL DEFAULT '[]',
    argv        TEXT NOT NULL DEFAULT '[]',
    cwd         TEXT,
    pid         INTEGER,
    pid_start   TEXT,
    host        TEXT,
    notices     TEXT NOT NULL DEFAULT '[]',
    workflow    TEXT
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created);
CREATE INDEX IF NOT EXISTS runs_phase ON runs(phase);
CREATE TABLE IF NOT EXISTS nodes (
    run           TEXT NOT NULL REFERENCES runs(name) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    type          TEXT NOT NULL,
    template_name TEXT,
    phase         TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    started       REAL,
    finished      REAL,
    json          TEXT NOT NULL,
    PRIMARY KEY (run, id)
);
CREATE TABLE IF NOT EXISTS requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run         TEXT NOT NULL REFERENCES runs(name) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('stop', 'terminate', 'resume', 'suspend')),
    node        TEXT,
    parameters  TEXT NOT NULL DEFAULT '{}',
    created     REAL NOT NULL,
    handled     REAL,
    result      TEXT
);
CREATE INDEX IF NOT EXISTS requests_pending ON requests(run, handled);
"""

RUN_COLUMNS = ("phase", "message", "created", "started", "finished", "file", "entrypoint", "parameters",
               "argv", "cwd", "pid", "pid_start", "host", "notices", "workflow")
_JSON_COLUMNS = {"parameters", "argv", "notices", "workflow"}
# the fields of a node `get`'s tree shows (store.tree_nodes), in _TREE_SQL's order
TREE_FIELDS = ("id", "name", "displayName", "type", "templateName", "phase", "message", "startedAt", "finishedAt",
               "children")
_TREE_SQL = ("SELECT id, name, display_name, type, template_name, phase, message, json_extract(json, '$.startedAt'), "
             "json_extract(json, '$.finishedAt'), json_extract(json, '$.children'), "
             "json_extract(json, '$.outputs.artifacts'), json_extract(json, '$.templateRef') "
             "FROM nodes WHERE run = ? ORDER BY rowid")


class NoSuchRun(LocalflowError):
    """A run name (or @latest) that the history does not know. Exit code 2, as Argo's CLI."""

    exit_code = 2

    def __init__(self, name: str):
        self.name = name
        super().__init__(f'no run named "{name}"' if name != LATEST else "no runs yet")


class StoreError(LocalflowError):
    """The history database cannot be used (unreadable, locked for too long, newer schema)."""


def parse_iso(v: str | None) -> float | None:
    if not v:
        return None
    return _parse_iso(v[:19])


@functools.lru_cache(maxsize=4096)
def _parse_iso(v: str) -> float:
    """Node times have a resolution of one second: a large run's nodes share few (put_nodes of a
    100,000-node run parsed 200,000 of them)."""
    import calendar
    return float(calendar.timegm(time.strptime(v, "%Y-%m-%dT%H:%M:%S")))


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return None
    try:
        return stat.rsplit(")", 1)[1].split()[19]
    except IndexError:
        return None


def pid_alive(pid: int, start: str | None = None) -> bool:
    """Is this process (on this host) still running, and is it still the same process?"""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    if start is not None:
        now = process_start(pid)
        if now is not None and now != start:
            return False
    return True


def _now() -> float:
    return time.time()


class Store:
    """The history database. Cheap to create; safe to share between threads (one connection each)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, timeout: float = 30.0):
        self.path = Path(path) if path is not None else home() / "localflow.db"
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._init_schema()

    # ---- connections ----
    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # made 0600 before SQLite opens it: its -wal and -shm files
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # take the database file's mode
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: {e}") from e
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (a forked child opens its own)."""
        c = getattr(self._local, "conn", None)
        if c is None or getattr(self._local, "pid", None) != os.getpid():
            c = self._connect()
            self._local.conn, self._local.pid, self._local.depth = c, os.getpid(), 0
            with self._all_lock:
                self._all.append(c)
        return c

    def close(self) -> None:
        """Close every connection this Store opened (call once no thread uses it any more)."""
        with self._all_lock:
            conns, self._all = self._all, []
        for c in conns:
            with contextlib.suppress(sqlite3.Error):
                c.close()
        self._local = threading.local()

    def _init_schema(self) -> None:
        conn = self.conn
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer localflow (schema {version})")
            # switching to WAL needs an exclusive lock and SQLite does not call the busy handler for
            # it: two processes opening a new history at once got "database is locked" at once
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self._retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            if version < SCHEMA_VERSION:
                with self.transaction():
                    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:  # another process?
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: {e}") from e
        for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):  # (older histories)
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)

    def _retry_busy(self, call: Any) -> Any:
        """`call()`, retried with back-off while SQLite answers busy/locked, for up to the timeout
        (for the statements where SQLite returns SQLITE_BUSY without waiting on the busy handler)."""
        deadline, pause = time.monotonic() + self.timeout, 0.005
        while True:
            try:
                return call()
            except sqlite3.OperationalError as e:
                text = str(e)
                if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        conn = self.conn
        depth = self._local.depth
        if depth:
            self._local.depth = depth + 1
            try:
                yield conn
            finally:
                self._local.depth = depth
            return
        try:
            self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        except sqlite3.OperationalError as e:
            raise StoreError(f"{self.path}: {e}") from e
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    # ---- runs ----
    def upsert_run(self, name: str, **fields: Any) -> None:
        """Insert the run or update the given columns only (see RUN_COLUMNS; JSON ones take Python values)."""
        unknown = set(fields) - set(RUN_COLUMNS)
        if unknown:
            raise TypeError(f"upsert_run: unknown column(s) {sorted(unknown)}")
        values = {k: (json.dumps(v) if k in _JSON_COLUMNS and v is not None else v) for k, v in fields.items()}
        insert = dict(values)
        insert.setdefault("created", _now())
        cols = ["name"] + list(insert)
        updates = ", ".join(f"{k} = excluded.{k}" for k in values) or "name = excluded.name"
        sql = (f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
               f"ON CONFLICT(name) DO UPDATE SET {updates}")
        with self.transaction() as conn:
            conn.execute(sql, [name] + list(insert.values()))

    def add_notice(self, name: str, message: str) -> None:
        with self.transaction() as conn:
            row = conn.execute("SELECT notices FROM runs WHERE name = ?", (name,)).fetchone()
            if row is None:
                return
            notices = json.loads(row["notices"] or "[]")
            notices.append([_now(), message])
            conn.execute("UPDATE runs SET notices = ? WHERE name = ?", (json.dumps(notices[-200:]), name))

    def put_nodes(self, run: str, nodes: Iterable[dict[str, Any]]) -> int:
        """Insert or replace nodes (Argo-shaped dicts) in one transaction. Returns how many."""
        rows = [(run, n["id"], n.get("name", n["id"]), n.get("displayName", n.get("name", n["id"])),
                 n.get("type", ""), n.get("templateName"), n.get("phase", "Pending"), n.get("message", ""),
                 parse_iso(n.get("startedAt")), parse_iso(n.get("finishedAt")), json.dumps(n))
                for n in nodes]
        if not rows:
            return 0
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO nodes (run, id, name, display_name, type, template_name, phase, message, started, "
                "finished, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run, id) DO UPDATE SET "
                "name = excluded.name, display_name = excluded.display_name, type = excluded.type, "
                "template_name = excluded.template_name, phase = excluded.phase, message = excluded.message, "
                "started = excluded.started, finished = excluded.finished, json = excluded.json", rows)
        return len(rows)

    def run_row(self, name: str) -> dict[str, Any] | None:
        """The run's row as a dict (JSON columns decoded), or None."""
        row = self.conn.execute("SELECT * FROM runs WHERE name = ?", (name,)).fetchone()
        return _decode(row) if row is not None else None

    def phase(self, name: str) -> str | None:
        row = self.conn.execute("SELECT phase FROM runs WHERE name = ?", (name,)).fetchone()
        return row["phase"] if row is not None else None

    def nodes(self, name: str) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT json FROM nodes WHERE run = ? ORDER BY rowid", (name,)).fetchall()
        # one decode of them all: a large run has 100,000 (json.loads per row cost more than the parsing)
        return {d["id"]: d for d in json.loads("[" + ",".join(r[0] for r in rows) + "]")}

    def tree_nodes(self, name: str) -> dict[str, dict[str, Any]]:
        """The nodes with only the fields `get`'s tree shows (see TREE_FIELDS), read without decoding
        each node's whole JSON: of `get` of a 100,000-node run, that decoding was a third."""
        cur = self.conn.cursor()
        cur.row_factory = None
        rows = cur.execute(_TREE_SQL, (name,)).fetchall()
        kids = json.loads("[" + ",".join(r[9] or "null" for r in rows) + "]")  # one decode, as `nodes`
        out: dict[str, dict[str, Any]] = {}
        for r, children in zip(rows, kids):
            d = {k: v for k, v in zip(TREE_FIELDS, r) if v}
            if children:
                d["children"] = children
            else:
                d.pop("children", None)
            if r[10]:
                d["outputs"] = {"artifacts": json.loads(r[10])}
            if r[11]:  # (TEMPLATE and PODNAME of a step by templateRef)
                d["templateRef"] = json.loads(r[11])
            out[r[0]] = d
        return out

    def get_run(self, name: str, tree_only: bool = False) -> dict[str, Any]:
        """The workflow as Argo shows it (`status.nodes` included; with `tree_only`, its nodes have only
        what `get`'s tree shows: `tree_nodes`). Raises NoSuchRun."""
        name = self.resolve(name)
        with self.read() as conn:
            row = conn.execute("SELECT * FROM runs WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NoSuchRun(name)
            nodes = self.tree_nodes(name) if tree_only else self.nodes(name)
        return workflow_of(_decode(row), nodes)

    def notices(self, name: str) -> list[str]:
        """The run's notices (messages), oldest first."""
        row = self.conn.execute("SELECT notices FROM runs WHERE name = ?", (name,)).fetchone()
        return [m for _, m in json.loads(row["notices"] or "[]")] if row is not None else []

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs (a deferred read transaction)."""
        conn = self.conn
        if self._local.depth:
            yield conn
            return
        conn.execute("BEGIN")
        self._local.depth = 1
        try:
            yield conn
        finally:
            self._local.depth = 0
            with contextlib.suppress(sqlite3.Error):
                conn.execute("COMMIT")

    def list_runs(self, prefix: str | None = None, running: bool = False, completed: bool = False,
                  limit: int | None = None, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Run rows, newest first, without the (large) workflow document; with `columns`, only those
        (`list` of 10,000 runs spent a third of its time decoding JSON columns it does not show)."""
        where, args = [], []
        if prefix:
            where.append("name LIKE ? ESCAPE '\\'")
            args.append(_like_escape(prefix) + "%")
        if running and not completed:
            where.append(f"phase IN ({', '.join('?' * len(ACTIVE_PHASES))})")
            args.extend(ACTIVE_PHASES)
        elif completed and not running:
            where.append(f"phase NOT IN ({', '.join('?' * len(ACTIVE_PHASES))})")
            args.extend(ACTIVE_PHASES)
        wanted = columns or tuple(c for c in RUN_COLUMNS if c != "workflow")
        cols = ", ".join(("name",) + tuple(c for c in wanted if c in RUN_COLUMNS))
        sql = f"SELECT {cols} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, rowid DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_decode(r) for r in self.conn.execute(sql, args).fetchall()]

    def resolve(self, name: str) -> str:
        """A run's name; `@latest` is the most recently created run. Raises NoSuchRun."""
        if name == LATEST:
            row = self.conn.execute("SELECT name FROM runs ORDER BY created DESC, rowid DESC LIMIT 1").fetchone()
        else:
            row = self.conn.execute("SELECT name FROM runs WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NoSuchRun(name)
        return row["name"]

    def delete_run(self, name: str) -> bool:
        """Forget the run (its nodes and requests too). Log files are `logs.remove`'s business."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM requests WHERE run = ?", (name,))
            conn.execute("DELETE FROM nodes WHERE run = ?", (name,))
            cur = conn.execute("DELETE FROM runs WHERE name = ?", (name,))
        return cur.rowcount > 0

    # ---- requests from other processes ----
    def add_request(self, run: str, kind: str, node: str | None = None,
                    parameters: dict[str, str] | None = None) -> int:
        if kind not in REQUEST_KINDS:
            raise ValueError(f"request kind must be one of {REQUEST_KINDS}, not {kind!r}")
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE name = ?", (run,)).fetchone() is None:
                raise NoSuchRun(run)
            cur = conn.execute("INSERT INTO requests (run, kind, node, parameters, created) VALUES (?, ?, ?, ?, ?)",
                               (run, kind, node, json.dumps(parameters or {}), _now()))
        return int(cur.lastrowid)

    def pending_requests(self, run: str) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM requests WHERE run = ? AND handled IS NULL ORDER BY id",
                                 (run,)).fetchall()
        return [dict(r, parameters=json.loads(r["parameters"] or "{}")) for r in rows]

    def mark_handled(self, request_id: int, result: str | None = None) -> None:
        """Done with the request; `result` is a one-line reason when it could not be carried out."""
        with self.transaction() as conn:
            conn.execute("UPDATE requests SET handled = ?, result = ? WHERE id = ? AND handled IS NULL",
                         (_now(), result, request_id))

    def request(self, request_id: int) -> dict[str, Any] | None:
        r = self.conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        return dict(r, parameters=json.loads(r["parameters"] or "{}")) if r is not None else None

    # ---- orphans ----
    def active_runs_on_this_host(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            f"SELECT name, pid, pid_start, host FROM runs WHERE phase IN ({', '.join('?' * len(ACTIVE_PHASES))}) "
            "AND host = ?", (*ACTIVE_PHASES, socket.gethostname())).fetchall()
        return [dict(r) for r in rows]

    def orphans(self) -> list[dict[str, Any]]:
        """Active runs recorded by a process of this host that has gone (see `recorder.reap_orphans`)."""
        return [r for r in self.active_runs_on_this_host()
                if r.get("pid") is not None and not pid_alive(int(r["pid"]), r.get("pid_start"))]

    def mark_orphan(self, name: str, message: str, pid: int | None = None) -> bool:
        """Error the run and its unfinished nodes, if it is still active (and still owned by `pid`)."""
        now = _now()
        with self.transaction() as conn:
            sql = (f"UPDATE runs SET phase = 'Error', message = ?, finished = COALESCE(finished, ?) WHERE name = ? "
                   f"AND phase IN ({', '.join('?' * len(ACTIVE_PHASES))})")
            args: list[Any] = [message, now, name, *ACTIVE_PHASES]
            if pid is not None:
                sql += " AND pid = ?"
                args.append(pid)
            if conn.execute(sql, args).rowcount == 0:
                return False
            rows = conn.execute("SELECT id, json FROM nodes WHERE run = ? AND phase IN ('Pending', 'Running')",
                                (name,)).fetchall()
            for r in rows:
                d = json.loads(r["json"])
                d.update(phase="Error", message=message, finishedAt=iso(now))
                d.setdefault("startedAt", iso(now))
                conn.execute("UPDATE nodes SET phase = 'Error', message = ?, finished = ?, json = ? "
                             "WHERE run = ? AND id = ?", (message, now, json.dumps(d), name, r["id"]))
        return True


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for k in _JSON_COLUMNS:
        v = d.get(k)
        if v is not None:
            d[k] = [] if v == "[]" else json.loads(v)  # most runs have no parameters and no notices: `list` of
    return d                                            # 10,000 runs spent a third of its time in json.loads


def workflow_of(row: dict[str, Any], nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The Argo-shaped workflow: the last stored document, brought up to date by the row and node table."""
    stored = row.get("workflow") or {}
    old_nodes = (stored.get("status") or {}).get("nodes") or {}
    shell = {k: ({sk: (None if sk == "nodes" else sv) for sk, sv in v.items()} if k == "status" and isinstance(v, dict)
                 else v) for k, v in stored.items()}
    wf = json.loads(json.dumps(shell))  # a private copy; of the nodes, those the node table lacks (below)
    wf.setdefault("apiVersion", "argoproj.io/v1alpha1")
    wf.setdefault("kind", "Workflow")
    meta = wf.setdefault("metadata", {})
    meta.setdefault("name", row["name"])
    meta.setdefault("namespace", "default")
    meta.setdefault("creationTimestamp", iso(row.get("created")))
    spec = wf.setdefault("spec", {})
    if row.get("entrypoint") and "entrypoint" not in spec:
        spec["entrypoint"] = row["entrypoint"]
    if row.get("parameters") and not (spec.get("arguments") or {}).get("parameters"):
        spec.setdefault("arguments", {})["parameters"] = row["parameters"]
    status = wf.setdefault("status", {})
    status["phase"] = row.get("phase") or "Pending"
    if row.get("message"):
        status["message"] = row["message"]
    else:
        status.pop("message", None)
    status["startedAt"] = iso(row.get("started"))
    status["finishedAt"] = iso(row.get("finished"))
    # the node table's nodes replace the document's (only those it lacks are copied), in the document's order
    merged = {k: nodes[k] if k in nodes else json.loads(json.dumps(v)) for k, v in old_nodes.items()}
    merged.update(nodes)
    status["nodes"] = merged
    return wf
