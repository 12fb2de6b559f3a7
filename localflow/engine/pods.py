"""Leaf templates (container, script) as pods: build the PodSpec, run it, read its outputs."""

from __future__ import annotations

import io
import tarfile
from typing import TYPE_CHECKING, Any

from localflow.errors import ExprError
from localflow.spec import model as M
from localflow.spec.validate import parse_quantity

from . import nodes as N
from .downward import PodMeta, pod_meta
from .interfaces import ContainerSpec, InputFile, MountSpec, PodReason, PodResult, PodSpec
from .outputs import evaluate_expression
from .scope import StepError, to_text

if TYPE_CHECKING:
    from .executor import TemplateJob
    from .interfaces import RunContext

SCRIPT_PATH = "/argo/staging/script"


def tar_of_file(path: str, data: bytes, mode: int = 0o644) -> bytes:
    """A tar with one file, to put_archive into the parent of `path`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo(path.rstrip("/").rsplit("/", 1)[-1])
        info.size = len(data)
        info.mode = mode
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def container_set_backoff(rs: Any) -> tuple[int, float]:
    """(attempts, seconds between them) of a containerSet.retryStrategy, as ContainerSetTemplate.
    GetRetryStrategy builds the emissary's wait.Backoff: Steps = retries (every run counts, so
    `retries: 2` runs a failing container twice), a constant `duration` between runs. `retries: 0` is
    taken as one run (Argo's backoff would then never run the command)."""
    try:
        steps = int(str(rs.retries)) if rs.retries is not None else 1
    except ValueError:
        steps = 0  # intstr.IntValue of a non-number
    delay = 0.0
    if rs.duration:
        from localflow.expr.gotime import parse_duration
        try:
            nanos = parse_duration(rs.duration)
        except ExprError as e:
            raise StepError(f"containerSet.retryStrategy.duration: {e}") from e
        if nanos < 0:
            raise StepError(f"duration has to be positive, current duration: {rs.duration}")
        delay = nanos / 1e9
    return max(steps, 1), delay


class PodExecutor:
    def __init__(self, run: RunContext):
        self.run = run

    # ---- building the pod ----
    def container_spec(self, c: Any, name: str, tmpl: M.Template, pod: str, vals: dict,
                       meta: PodMeta | None = None) -> ContainerSpec:
        run = self.run
        if not c.image:
            raise StepError(f"{name}: container has no image")
        meta = meta or pod_meta(run, pod)
        env: dict[str, str] = {}
        for ef in c.env_from or []:
            env.update(run.env_from(ef))
        for e in c.env or []:
            if e.value_from is not None:
                env[e.name] = run.env_value_from(e.value_from, meta, e.name)
            else:
                env[e.name] = e.value or ""
        spec = ContainerSpec(name=name, image=c.image, command=list(c.command) if c.command else None,
                             args=list(c.args) if c.args else None, env=env, working_dir=c.working_dir or None,
                             image_pull_policy=c.image_pull_policy, tty=bool(getattr(c, "tty", False)))
        limits = (c.resources.limits if c.resources is not None else None) or {}
        if "memory" in limits:
            spec.memory_limit = int(parse_quantity(limits["memory"]))
        if "cpu" in limits:
            spec.nano_cpus = max(int(parse_quantity(limits["cpu"]) * 1e9), 10_000_000)
        if c.readiness_probe is not None:
            spec.readiness_probe = M.to_dict(c.readiness_probe)
        sc = c.security_context or tmpl.security_context
        if sc is not None:
            uid = getattr(sc, "run_as_user", None)
            gid = getattr(sc, "run_as_group", None)
            if uid is not None:
                spec.user = f"{uid}:{gid}" if gid is not None else str(uid)
            if getattr(sc, "run_as_non_root", None) and uid in (None, 0):
                if uid == 0:
                    raise StepError(f"{name}: runAsNonRoot is set but runAsUser is 0")
            spec.privileged = bool(getattr(sc, "privileged", False))
            caps = getattr(sc, "capabilities", None)
            if caps is not None:
                spec.cap_add = list(getattr(caps, "add", None) or [])
                spec.cap_drop = list(getattr(caps, "drop", None) or [])
            spec.read_only_rootfs = bool(getattr(sc, "read_only_root_filesystem", False))
        spec.mounts, spec.input_files = run.volumes.mounts_for(c.volume_mounts or [], tmpl, pod)
        return spec

    def build(self, node: N.Node, tmpl: M.Template, vals: dict, in_arts: dict) -> PodSpec:
        run = self.run
        pod = node.pod_name
        kind = tmpl.kind
        cset: list[tuple[ContainerSpec, list[str]]] = []
        default = "main"
        if kind == "containerSet" and not any(cn.name == "main" for cn in tmpl.container_set.containers):
            default = tmpl.container_set.containers[-1].name
        meta = pod_meta(run, pod, node, tmpl, default)
        if kind == "containerSet":
            cs = tmpl.container_set
            for cn in cs.containers:
                spec_c = self.container_spec(cn, cn.name, tmpl, pod, vals, meta)
                shared, files = run.volumes.mounts_for(cs.volume_mounts or [], tmpl, pod)
                spec_c.mounts = shared + spec_c.mounts
                spec_c.input_files = files + spec_c.input_files
                cset.append((spec_c, list(cn.dependencies or [])))
            main = next((c for c, _ in cset if c.name == "main"), cset[-1][0])
        else:
            c = tmpl.container if kind == "container" else tmpl.script
            main = self.container_spec(c, "main", tmpl, pod, vals, meta)
        if kind == "script" and c.source:  # an empty source runs as a container (operator.go executeScript)
            main.args = list(main.args or []) + [SCRIPT_PATH]
        if kind == "script":
            main.input_files.append(InputFile("/argo/staging", lambda src=c.source: tar_of_file(
                SCRIPT_PATH, (src or "").encode(), 0o755), "script"))
        for name, (decl, src) in in_arts.items():
            if decl.path:
                main.input_files.append(run.artifacts_flow.input_file(decl, src, node))
        spec = PodSpec(run_name=run.name, node_id=node.id, node_name=node.name, display_name=node.display_name,
                       pod_name=pod, main=main, template_name=tmpl.name, daemon=bool(tmpl.daemon),
                       capture_stdout=True, container_set=cset)
        if kind == "containerSet" and tmpl.container_set.retry_strategy is not None:
            spec.container_attempts, spec.container_retry_delay = container_set_backoff(
                tmpl.container_set.retry_strategy)
        for sc in tmpl.sidecars or []:
            side = self.container_spec(sc, sc.name, tmpl, pod, vals, meta)
            if getattr(sc, "mirror_volume_mounts", False):
                side.mounts = list(main.mounts) + side.mounts
            spec.sidecars.append(side)
        for ic in tmpl.init_containers or []:
            init = self.container_spec(ic, ic.name, tmpl, pod, vals, meta)
            if getattr(ic, "mirror_volume_mounts", False):
                init.mounts = list(main.mounts) + init.mounts
            spec.init_containers.append(init)
        if tmpl.outputs is not None:
            for p in tmpl.outputs.parameters:
                if p.value_from is not None and p.value_from.path:
                    spec.output_parameter_paths.append(p.value_from.path)
            for a in tmpl.outputs.artifacts:
                if a.path:
                    spec.output_artifact_paths.append((a.name, a.path))
        deadline = None
        if tmpl.active_deadline_seconds is not None:
            deadline = run.clock.monotonic() + run.parse_seconds(tmpl.active_deadline_seconds,
                                                                  "activeDeadlineSeconds")
        for limit in (run.deadline, run.node_deadlines.get(node.id),
                      run.node_deadlines.get(node.id.rsplit("(", 1)[0]) if node.retry_attempt is not None else None):
            if limit is not None:
                deadline = limit if deadline is None else min(deadline, limit)
        spec.deadline = deadline
        spec.want_ip = spec.daemon or bool(spec.sidecars) or run.uses_ip
        loc = tmpl.archive_location
        spec.archive_logs = bool(loc.archive_logs) if loc is not None and loc.archive_logs is not None \
            else bool(run.spec.archive_logs)
        spec.hostname = None
        return spec

    # ---- running it ----
    async def execute(self, node: N.Node, tmpl: M.Template, vals: dict, in_arts: dict) -> None:
        run = self.run
        try:
            spec = self.build(node, tmpl, vals, in_arts)
        except StepError as e:
            run.finish(node, N.ERROR, str(e))
            return
        if spec.daemon:
            await self._daemon(node, spec)
            return
        while run.control.suspended and not run.stopping:
            await run.clock.sleep(0.5)  # `localflow suspend`: no new pods until resumed
        async with run.pod_slots:
            if run.stopping:
                run.finish(node, N.FAILED, run.stop_message)
                return
            result = await run.runtime.run_pod(spec, run.log_sink, run.artifacts_flow.sink(node, tmpl))
        self.apply_result(node, tmpl, vals, result)

    async def _daemon(self, node: N.Node, spec: PodSpec) -> None:
        run = self.run
        handle, result = await run.runtime.start_daemon(spec, run.log_sink)
        node.started_at = result.started_at or node.started_at
        if handle is None:
            run.finish(node, result.phase if result.phase in N.BAD_PHASES else N.FAILED,
                       result.message or "daemon failed to become ready")
            return
        node.pod_ip = result.ip
        node.host_node_name = run.host_node_name
        node.daemoned = True
        run.daemon_handles[node.id] = handle
        run.changed(node)

    def apply_result(self, node: N.Node, tmpl: M.Template, vals: dict, result: PodResult) -> None:
        run = self.run
        node.started_at = result.started_at or node.started_at
        node.pod_ip = result.ip or node.pod_ip
        node.host_node_name = run.host_node_name
        outputs: dict[str, Any] = {}
        if result.exit_code is not None:
            outputs["exitCode"] = str(result.exit_code)
        if result.stdout is not None and result.exit_code is not None:
            outputs["result"] = result.stdout
        phase, message = result.phase, result.message
        if result.reason is PodReason.ENGINE_LOST and not run.engine_lost:
            run.engine_lost = message
        if run.stopping and phase in N.BAD_PHASES and result.reason is PodReason.STOPPED:
            message = run.stop_message
        try:
            params = self._output_parameters(tmpl, vals, result, outputs)
            if params:
                outputs["parameters"] = params
            arts = self._output_artifacts(tmpl, result)
            if arts:
                outputs["artifacts"] = arts
        except StepError as e:
            if phase == N.SUCCEEDED:
                phase, message = N.ERROR, str(e)
        node.outputs = outputs or None
        run.finish(node, phase, message, finished_at=result.finished_at)

    def _output_parameters(self, tmpl: M.Template, vals: dict, result: PodResult, outputs: dict) -> list[dict]:
        if tmpl.outputs is None:
            return []
        params = []
        for p in tmpl.outputs.parameters:
            vf = p.value_from
            value = p.value
            if vf is not None:
                if vf.path:
                    value = result.output_parameters.get(vf.path)
                    if value is None:
                        if vf.default is None:
                            if result.phase != N.SUCCEEDED:
                                continue
                            raise StepError(f"failed to read output parameter {p.name!r}: {vf.path}: "
                                            "no such file or directory")
                        value = vf.default
                    value = value.removesuffix("\n")  # as Argo: one newline trimmed
                elif vf.expression:
                    env = dict(vals)
                    env.update({"outputs.result": outputs.get("result"), "exitCode": outputs.get("exitCode")})
                    value = to_text(evaluate_expression(vf.expression, env))
                elif vf.supplied is not None:
                    value = self.run.supplied_value(p.name)
                elif vf.default is not None:
                    value = vf.default
            if value is None:
                continue
            params.append({"name": p.name, "value": value})
            if p.global_name:
                self.run.set_global_output("parameters", p.global_name, value)
        return params

    def _output_artifacts(self, tmpl: M.Template, result: PodResult) -> list[dict]:
        arts: list[dict] = []
        for a in tmpl.outputs.artifacts:
            if not a.path:
                continue
            got = result.output_artifacts.get(a.name)
            if got is None or isinstance(got, Exception):
                if a.optional or result.phase != N.SUCCEEDED:
                    continue
                why = str(got) if got is not None else f"{a.path}: no such file or directory"
                raise StepError(f"failed to save output artifact {a.name!r}: {why}")
            arts.append(got)
            if a.global_name:
                self.run.set_global_output("artifacts", a.global_name, got)
        logs = result.output_artifacts.get("main-logs")
        if isinstance(logs, dict):
            arts.append(logs)
        return arts


async def execute_pod(job: TemplateJob) -> None:
    """container, script and containerSet templates: one pod through the runtime."""
    await job.run.pods.execute(job.node, job.tmpl, job.vals, job.in_arts)


__all__ = ["MountSpec", "PodExecutor", "execute_pod"]
