"""`suspend` templates: a node that waits to be resumed, then outputs what was supplied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import nodes as N

if TYPE_CHECKING:
    from .executor import TemplateJob


async def execute_suspend(job: TemplateJob) -> None:
    """Wait for `localflow resume` (or `suspend.duration`), then output the supplied parameters."""
    run, node, tmpl = job.run, job.node, job.tmpl
    duration = tmpl.suspend.duration if tmpl.suspend is not None else None
    limit = run.clock.monotonic() + run.parse_seconds(duration, "suspend.duration") if duration else None
    while True:
        await run.control.poll(run)
        if node.name in run.control.resumed or node.id in run.control.resumed or "*" in run.control.resumed:
            break
        if run.stopping:
            run.finish(node, N.FAILED, run.stop_message)
            return
        if limit is not None and run.clock.monotonic() >= limit:
            break
        await run.clock.sleep(0.5 if limit is None else max(0.0, min(0.5, limit - run.clock.monotonic())))
    if tmpl.outputs is not None:
        params = []
        for p in tmpl.outputs.parameters:
            v = run.control.supplied.get(p.name)
            if v is None and p.value_from is not None:
                v = p.value_from.default
            if v is not None:
                params.append({"name": p.name, "value": v})
                if p.global_name:
                    run.set_global_output("parameters", p.global_name, v)
        node.outputs = {"parameters": params} if params else None
    run.finish(node, N.SUCCEEDED)
