"""`dag` templates: a ready-set loop over tasks, `depends` logic, and Argo's rules for the DAG's phase."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from localflow.errors import ExprError
from localflow.expr.depends import parse_depends
from localflow.spec import model as M

from . import nodes as N
from .children import ChildRunner, continues_on
from .scope import Scope

if TYPE_CHECKING:
    from .executor import TemplateJob

OMITTED_MESSAGE = "omitted: depends condition not met"


def task_result(nodes: list[N.Node], kind: str) -> bool:
    """Whether a finished task (its node, or a loop's group and children) has result `kind`."""
    head = nodes[0]
    items = [n for n in nodes if n.item_index is not None]
    if kind == "AnySucceeded":
        return any(n.phase == N.SUCCEEDED for n in items)
    if kind == "AllFailed":
        return bool(items) and all(n.phase in N.BAD_PHASES for n in items)
    if kind == "Daemoned":
        return head.daemoned
    phase = {"Succeeded": N.SUCCEEDED, "Failed": N.FAILED, "Errored": N.ERROR, "Skipped": N.SKIPPED,
             "Omitted": N.OMITTED}.get(kind)
    if kind == "Succeeded" and head.daemoned:
        return False
    return head.phase == phase


def dependencies(dag: M.DAGTemplate) -> dict[str, Any]:
    """Each task's `depends` (or `dependencies`) parsed, None for a task without; ExprError names the task."""
    deps: dict[str, Any] = {}
    for t in dag.tasks:
        try:
            if t.depends:
                deps[t.name] = parse_depends(t.depends)
            else:
                deps[t.name] = AllOf(list(t.dependencies)) if t.dependencies else None
        except ExprError as e:
            raise ExprError(f"dag.tasks.{t.name}.depends: {e}") from None
    return deps


async def execute_dag(job: TemplateJob) -> None:
    run, node, tmpl = job.run, job.node, job.tmpl
    try:
        deps = dependencies(tmpl.dag)
    except ExprError as e:
        run.finish(node, N.ERROR, str(e))
        return
    scope = Scope(values=dict(job.vals), parent=Scope(values=run.globals))  # globals stay live (global outputs)
    runner = ChildRunner(job.ex, node, tmpl, job.tctx, scope, job.depth, prefix="tasks")
    walk = _Walk(run, node, tmpl.dag, deps, runner)
    try:
        if not await walk.walk():
            return
        phase, msg = assess_phase(node, walk.targets, walk.tasks, walk.done, walk.parents)
        await runner.finish_outputs(tmpl)
        if not node.done:
            run.finish(node, phase, msg)
    finally:
        await runner.stop_daemons()


class _Walk:
    """The tasks of one DAG node in a ready-set loop: a task is ready when its last dependency finishes
    (no rescans: 10,000 tasks stay fast); only the targets and what they depend on run."""

    def __init__(self, run: Any, node: N.Node, dag: M.DAGTemplate, deps: dict[str, Any], runner: ChildRunner):
        self.run, self.node, self.deps, self.runner = run, node, deps, runner
        self.tasks = {t.name: t for t in dag.tasks}
        self.parents = {name: (set(d.tasks) if d is not None else set()) for name, d in deps.items()}
        has_children = {p for ps in self.parents.values() for p in ps}
        self.targets = (dag.target.replace(",", " ").split() if dag.target
                        else [n for n in self.tasks if n not in has_children])
        needed = _ancestors(self.targets, self.parents)
        self.done: dict[str, list[N.Node]] = {}
        self.continue_on = {n: (bool(t.continue_on.failed), bool(t.continue_on.error)) if t.continue_on
                            else (False, False) for n, t in self.tasks.items()}
        self.waiting = {n: set(self.parents[n]) for n in self.tasks if n in needed}
        self.dependents: dict[str, list[str]] = {}
        for n in self.waiting:
            for p in self.parents[n]:
                self.dependents.setdefault(p, []).append(n)
        self.ready = deque(n for n in self.tasks if n in self.waiting and not self.waiting[n])
        self.finished: asyncio.Queue = asyncio.Queue()
        self.running = 0

    async def walk(self) -> bool:
        """Run the needed tasks; False when a `depends` could not be evaluated (the DAG node is finished)."""
        while self.ready or self.running:
            if not self._start_ready():
                return False
            if not self.running:
                break
            name, children, err = await self.finished.get()
            self.running -= 1
            if err is not None:
                raise err
            self._wire(name, children[0])
            self._record(name, children)
        return True

    def _start_ready(self) -> bool:
        while self.ready:
            name = self.ready.popleft()
            d = self.deps[name]
            try:
                holds = d is None or d.evaluate(lambda t, k: task_result(self.done[t], k), self.continue_on)
            except (ExprError, KeyError) as e:
                self.run.finish(self.node, N.ERROR, f"dag.tasks.{name}.depends: {e}")
                return False
            if holds:
                self.running += 1
                asyncio.ensure_future(self._run_task(name))
            else:
                self._omit(name)
        return True

    def _omit(self, name: str) -> None:
        node = self.node
        om = self.runner.new_node(f"{node.name}.{name}", name, N.SKIPPED_T, self.tasks[name], None)
        self._wire(name, om)
        self.run.finish(om, N.OMITTED, OMITTED_MESSAGE)
        self._record(name, [om])

    async def _run_task(self, name: str) -> None:
        try:
            children = await self.runner.run_entry(self.tasks[name], f"{self.node.name}.{name}", name, _Holder(),
                                                   group_loops=True)
            self.finished.put_nowait((name, children, None))
        except BaseException as e:  # noqa: BLE001 - handed to the loop, which re-raises
            self.finished.put_nowait((name, None, e))

    def _wire(self, name: str, child: N.Node) -> None:
        """A task's node hangs under its dependencies' nodes, or under the DAG node when it has none."""
        ps = self.parents[name]
        if not ps:
            if child.id not in self.node.children:
                self.node.children.append(child.id)
            return
        for p in ps:
            if p in self.done and child.id not in self.done[p][0].children:
                self.done[p][0].children.append(child.id)

    def _record(self, name: str, children: list[N.Node]) -> None:
        """A task is done: its outputs join the scope and the tasks waiting on it only for it get ready."""
        self.done[name] = children
        self.runner.register(name, children, self.tasks[name])
        for c in self.dependents.get(name, ()):
            w = self.waiting[c]
            w.discard(name)
            if not w:
                self.ready.append(c)


class AllOf:
    """`dependencies: [A, B]`: every task by the bare-name rule (what `A && B` means), without a parser."""

    def __init__(self, names: list[str]):
        self.tasks = frozenset(names)

    def evaluate(self, result: Any, continue_on: Any = None) -> bool:
        for t in self.tasks:
            failed, errored = (continue_on or {}).get(t, (False, False))
            if not (result(t, "Succeeded") or result(t, "Skipped") or result(t, "Daemoned")
                    or (failed and result(t, "Failed")) or (errored and result(t, "Errored"))):
                return False
        return True


class _Holder:
    """Task nodes are attached to their dependencies' nodes (wire), not to a group."""

    def __init__(self):
        self.children: list[str] = []


def _ancestors(targets: list[str], parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(targets)
    while stack:
        t = stack.pop()
        if t in seen or t not in parents:
            continue
        seen.add(t)
        stack.extend(parents[t])
    return seen


def assess_phase(node: N.Node, targets: list[str], tasks: dict, done: dict[str, list[N.Node]],
                 parents: dict[str, set[str]]) -> tuple[str, str]:
    """Argo's assessDAGPhase: target tasks decide; omitted/skipped ones inherit their branch's phase."""
    memo: dict[str, str] = {}

    def branch(name: str) -> str:
        if name in memo:
            return memo[name]
        nodes = done.get(name)
        if nodes is None:
            memo[name] = ""
            return ""
        head = nodes[0]
        if head.phase in (N.SUCCEEDED, N.FAILED, N.ERROR):
            memo[name] = head.phase
            return head.phase
        inherited = [branch(p) for p in parents[name]]
        phase = N.SUCCEEDED
        for bad in (N.ERROR, N.FAILED):
            if bad in inherited:
                phase = bad
        if head.daemoned:
            phase = N.SUCCEEDED
        memo[name] = phase
        return phase

    result, msg = N.SUCCEEDED, ""
    for t in targets:
        phase = branch(t)
        if phase in N.BAD_PHASES:
            if continues_on(tasks[t], phase):
                continue
            result = phase
            head = done[t][0]
            msg = f"child '{head.id}' failed"
            break
        if phase == "":
            # never reached (fail fast stopped the DAG before it)
            failed = [n for ns in done.values() for n in ns[:1] if n.phase in N.BAD_PHASES
                      and not continues_on(tasks.get(n.display_name), n.phase)]
            if failed:
                result, msg = failed[0].phase, f"child '{failed[0].id}' failed"
                break
    return result, msg
