"""One handler per template kind: a template of kind K runs as `await HANDLERS[K](job)`, with the
`TemplateJob` Executor.execute_kind builds (engine/executor.py), once inputs are bound and `{{...}}`
substituted, inside the retries, locks and memoization the executor wraps around every kind.

Adding a template kind: its model and validation (spec/), one module in engine/ with
`async def execute_<kind>(job: TemplateJob) -> None` that ends with `job.run.finish(job.node, ...)`,
and one line in HANDLERS (and one in NODE_TYPES when its node is not of type Pod)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from . import nodes as N
from .dag import execute_dag
from .http_template import execute_data, execute_http
from .plugins import execute_plugin
from .pods import execute_pod
from .resource_template import execute_resource
from .steps import execute_steps
from .suspend import execute_suspend

if TYPE_CHECKING:
    from .executor import TemplateJob

Handler = Callable[["TemplateJob"], Awaitable[None]]

HANDLERS: dict[str, Handler] = {
    "steps": execute_steps,
    "dag": execute_dag,
    "container": execute_pod,
    "script": execute_pod,
    "containerSet": execute_pod,
    "suspend": execute_suspend,
    "http": execute_http,
    "data": execute_data,
    "resource": execute_resource,
    "plugin": execute_plugin,
}

# the type of the node a template of this kind runs as (Argo's NodeType); Pod when not listed
NODE_TYPES: dict[str, str] = {"steps": N.STEPS, "dag": N.DAG, "suspend": N.SUSPEND, "plugin": N.PLUGIN}
