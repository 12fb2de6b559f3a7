"""`steps` templates: groups in sequence, steps of a group in parallel (Argo's steps.go)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import nodes as N
from .children import ChildRunner, continues_on
from .scope import Scope

if TYPE_CHECKING:
    from .executor import TemplateJob


async def execute_steps(job: TemplateJob) -> None:
    ex, run, node, tmpl, tctx, vals, depth = job.ex, job.run, job.node, job.tmpl, job.tctx, job.vals, job.depth
    scope = Scope(values=dict(vals), parent=Scope(values=run.globals))  # globals stay live (global outputs)
    runner = ChildRunner(ex, node, tmpl, tctx, scope, depth, prefix="steps")
    try:
        for i, group in enumerate(tmpl.steps):
            gnode = run.new_node(f"{node.name}[{i}]", f"[{i}]", N.STEP_GROUP, None, node.id, node,  # (no templateName)
                                 scope=tctx.scope_name)
            run.mark_running(gnode)
            results = await asyncio.gather(*[runner.run_entry(step, f"{gnode.name}.{step.name}", step.name, gnode)
                                            for step in group])
            bad = None
            for step, children in zip(group, results):
                runner.register(step.name, children, step)
                for child in children:
                    if child.phase in N.BAD_PHASES and not continues_on(step, child.phase) and bad is None:
                        bad = child
            if bad is not None:
                msg = f"child '{bad.id}' failed"
                run.finish(gnode, N.FAILED, msg)
                run.finish(node, N.FAILED, msg)
                return
            run.finish(gnode, N.SUCCEEDED)
        await runner.finish_outputs(tmpl)
        if not node.done:
            run.finish(node, N.SUCCEEDED)
    finally:
        await runner.stop_daemons()
