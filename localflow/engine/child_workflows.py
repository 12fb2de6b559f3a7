"""Workflows created by resource templates (Argo's `workflow-of-workflows.yaml`, `k8s-wait-wf.yaml`):
each runs as a run of its own, next to its parent, on the same runtime, with the parent's templates,
secrets, config maps and locks. `get` answers with the child's Argo object (its `status.phase`
feeds success/failureCondition). The parent's run waits for the children it started before it ends
(one process runs them all), and stops them when it is stopped.

The CLI records children in the history by setting `WorkflowRun.child_recording`: a callable
`(child_run) -> recording` with `.events` (the child's Events), `.started(run)`, `.finished(run)`
and `.close()`; without it children are not recorded. It may also set `WorkflowRun.more_templates`,
a callable given the (kind, name) pairs a child's manifest references, that adds installed
templates to the run's bundle.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from .scope import StepError

if TYPE_CHECKING:
    from .run import WorkflowRun


class ChildWorkflows:
    def __init__(self, parent: WorkflowRun):
        self.parent = parent
        self.runs: dict[str, WorkflowRun] = {}
        self.tasks: list[asyncio.Task] = []

    def build(self, manifest: dict[str, Any]) -> WorkflowRun:
        """A WorkflowRun for a Workflow manifest, checked as `localflow submit` checks a file."""
        from localflow.errors import LocalflowError
        from localflow.spec.load import load_text
        from localflow.spec.validate import validate_workflow
        from localflow.spec.workflow_ref import resolve_workflow_template_ref, template_refs

        from .run import WorkflowRun, generate_name
        parent = self.parent
        try:
            more = getattr(parent, "more_templates", None)
            if more is not None and parent.bundle is not None:
                more(template_refs(manifest))
            bundle = load_text(json.dumps(manifest), "resource manifest")
            if len(bundle.workflows) != 1:
                raise StepError("the manifest must hold one Workflow")
            wf = resolve_workflow_template_ref(bundle.workflows[0], parent.bundle)
            validate_workflow(wf, file="resource manifest", templates=parent.bundle)
            name = wf.metadata.name or generate_name(wf.metadata.generate_name or "workflow-")
            if name in self.runs or name == parent.name:
                raise StepError(f'workflows.argoproj.io "{name}" already exists')
            return WorkflowRun(wf, runtime=parent.runtime, artifacts=parent.artifacts_flow.store,
                               templates=parent.bundle, name=name, clock=parent.clock,
                               resources=parent.resources, options=parent.options, locks=parent.sync.provider,
                               memo_cache=parent.memo.cache)
        except LocalflowError as e:
            raise StepError(str(e)) from None

    async def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        child = self.build(manifest)
        recording = None
        hook = self.parent.child_recording
        if hook is not None:
            recording = hook(child)
            child.events = recording.events
            recording.started(child)
        self.runs[child.name] = child
        self.tasks.append(asyncio.ensure_future(self._run(child, recording)))
        await asyncio.sleep(0)  # the child starts (Running) before the parent looks at it
        return child.to_argo()

    async def _run(self, child: WorkflowRun, recording: Any) -> None:
        try:
            await child.execute()
        finally:
            if recording is not None:
                recording.finished(child)
                recording.close()

    def get(self, name: str) -> dict[str, Any] | None:
        child = self.runs.get(name)
        return child.to_argo() if child is not None else None

    def finished(self, name: str) -> bool:
        child = self.runs.get(name)
        return child is None or child.finished_at is not None

    async def delete(self, name: str) -> bool:
        child = self.runs.get(name)
        if child is None:
            return False
        if child.finished_at is None:
            await child.request_stop(terminate=True)
        return True

    async def wait_all(self, stopping: bool) -> None:
        """Before the parent's run ends: its children end too (stopped if the parent was)."""
        if stopping:
            for child in self.runs.values():
                if child.finished_at is None:
                    await child.request_stop(message=self.parent.stop_message)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
