"""One workflow run: its nodes, globals, the entrypoint, the exit handler, stop and deadlines."""

from __future__ import annotations

import asyncio
import json
import secrets as _secrets
import socket
import string
import uuid
from collections.abc import Mapping
from typing import Any

from localflow.errors import LocalflowError
from localflow.spec import model as M
from localflow.spec.validate import parse_duration

from . import nodes as N
from .executor import Executor, TemplateCtx
from .globals import workflow_globals
from .downward import PodMeta
from .interfaces import Clock, Control, Events, RunOptions, Runtime  # noqa: F401 - re-exported
from .memo import Memoizer
from .pods import PodExecutor
from .resources import Resources
from .scope import Scope, StepError
from .sync import Synchronizer, has_locks
from .volumes import Volumes

STOP_MESSAGE = "Stopped with strategy 'Stop'"
TERMINATE_MESSAGE = "Stopped with strategy 'Terminate'"
WORKFLOW_DEADLINE_MESSAGE = "Step exceeded its deadline"  # Argo's, for nodes cut by activeDeadlineSeconds


def generate_name(prefix: str) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(_secrets.choice(alphabet) for _ in range(5))


class WorkflowRun:
    def __init__(self, wf: M.Workflow, *, runtime: Runtime, artifacts: Any = None,
                 templates: Any = None, parameters: Mapping[str, str] | None = None,
                 entrypoint: str | None = None, name: str | None = None, clock: Clock | None = None,
                 events: Events | None = None, resources: Resources | None = None,
                 options: RunOptions | None = None, control: Control | None = None,
                 previous: dict | None = None, locks: Any = None, memo_cache: Any = None):
        self.wf = wf
        self.spec: M.WorkflowSpec = wf.spec
        self.runtime = runtime
        self.clock = clock or Clock()
        self.events = events or Events()
        self.options = options or RunOptions()
        self.control = control or Control()
        self.bundle = templates
        self.resources = resources or Resources()
        meta = wf.metadata
        self.name = name or meta.name or generate_name(meta.generate_name or "workflow-")
        # `retry`: the earlier run of the same name; its Succeeded nodes are reused, not re-run
        self.previous_nodes: dict[str, dict] = {}
        if previous is not None:
            for n in (previous.get("status") or {}).get("nodes", {}).values():
                self.previous_nodes[n["name"]] = n
        self.namespace = meta.namespace or "default"
        self.uid = str(uuid.uuid4())
        self.entrypoint = entrypoint or self.spec.entrypoint
        self.nodes: dict[str, N.Node] = {}
        # node name -> id where a hash collision made it other than Argo's (`node_id`); a retry keeps them
        self.node_ids: dict[str, str] = {n["name"]: n["id"] for n in self.previous_nodes.values()
                                         if n["id"] != N.node_id(self.name, n["name"])}
        self.max_depth = self.options.max_depth
        self.template_defaults = M.to_dict(self.spec.template_defaults) if self.spec.template_defaults else None
        self.pod_slots = asyncio.Semaphore(int(self.spec.parallelism or self.options.max_parallel_pods))
        self.stopping = False
        # pod IPs cost an inspect per pod: read them only when something can use them
        text = json.dumps(M.to_dict(self.spec))
        external = templates is not None and bool(getattr(templates, "workflow_templates", None))
        self.uses_ip = ".ip" in text or external
        # a network of its own costs ~90 ms per container start (Docker's embedded DNS); a run needs one only
        # when pods are reached by address: daemons, IPs in use, probes localflow sends, executor plugins
        self.own_network = (self.uses_ip or bool(self.spec.executor_plugins)
                            or any(k in text for k in ('"daemon": true', "Probe")))
        self.host_node_name = socket.gethostname()  # Argo's hostNodeName: the machine the pod ran on
        self.engine_lost = ""  # the runtime lost the container engine: the run is an Error
        self.stop_message = STOP_MESSAGE
        self.terminating = False  # stopped with strategy Terminate: no exit handler
        self.deadline: float | None = None
        self.daemon_handles: dict[str, Any] = {}
        self.node_deadlines: dict[str, float] = {}  # template `timeout` of leaf nodes (monotonic)
        self.phase = N.PENDING
        self.message = ""
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.global_outputs: dict[str, dict[str, Any]] = {"parameters": {}, "artifacts": {}}
        self.parameters: list[dict[str, str]] = []
        self.local_inputs: dict[str, str] = {}  # input artifact name -> local path (submit's --input)
        self.plugin_agent: Any = None  # executor plugins, started on first use (engine/plugins.py agent_of)
        self.executor = Executor(self)
        self.sync = Synchronizer(self, locks)  # `synchronization`: the lock provider is injected
        self.memo = Memoizer(self, memo_cache)  # `memoize`: so is the config maps' cache
        self.pods = PodExecutor(self)
        self.volumes = Volumes(self)
        from .child_workflows import ChildWorkflows
        self.children = ChildWorkflows(self)  # Workflows, Jobs and Pods created by resource templates
        self.child_recording: Any = None  # set by the CLI to record children in the history
        self.local_objects: dict[str, dict[str, dict]] = {}  # kind -> name -> object (resource templates)
        from .artifact_flow import ArtifactFlow
        self.artifacts_flow = ArtifactFlow(self, artifacts)
        self.created_at = self.clock.now()
        self.globals, self.parameters = workflow_globals(self, self.created_at, dict(parameters or {}))

    # ---- globals ----
    def refresh_runtime_globals(self) -> None:
        """workflow.duration as Argo sets it on every pass (seconds so far, `%f`); workflow.status is
        the run's phase ("Running") until the exit handler, which sees the final one."""
        if self.started_at is not None:
            self.globals["workflow.duration"] = f"{self.clock.now() - self.started_at:.6f}"

    def set_global_output(self, kind: str, name: str, value: Any) -> None:
        self.global_outputs[kind][name] = value
        if kind == "parameters":
            self.globals[f"workflow.outputs.parameters.{name}"] = value
        else:
            from .outputs import ART_MARK
            self.globals[f"workflow.outputs.artifacts.{name}"] = {ART_MARK: value}

    # ---- nodes ----
    def new_node(self, name: str, display: str, ntype: str, template: str | None, boundary_id: str | None,
                 parent: N.Node | None, *, scope: str = "", ref: dict | None = None) -> N.Node:
        """A node; `template`, `ref` and `scope` are what Argo records: the caller's templateName or
        templateRef (N.held_template), and the scope of the template the caller is in."""
        nid = self.node_id(name)
        existed = nid in self.nodes
        self.refresh_runtime_globals()  # Argo's pass that creates a node sees the duration so far
        node = N.Node(id=nid, name=name, display_name=display, type=ntype, template_name=template,
                      template_ref=ref, template_scope=scope, boundary_id=boundary_id)
        self.nodes[nid] = node
        # a new node is not yet anyone's child: only a re-created one needs the (linear) check
        if parent is not None and (not existed or nid not in parent.children):
            parent.children.append(nid)
        self.changed(node)
        return node

    def node_id(self, name: str) -> str:
        """The node's id: Argo's (`<wf>-<fnv32a(name)>`) unless a node of another name already has
        it (a hash collision); then a unique one, and one notice naming both nodes."""
        nid = self.node_ids.get(name)
        if nid is not None:
            return nid
        nid = N.unique_node_id(self.name, name, self.node_name_of)
        if "-" in nid[len(self.name) + 1:]:  # `<Argo's id>-<k>`
            argo = nid.rpartition("-")[0]
            self.notice(f"warning: nodes {self.nodes[argo].name!r} and {name!r} have the same Argo node id "
                        f"{argo} (an fnv32a hash collision); {name!r} gets the id {nid}")
            self.node_ids[name] = nid
        return nid

    def node_name_of(self, nid: str) -> str | None:
        node = self.nodes.get(nid)
        return node.name if node is not None else None

    def reuse(self, name: str, parent: N.Node | None) -> N.Node | None:
        """A Succeeded node of the retried run (with its whole subtree), or None to run it again."""
        prev = self.previous_nodes.get(name)
        if prev is None or prev.get("phase") != N.SUCCEEDED or prev.get("daemoned") or name.endswith(".onExit"):
            return None
        by_id = {n["id"]: n for n in self.previous_nodes.values()}

        def copy(d: dict) -> N.Node:
            node = N.Node.from_argo(d)
            self.nodes[node.id] = node
            self.changed(node)
            for cid in node.children:
                if cid in by_id and cid not in self.nodes:
                    copy(by_id[cid])
            return node

        node = copy(prev)
        if parent is not None and node.id not in parent.children:
            parent.children.append(node.id)
        return node

    def mark_running(self, node: N.Node) -> None:
        node.phase = N.RUNNING
        node.started_at = node.started_at or self.clock.now()
        self.changed(node)

    def finish(self, node: N.Node, phase: str, message: str = "", finished_at: float | None = None) -> None:
        node.phase = phase
        if message or phase != N.SUCCEEDED:
            node.message = message
        now = self.clock.now()
        node.started_at = node.started_at or now
        node.finished_at = finished_at or now
        self.changed(node)

    def changed(self, node: N.Node) -> None:
        self.events.node_changed(self, node)

    def log_sink(self, display: str, container: str, line: str) -> None:
        self.events.log(self, display, container, line)

    def notice(self, message: str) -> None:
        self.events.notice(self, message)

    # ---- lookups the executors need ----
    def parse_seconds(self, value: Any, what: str) -> float:
        try:
            return float(value) if isinstance(value, (int, float)) else parse_duration(str(value))
        except Exception as e:
            raise StepError(f"{what}: invalid duration {value!r}") from e

    def resolve_template_ref(self, ref: M.TemplateRef, where: str) -> tuple[M.Template, TemplateCtx]:
        b = self.bundle
        pool = (b.cluster_workflow_templates if ref.cluster_scope else b.workflow_templates) if b else {}
        wft = pool.get(ref.name)
        if wft is None:
            kind = "ClusterWorkflowTemplate" if ref.cluster_scope else "WorkflowTemplate"
            raise StepError(f"{where}: {kind} {ref.name!r} not found (pass it with --templates)")
        templates = {t.name: t for t in wft.spec.templates}
        if ref.template not in templates:
            raise StepError(f"{where}: template {ref.template!r} not found in {ref.name!r}")
        scope = f"{'cluster' if ref.cluster_scope else 'namespaced'}/{ref.name}"
        return templates[ref.template], TemplateCtx(templates, scope)

    def value_from_param(self, vf: M.ValueFrom, where: str) -> str | None:
        if vf.config_map_key_ref is not None:
            return self.config_map_value(vf.config_map_key_ref, vf.default)
        return vf.default

    def config_map_value(self, ref: Any, default: str | None) -> str:
        try:
            return self.resources.config_map_key(ref.name, ref.key)
        except StepError:
            if default is not None:
                return default
            raise

    def supplied_value(self, name: str) -> str | None:
        return self.control.supplied.get(name)

    def env_from(self, ef: Any) -> dict[str, str]:
        return self.resources.env_from(ef)

    def env_value_from(self, vf: Any, pod: PodMeta, name: str) -> str:
        """An env var's valueFrom: the pod's own fields (the downward API), secrets and config maps."""
        if vf.field_ref is not None:
            path = vf.field_ref.get("fieldPath") if isinstance(vf.field_ref, dict) else vf.field_ref.field_path
            return pod.field(path or "")
        return self.resources.env_value_from(vf, name)

    # ---- daemons ----
    async def stop_daemon(self, node: N.Node) -> None:
        handle = self.daemon_handles.pop(node.id, None)
        if handle is not None:
            await self.runtime.stop_daemon(handle)
        if not node.done:
            self.finish(node, N.SUCCEEDED)

    # ---- stop ----
    async def request_stop(self, terminate: bool = False, message: str | None = None) -> None:
        if self.stopping and not terminate:
            return
        self.stopping = True
        self.terminating = terminate
        self.stop_message = message or (TERMINATE_MESSAGE if terminate else STOP_MESSAGE)
        await self.runtime.stop_pods(self.name)

    # ---- the run ----
    async def _deadline_watch(self, seconds: float) -> None:
        await self.clock.sleep(seconds)
        await self.request_stop(message=WORKFLOW_DEADLINE_MESSAGE)

    async def execute(self) -> str:
        from .collector import tuned_collector
        with tuned_collector():
            return await self._execute()

    async def _execute(self) -> str:
        self.terminating = False
        self.started_at = self.clock.now()
        self.phase = N.RUNNING
        self.globals["workflow.status"] = N.RUNNING
        self.refresh_runtime_globals()
        watch = None
        if self.spec.active_deadline_seconds is not None:
            secs = self.parse_seconds(self.spec.active_deadline_seconds, "spec.activeDeadlineSeconds")
            self.deadline = self.clock.monotonic() + secs
            watch = asyncio.ensure_future(self._deadline_watch(secs))
        scope = Scope(values={})
        ctx = TemplateCtx({t.name: t for t in self.spec.templates}, f"local/{self.name}")
        try:
            if has_locks(self.spec.synchronization) and not await self._workflow_locks():
                return self.phase
            await self.runtime.start_run(self.name, self.volumes.run_volume_names(), network=self.own_network)
            self.volumes.prepare()
            holder = M.WorkflowStep(name=self.name, template=self.entrypoint)
            args = M.Arguments(parameters=[M.Parameter(name=p["name"], value=p["value"]) for p in self.parameters],
                               artifacts=list(self.spec.arguments.artifacts) if self.spec.arguments else [])
            root = await self.executor.execute(name=self.name, display=self.name, holder=holder,
                                               args=args, ctx=ctx, scope=scope, boundary_id=None,
                                               depth=0, parent=None)
            for nid in list(self.daemon_handles):
                await self.stop_daemon(self.nodes[nid])
            phase, message = root.phase, root.message
            if self.stopping and phase == N.SUCCEEDED:
                phase, message = N.FAILED, self.stop_message
            if self.spec.on_exit and not self.terminating and not self.engine_lost:
                self.globals["workflow.status"] = phase
                self.globals["workflow.failures"] = N.failures_value(self.name, self.nodes.values())
                self.globals["workflow.duration"] = f"{self.clock.now() - self.started_at:.6f}"
                was_stopping, self.stopping = self.stopping, False
                if was_stopping:
                    await self.runtime.resume_run(self.name)
                exit_node = await self.executor.execute(
                    name=f"{self.name}.onExit", display=f"{self.name}.onExit",
                    holder=M.WorkflowStep(name="onExit", template=self.spec.on_exit), args=None, ctx=ctx,
                    scope=scope, boundary_id=None, depth=0, parent=None)
                self.stopping = was_stopping
                for nid in list(self.daemon_handles):
                    await self.stop_daemon(self.nodes[nid])
                if phase == N.SUCCEEDED and exit_node.phase in N.BAD_PHASES:
                    phase, message = exit_node.phase, exit_node.message
            if self.stopping and phase in N.BAD_PHASES:
                message = self.stop_message
            if self.engine_lost:
                phase, message = N.ERROR, self.engine_lost
            self.phase, self.message = phase, message
        except LocalflowError as e:
            self.phase, self.message = N.ERROR, str(e)
        finally:
            if watch is not None:
                watch.cancel()
            if self.children.runs:
                await self.children.wait_all(self.stopping)
            self.finished_at = self.clock.now()
            try:
                await self.runtime.end_run(self.name, keep=self.options.keep)
            except LocalflowError as e:
                self.events.notice(self, str(e))
            finally:
                self.sync.release_all()  # every lock the run or its nodes still hold, on every exit path
        return self.phase

    async def _workflow_locks(self) -> bool:
        """`spec.synchronization`: wait (Pending, Argo's message) until the run holds its locks; the
        run holds them until it ends. False if it ended first (stopped while waiting, or a bad lock)."""
        try:
            held = await self.sync.acquire_for_workflow()
        except StepError as e:
            self.phase, self.message = N.FAILED, f"Failed to acquire the synchronization lock. {e}"
            return False
        if held is None:
            self.phase, self.message = N.FAILED, self.stop_message
            return False
        self.phase, self.message = N.RUNNING, ""
        return True

    # ---- Argo's shape ----
    def to_argo(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "phase": self.phase,
            "startedAt": N.iso(self.started_at),
            "finishedAt": N.iso(self.finished_at),
            "nodes": {nid: n.to_argo() for nid, n in self.nodes.items()},
        }
        if self.message:
            status["message"] = self.message
        outs: dict[str, Any] = {}
        if self.global_outputs["parameters"]:
            outs["parameters"] = [{"name": k, "value": v} for k, v in self.global_outputs["parameters"].items()]
        if self.global_outputs["artifacts"]:
            outs["artifacts"] = [dict(v, name=k) for k, v in self.global_outputs["artifacts"].items()]
        if outs:
            status["outputs"] = outs
        spec = M.to_dict(self.spec)
        if self.parameters:
            spec.setdefault("arguments", {})["parameters"] = self.parameters
        if self.entrypoint:
            spec["entrypoint"] = self.entrypoint
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace, "uid": self.uid,
                                "creationTimestamp": N.iso(self.created_at)}
        if self.wf.metadata.generate_name:
            meta["generateName"] = self.wf.metadata.generate_name
        if self.wf.metadata.labels:
            meta["labels"] = dict(self.wf.metadata.labels)
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": spec,
                "status": status}

