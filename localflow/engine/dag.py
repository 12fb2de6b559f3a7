"""`dag` templates: a ready-set loop over tasks, `depends` logic, and Argo's rules for the DAG's phase."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from localflow.errors import ExprError
from localflow.expr.depends import dependencies_to_depends, parse_depends
from localflow.spec import model as M

from . import nodes as N
from .children import ChildRunner, continues_on
from .scope import Scope

if TYPE_CHECKING:
    from .executor import Executor, TemplateCtx

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


async def execute_dag(ex: Executor, node: N.Node, tmpl: M.Template, tctx: TemplateCtx,
                      vals: dict[str, Any], depth: int) -> None:
    run = ex.run
    dag = tmpl.dag
    tasks = {t.name: t for t in dag.tasks}
    deps: dict[str, Any] = {}
    for t in dag.tasks:
        text = t.depends if t.depends else (dependencies_to_depends(list(t.dependencies)) if t.dependencies else "")
        try:
            deps[t.name] = parse_depends(text) if text else None
        except ExprError as e:
            run.finish(node, N.ERROR, f"dag.tasks.{t.name}.depends: {e}")
            return
    parents = {name: (d.tasks if d is not None else set()) for name, d in deps.items()}
    targets = (dag.target.replace(",", " ").split() if dag.target else
               [n for n in tasks if not any(n in p for p in parents.values())])
    needed = _ancestors(targets, parents)
    scope = Scope(values=dict(vals))
    runner = ChildRunner(ex, node, tmpl, tctx, scope, depth, prefix="tasks")
    done: dict[str, list[N.Node]] = {}
    running: dict[asyncio.Task, str] = {}
    continue_on = {n: (bool(t.continue_on.failed), bool(t.continue_on.error)) if t.continue_on else (False, False)
                   for n, t in tasks.items()}

    def wire(name: str, child: N.Node) -> None:
        ps = parents[name]
        if not ps:
            if child.id not in node.children:
                node.children.append(child.id)
            return
        for p in ps:
            if p in done and child.id not in done[p][0].children:
                done[p][0].children.append(child.id)

    try:
        pending = [n for n in tasks if n in needed]
        while pending or running:
            started = False
            for name in list(pending):
                ps = parents[name]
                if any(p not in done for p in ps):
                    continue
                pending.remove(name)
                d = deps[name]
                ok = True
                if d is not None:
                    try:
                        ok = d.evaluate(lambda t, k: task_result(done[t], k), continue_on)
                    except (ExprError, KeyError) as e:
                        run.finish(node, N.ERROR, f"dag.tasks.{name}.depends: {e}")
                        return
                tname = f"{node.name}.{name}"
                if not ok:
                    om = run.new_node(tname, name, N.SKIPPED_T, tasks[name].template, node.id, None)
                    wire(name, om)
                    run.finish(om, N.OMITTED, OMITTED_MESSAGE)
                    done[name] = [om]
                    runner.register(name, [om], tasks[name])
                    started = True
                    continue
                task = asyncio.ensure_future(runner.run_entry(tasks[name], tname, name, _Holder(), group_loops=True))
                running[task] = name
                started = True
            if started:
                continue
            if not running:
                break
            finished, _ = await asyncio.wait(list(running), return_when=asyncio.FIRST_COMPLETED)
            for t in finished:
                name = running.pop(t)
                children = t.result()
                done[name] = children
                wire(name, children[0])
                runner.register(name, children, tasks[name])
        phase, msg = assess_phase(node, targets, tasks, done, parents)
        await runner.finish_outputs(tmpl)
        if not node.done:
            run.finish(node, phase, msg)
    finally:
        await runner.stop_daemons()


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
