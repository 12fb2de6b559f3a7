"""Resource templates for the kinds a local runner can model, without a cluster: a dispatch table
keyed by the manifest's kind. Each kind answers `act` (create/apply/replace/get/delete; the object
after it, None once deleted) and `get` (the object now, None when gone); resource_template.py evaluates
successCondition, failureCondition and output parameters on what they return.

- Workflow: a child run (child_workflows.py), its Argo object as `kubectl get` shows it;
- PersistentVolumeClaim: a Docker volume named after the claim, created on first mount, removed with
  the run (unless --keep), `status.phase: Bound`;
- ConfigMap, Secret: the run's config maps and secrets (and the local stores, when the CLI set
  `Resources.persist`);
- batch/v1 Job, Pod: the pod template's containers run as a child run; Job's status counts
  `succeeded`/`failed` pods (`completions`, `parallelism`, `backoffLimit`), Pod's is `status.phase`.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from . import nodes as N
from .scope import StepError

if TYPE_CHECKING:
    from .interfaces import RunContext

ACTIONS = ("create", "apply", "replace", "get", "delete")


def _name(run: RunContext, manifest: dict[str, Any], action: str) -> str:
    meta = manifest.get("metadata") or {}
    name = meta.get("name")
    if name:
        return str(name)
    if action in ("create", "apply", "replace") and meta.get("generateName"):
        from .run import generate_name
        return generate_name(str(meta["generateName"]))
    raise StepError(f"{manifest.get('kind')}: metadata.name is required for {action}")


def _stamped(run: RunContext, manifest: dict[str, Any], name: str) -> dict[str, Any]:
    """The object as the API server returns it: name, namespace, uid, creationTimestamp filled in."""
    obj = copy.deepcopy(manifest)
    meta = obj.setdefault("metadata", {})
    meta.update(name=name, namespace=meta.get("namespace") or run.namespace, uid=str(uuid.uuid4()),
                creationTimestamp=N.iso(run.clock.now()))
    return obj


def _not_found(kind: str, name: str) -> StepError:
    return StepError(f'{kind.lower()}s "{name}" not found')


class WorkflowKind:
    async def act(self, run: RunContext, action: str, manifest: dict[str, Any]) -> dict | None:
        children = run.children
        if action in ("create", "apply", "replace"):
            doc = copy.deepcopy(manifest)
            doc.setdefault("metadata", {})["name"] = _name(run, manifest, action)
            return await children.create(doc)
        name = _name(run, manifest, action)
        if action == "delete":
            await children.delete(name)
            return None
        return self.lookup(run, name)

    def lookup(self, run: RunContext, name: str) -> dict:
        obj = run.children.get(name)
        if obj is None:
            raise StepError(f'workflows.argoproj.io "{name}" not found')
        return obj

    async def get(self, run: RunContext, obj: dict[str, Any]) -> dict | None:
        return run.children.get(obj["metadata"]["name"])

    def settled(self, run: RunContext, obj: dict[str, Any]) -> bool:
        return run.children.finished(obj["metadata"]["name"])


class StoredKind:
    """Objects kept by name for the run (PersistentVolumeClaim; ConfigMap and Secret also update
    the run's Resources)."""

    def __init__(self, kind: str):
        self.kind = kind

    async def act(self, run: RunContext, action: str, manifest: dict[str, Any]) -> dict | None:
        table = run.local_objects.setdefault(self.kind, {})
        name = _name(run, manifest, action)
        if action == "get":
            if name not in table and not self._known(run, name):
                raise _not_found(self.kind, name)
            return table.get(name) or _stamped(run, {**manifest, "data": self._data(run, name)}, name)
        if action == "delete":
            table.pop(name, None)
            self._forget(run, name)
            return None
        if action == "create" and (name in table or self._known(run, name) and self.kind != "PersistentVolumeClaim"):
            raise StepError(f'{self.kind.lower()}s "{name}" already exists')
        obj = _stamped(run, manifest, name)
        if self.kind == "PersistentVolumeClaim":
            spec = manifest.get("spec") or {}
            obj["status"] = {"phase": "Bound", "accessModes": spec.get("accessModes", []),
                             "capacity": dict((spec.get("resources") or {}).get("requests") or {})}
            run.volumes.resource_claims.add(name)
            await run.runtime.start_run(run.name, [name], network=False)  # the run's volume, removed with it
        else:
            self._save(run, obj)
        table[name] = obj
        return obj

    async def get(self, run: RunContext, obj: dict[str, Any]) -> dict | None:
        return run.local_objects.get(self.kind, {}).get(obj["metadata"]["name"])

    def settled(self, run: RunContext, obj: dict[str, Any]) -> bool:
        return True  # nothing changes these objects but other resource templates

    def _known(self, run: RunContext, name: str) -> bool:
        if self.kind == "ConfigMap":
            return name in run.resources.config_maps
        if self.kind == "Secret":
            return name in run.resources.secrets
        return False

    def _data(self, run: RunContext, name: str) -> dict[str, str]:
        import base64
        if self.kind == "ConfigMap":
            return dict(run.resources.config_maps.get(name, {}))
        if self.kind == "Secret":
            return {k: base64.b64encode(v).decode() for k, v in run.resources.secrets.get(name, {}).items()}
        return {}

    def _save(self, run: RunContext, obj: dict[str, Any]) -> None:
        run.resources.add_manifest(obj)
        persist = getattr(run.resources, "persist", None)
        if persist is not None:
            persist(obj)

    def _forget(self, run: RunContext, name: str) -> None:
        if self.kind == "PersistentVolumeClaim":
            run.volumes.resource_claims.discard(name)
            return
        table = run.resources.config_maps if self.kind == "ConfigMap" else run.resources.secrets
        table.pop(name, None)
        forget = getattr(run.resources, "forget", None)
        if forget is not None:
            forget(self.kind, name)


class PodKind:
    """A Pod, or a batch/v1 Job's pod template, run as a child Workflow of the same name."""

    def __init__(self, kind: str):
        self.kind = kind

    def workflow(self, name: str, manifest: dict[str, Any]) -> dict[str, Any]:
        spec = manifest.get("spec") or {}
        pod = (spec.get("template") or {}).get("spec") or {} if self.kind == "Job" else spec
        containers = list(pod.get("containers") or [])
        if not containers:
            raise StepError(f"{self.kind} {name}: the pod spec has no containers")
        tmpl: dict[str, Any] = {"name": "pod"}
        if len(containers) == 1:
            tmpl["container"] = {k: v for k, v in containers[0].items() if k != "name"}
        else:
            tmpl["containerSet"] = {"containers": containers}
        for key in ("initContainers", "volumes"):
            if pod.get(key):
                tmpl[key] = pod[key]
        templates = [tmpl]
        wf_spec: dict[str, Any] = {"entrypoint": "pod", "templates": templates}
        if self.kind == "Job":
            completions = int(spec.get("completions") or 1)
            tmpl["retryStrategy"] = {"limit": int(spec.get("backoffLimit", 6))}
            if spec.get("parallelism"):
                wf_spec["parallelism"] = int(spec["parallelism"])
            if completions > 1:
                templates.insert(0, {"name": "job", "steps": [[{"name": "pod", "template": "pod",
                                                              "withSequence": {"count": str(completions)}}]]})
                wf_spec["entrypoint"] = "job"
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": name},
                "spec": wf_spec}

    async def act(self, run: RunContext, action: str, manifest: dict[str, Any]) -> dict | None:
        name = _name(run, manifest, action)
        table = run.local_objects.setdefault(self.kind, {})
        if action == "delete":
            await run.children.delete(name)
            table.pop(name, None)
            return None
        if action == "get":
            if name not in table:
                raise _not_found(self.kind, name)
            return await self.get(run, table[name])
        if name in table:
            raise StepError(f'{self.kind.lower()}s "{name}" already exists')
        await run.children.create(self.workflow(name, manifest))
        table[name] = _stamped(run, manifest, name)
        return await self.get(run, table[name])

    async def get(self, run: RunContext, obj: dict[str, Any]) -> dict | None:
        child = run.children.get(obj["metadata"]["name"])
        if child is None:
            return None
        return {**obj, "status": self.status(child)}

    def settled(self, run: RunContext, obj: dict[str, Any]) -> bool:
        return run.children.finished(obj["metadata"]["name"])

    def status(self, child: dict[str, Any]) -> dict[str, Any]:
        status = child.get("status") or {}
        phase = status.get("phase") or N.PENDING
        if self.kind == "Pod":
            pod = {"phase": "Failed" if phase == N.ERROR else phase}
            if status.get("message") and phase != N.SUCCEEDED:
                pod["message"] = status["message"]
            return pod
        pods = [n for n in (status.get("nodes") or {}).values() if n.get("type") == N.POD]
        out: dict[str, Any] = {}
        counts = {"active": sum(n.get("phase") in (N.PENDING, N.RUNNING) for n in pods),
                  "succeeded": sum(n.get("phase") == N.SUCCEEDED for n in pods),
                  "failed": sum(n.get("phase") in N.BAD_PHASES for n in pods)}
        if phase in (N.FAILED, N.ERROR) and not counts["failed"]:  # it ended before any pod ran
            counts["failed"] = 1
        out.update({k: v for k, v in counts.items() if v})  # Kubernetes leaves zero counts out
        if phase in (N.SUCCEEDED, N.FAILED, N.ERROR):
            condition = {"type": "Complete" if phase == N.SUCCEEDED else "Failed", "status": "True"}
            if phase != N.SUCCEEDED and status.get("message"):
                condition["message"] = status["message"]
            out["conditions"] = [condition]
        return out


KINDS: dict[str, Any] = {
    "Workflow": WorkflowKind(),
    "PersistentVolumeClaim": StoredKind("PersistentVolumeClaim"),
    "ConfigMap": StoredKind("ConfigMap"),
    "Secret": StoredKind("Secret"),
    "Job": PodKind("Job"),
    "Pod": PodKind("Pod"),
}
API_VERSIONS = {"Workflow": "argoproj.io/v1alpha1", "PersistentVolumeClaim": "v1", "ConfigMap": "v1",
                "Secret": "v1", "Job": "batch/v1", "Pod": "v1"}


def local_kind(manifest: dict[str, Any]) -> Any:
    """The handler for this manifest's kind (and API group), or None: then kubectl is needed."""
    kind = manifest.get("kind")
    if not isinstance(kind, str) or API_VERSIONS.get(kind) != manifest.get("apiVersion"):
        return None
    return KINDS[kind]
