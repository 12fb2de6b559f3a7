"""Argo's `synchronization`: mutexes and semaphores held by a whole run or by one node.

Lock names are Argo's (`<namespace>/Mutex/<name>`, `<namespace>/ConfigMap/<configmap>/<key>`,
`<namespace>/Database/<name>`). Where locks live is injected: `InMemoryLocks` for tests and single
processes, a file-lock provider (localflow/store/locks.py) so concurrent localflow runs on one machine
share them, as runs share them in one Argo namespace. Waiting is polling (other processes release
locks too); waiters of one run take a lock in the order they asked for it.

Deviations: `spec.priority` does not order waiters across runs; `database` locks are local locks of
their own kind, a database semaphore's limit is read from the config map `localflow-sync-limits`
(key: the semaphore's key).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from localflow.spec import model as M

from . import nodes as N
from .scope import StepError, render_string

if TYPE_CHECKING:
    from .interfaces import RunContext

POLL_SECONDS = 0.2
DB_LIMITS_CONFIG_MAP = "localflow-sync-limits"


class LockProvider(Protocol):
    """Counted locks shared by everything that uses the same provider (or the same lock directory)."""

    def try_acquire(self, key: str, limit: int, holder: str) -> bool:
        """Take one of `limit` slots of lock `key` for `holder`, at once or not at all."""
        ...

    def release(self, key: str, holder: str) -> None: ...


class InMemoryLocks:
    """Locks of one process (the engine's unit tests; several runs may share one instance)."""

    def __init__(self) -> None:
        self.holders: dict[str, list[str]] = {}
        self.max_held: dict[str, int] = {}

    def try_acquire(self, key: str, limit: int, holder: str) -> bool:
        held = self.holders.setdefault(key, [])
        if holder in held:
            return True
        if len(held) >= limit:
            return False
        held.append(holder)
        self.max_held[key] = max(self.max_held.get(key, 0), len(held))
        return True

    def release(self, key: str, holder: str) -> None:
        held = self.holders.get(key, [])
        if holder in held:
            held.remove(holder)


def has_locks(sync: M.Synchronization | None) -> bool:
    return sync is not None and bool(sync.mutexes or sync.semaphores)


class Synchronizer:
    """The run's side of the locks: names and limits, waiting (Pending, Argo's message), releasing."""

    def __init__(self, run: RunContext, provider: LockProvider | None):
        self.run = run
        self.provider: LockProvider = provider if provider is not None else InMemoryLocks()
        self.queues: dict[str, list[str]] = {}  # lock -> holders of this run waiting for it, first first
        self.held: list[tuple[str, str]] = []  # (lock, holder) this run holds now

    # ---- names and limits ----
    def locks(self, sync: M.Synchronization, values: Mapping[str, Any]) -> list[tuple[str, int]]:
        """(lock name, limit) of every mutex and semaphore, names substituted."""
        ns_default = self.run.namespace

        def text(v: str | None) -> str:
            return render_string(v, values) if v and "{{" in v else (v or "")

        out: list[tuple[str, int]] = []
        for m in sync.mutexes:
            name = text(m.name)
            if not name:
                raise StepError("synchronization.mutexes: a mutex needs a name")
            ns = text(m.namespace) or ns_default
            out.append((f"{ns}/{'Database' if m.database else 'Mutex'}/{name}", 1))
        for s in sync.semaphores:
            ns = text(s.namespace) or ns_default
            ref = s.config_map_key_ref
            if ref is not None and s.database is not None:
                raise StepError("invalid semaphore with both ConfigMapKeyRef and Database")
            if ref is not None:
                cm, key = text(ref.name), text(ref.key)
                out.append((f"{ns}/ConfigMap/{cm}/{key}", self._limit(cm, key)))
            elif s.database is not None:
                key = text(s.database.key)
                out.append((f"{ns}/Database/{key}", self._limit(DB_LIMITS_CONFIG_MAP, key, database=True)))
            else:
                raise StepError("cannot get LockName for a Semaphore without a ConfigMapRef or Database")
        return out

    def _limit(self, config_map: str, key: str, database: bool = False) -> int:
        try:
            data = self.run.resources.config_map(config_map)
        except StepError as e:
            if database:
                raise StepError(f"database semaphore {key!r}: localflow reads its limit from config map "
                                f"{config_map!r} (create it with: localflow configmap create {config_map} "
                                f"--from-literal={key}=N)") from None
            raise e
        if key not in data:
            raise StepError(f"Sync configuration key '{key}' not found in ConfigMap")
        try:
            return int(str(data[key]).strip())
        except ValueError:
            raise StepError(f"Sync configuration key '{key}' of ConfigMap {config_map!r}: "
                            f"{data[key]!r} is not an integer") from None

    # ---- acquiring ----
    async def acquire(self, sync: M.Synchronization, holder: str, values: Mapping[str, Any],
                      waiting: Any) -> list[str] | None:
        """Wait until every lock is held (all or none); the names held, or None if the run stopped first.

        `waiting(message, lock)` is called whenever the lock waited for changes; `waiting("", "")` once
        they are all held after a wait.
        """
        locks = self.locks(sync, values)
        for key, _limit in locks:
            self.queues.setdefault(key, []).append(holder)
        shown = ""
        try:
            while True:
                if self.run.stopping:
                    return None
                blocked = self._try_all(locks, holder)
                if blocked is None:
                    if shown:
                        waiting("", "")
                    return [k for k, _ in locks]
                key, limit = blocked
                if key != shown:
                    shown = key
                    waiting(f"Waiting for {key} lock. Lock status: 0/{limit}", key)
                await self.run.clock.sleep(POLL_SECONDS)
        finally:
            for key, _limit in locks:
                q = self.queues.get(key, [])
                if holder in q:
                    q.remove(holder)

    def _try_all(self, locks: list[tuple[str, int]], holder: str) -> tuple[str, int] | None:
        """Take every lock, or none; the first one that could not be taken."""
        taken: list[str] = []
        for key, limit in locks:
            q = self.queues.get(key, [])
            first = not q or q[0] == holder
            if limit <= 0 or not first or not self.provider.try_acquire(key, limit, holder):
                for k in taken:
                    self.provider.release(k, holder)
                    self.held.remove((k, holder))
                return key, limit
            taken.append(key)
            self.held.append((key, holder))
        return None

    def release(self, keys: list[str], holder: str) -> None:
        for key in keys:
            if (key, holder) in self.held:
                self.held.remove((key, holder))
                self.provider.release(key, holder)

    def release_all(self) -> None:
        for key, holder in list(self.held):
            self.release([key], holder)

    # ---- the two levels ----
    def node_holder(self, node: N.Node) -> str:
        return f"{self.run.namespace}/{self.run.name}/{node.id}"

    async def acquire_for_node(self, node: N.Node, sync: M.Synchronization,
                               values: Mapping[str, Any]) -> list[str] | None:
        """Template-level locks: the node waits Pending with Argo's message; None if the run stopped."""
        run = self.run

        def waiting(message: str, key: str) -> None:
            node.message = message
            node.synchronization_status = {"waiting": key} if key else None
            run.changed(node)

        held = await self.acquire(sync, self.node_holder(node), ChainMap(dict(values), run.globals), waiting)
        if held is None:
            node.synchronization_status = None
            run.finish(node, N.FAILED, run.stop_message)
        return held

    async def acquire_for_workflow(self) -> list[str] | None:
        """Workflow-level locks: the run stays Pending with Argo's message until it holds them all."""
        run = self.run

        def waiting(message: str, key: str) -> None:
            run.phase = N.PENDING if key else N.RUNNING
            run.message = message

        return await self.acquire(run.spec.synchronization, f"{run.namespace}/{run.name}", run.globals, waiting)
