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


async def execute_dag(job: TemplateJob) -> None:
    ex, run, node, tmpl, tctx, vals, depth = job.ex, job.run, job.node, job.tmpl, job.tctx, job.vals, job.depth
    dag = tmpl.dag
    tasks = {t.name: t for t in dag.tasks}
    deps: dict[str, Any] = {}
    for t in dag.tasks:
        try:
            if t.depends:
                deps[t.name] = parse_depends(t.depends)
            else:
                deps[t.name] = AllOf(list(t.dependencies)) if t.dependencies else None
        except ExprError as e:
            run.finish(node, N.ERROR, f"dag.tasks.{t.name}.depends: {e}")
            return
    parents = {name: (set(d.tasks) if d is not None else set()) for name, d in deps.items()}
    has_children = {p for ps in parents.values() for p in ps}
    targets = (dag.target.replace(",", " ").split() if dag.target else [n for n in tasks if n not in has_children])
    needed = _ancestors(targets, parents)
    scope = Scope(values=dict(vals), parent=Scope(values=run.globals))  # globals stay live (global outputs)
    runner = ChildRunner(ex, node, tmpl, tctx, scope, depth, prefix="tasks")
    done: dict[str, list[N.Node]] = {}
    continue_on = {n: (bool(t.continue_on.failed), bool(t.continue_on.error)) if t.continue_on else (False, False)
                   for n, t in tasks.items()}
    # a ready-set loop: a task is ready when its last dependency finishes (no rescans: 10,000 tasks stay fast)
    waiting = {n: set(parents[n]) for n in tasks if n in needed}
    dependents: dict[str, list[str]] = {}
    for n in waiting:
        for p in parents[n]:
            dependents.setdefault(p, []).append(n)
    ready = deque(n for n in tasks if n in waiting and not waiting[n])
    finished_q: asyncio.Queue = asyncio.Queue()
    running = 0

    def wire(name: str, child: N.Node) -> None:
        ps = parents[name]
        if not ps:
            if child.id not in node.children:
                node.children.append(child.id)
            return
        for p in ps:
            if p in done and child.id not in done[p][0].children:
                done[p][0].children.append(child.id)

    def release(name: str) -> None:
        for c in dependents.get(name, ()):
            w = waiting[c]
            w.discard(name)
            if not w:
                ready.append(c)

    async def run_task(name: str) -> None:
        try:
            children = await runner.run_entry(tasks[name], f"{node.name}.{name}", name, _Holder(), group_loops=True)
            finished_q.put_nowait((name, children, None))
        except BaseException as e:  # noqa: BLE001 - handed to the loop, which re-raises
            finished_q.put_nowait((name, None, e))

    try:
        while ready or running:
            while ready:
                name = ready.popleft()
                d = deps[name]
                ok = True
                if d is not None:
                    try:
                        ok = d.evaluate(lambda t, k: task_result(done[t], k), continue_on)
                    except (ExprError, KeyError) as e:
                        run.finish(node, N.ERROR, f"dag.tasks.{name}.depends: {e}")
                        return
                if not ok:
                    om = run.new_node(f"{node.name}.{name}", name, N.SKIPPED_T, tasks[name].template, node.id, None)
                    wire(name, om)
                    run.finish(om, N.OMITTED, OMITTED_MESSAGE)
                    done[name] = [om]
                    runner.register(name, [om], tasks[name])
                    release(name)
                    continue
                running += 1
                asyncio.ensure_future(run_task(name))
            if not running:
                break
            name, children, err = await finished_q.get()
            running -= 1
            if err is not None:
                raise err
            done[name] = children
            wire(name, children[0])
            runner.register(name, children, tasks[name])
            release(name)
        phase, msg = assess_phase(node, targets, tasks, done, parents)
        await runner.finish_outputs(tmpl)
        if not node.done:
            run.finish(node, phase, msg)
    finally:
        await runner.stop_daemons()


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
