"""An in-memory runtime for the engine's unit tests: no Docker, deterministic, instant.

By default a pod "runs" its command the way a tiny shell would for the commands the
examples use most (`echo`, `cowsay`, `sh -c "echo ..."`): its stdout is what echo would
print. Tests override behaviour per template with `FakeRuntime.on(template, ...)`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from localflow.engine.interfaces import (
    POD_DEADLINE_MESSAGE,
    STOPPED_MESSAGE,
    ArtifactSink,
    LogSink,
    PodReason,
    PodResult,
    PodSpec,
)


@dataclass
class Outcome:
    exit_code: int = 0
    stdout: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, bytes] = field(default_factory=dict)
    duration: float = 0.0
    ip: str | None = None
    ready: bool = True
    engine_lost: str | None = None  # the container engine stopped answering: this message, PodReason.ENGINE_LOST


Behaviour = Callable[[PodSpec, int], Outcome]


def echo_stdout(spec: PodSpec) -> str:
    argv = list(spec.main.command or []) + list(spec.main.args or [])
    if len(argv) >= 3 and argv[0] in ("sh", "/bin/sh", "bash") and argv[1] == "-c":
        text = argv[2]
        outs = []
        for part in text.split(";"):
            try:
                words = shlex.split(part.strip())
            except ValueError:
                continue
            if words and words[0] == "echo":
                outs.append(" ".join(w for w in words[1:] if w != "-n"))
        return "\n".join(outs)
    if argv and argv[0] in ("echo", "cowsay", "/argosay"):
        return " ".join(argv[1:])
    return ""


class FakeRuntime:
    def __init__(self, clock: Any = None):
        self.clock = clock
        self.behaviours: dict[str, Behaviour] = {}
        self.pods: list[PodSpec] = []
        self.attempts: dict[str, int] = {}
        self.running = 0
        self.max_running = 0
        self.daemons: dict[str, PodSpec] = {}
        self.stopped_daemons: list[str] = []
        self.runs_started: list[str] = []
        self.run_networks: dict[str, bool] = {}  # run name -> whether it asked for a network of its own
        self.runs_ended: list[str] = []
        self.stop_requested = False
        self.order: list[str] = []

    def on(self, template: str, behaviour: Behaviour | Outcome | None = None, **kw: Any) -> None:
        if behaviour is None:
            behaviour = Outcome(**kw)
        if isinstance(behaviour, Outcome):
            fixed = behaviour
            self.behaviours[template] = lambda spec, attempt: fixed
        else:
            self.behaviours[template] = behaviour

    def _outcome(self, spec: PodSpec) -> Outcome:
        template = spec.template_name
        base = re.sub(r"\(\d+\)$", "", spec.node_name)  # retries of one node count up together
        attempt = self.attempts.get(base, 0)
        self.attempts[base] = attempt + 1
        b = self.behaviours.get(template or "")
        if b is None:
            return Outcome(stdout=echo_stdout(spec))
        out = b(spec, attempt)
        if out.stdout is None:
            out.stdout = echo_stdout(spec)
        return out

    async def start_run(self, run_name: str, volumes: list[str], network: bool = True) -> None:
        self.runs_started.append(run_name)
        self.run_networks[run_name] = network

    async def run_pod(self, pod: PodSpec, logs: LogSink, artifacts: ArtifactSink | None) -> PodResult:
        self.pods.append(pod)
        self.order.append(pod.node_name)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        started = self.clock.now() if self.clock else 0.0
        try:
            out = self._outcome(pod)
            if out.duration:
                if self.clock is not None:
                    await self.clock.sleep(out.duration)
            deadline_hit = (pod.deadline is not None and self.clock is not None
                            and self.clock.monotonic() > pod.deadline)
            for line in (out.stdout or "").splitlines():
                logs(pod.display_name, "main", line)
        finally:
            self.running -= 1
        if deadline_hit or self.stop_requested:
            return PodResult(exit_code=143, phase="Failed",
                             message=POD_DEADLINE_MESSAGE if deadline_hit else STOPPED_MESSAGE,
                             reason=PodReason.DEADLINE if deadline_hit else PodReason.STOPPED, stdout="",
                             started_at=started, finished_at=self.clock.now() if self.clock else 0.0)
        if out.engine_lost is not None:
            return PodResult(exit_code=None, phase="Error", message=out.engine_lost, reason=PodReason.ENGINE_LOST,
                             started_at=started, finished_at=self.clock.now() if self.clock else 0.0)
        params = {p: out.files.get(p) for p in pod.output_parameter_paths}
        arts: dict[str, Any] = {}
        for name, path in pod.output_artifact_paths:
            if path in out.artifacts and artifacts is not None:
                arts[name] = artifacts(name, path, [out.artifacts[path]])
        phase = "Succeeded" if out.exit_code == 0 else "Failed"
        msg = "" if out.exit_code == 0 else f"main: Error (exit code {out.exit_code})"
        return PodResult(exit_code=out.exit_code, phase=phase, message=msg, stdout=out.stdout or "",
                         output_parameters=params, output_artifacts=arts, ip=out.ip or "10.0.0.1",
                         started_at=started, finished_at=self.clock.now() if self.clock else 0.0)

    async def start_daemon(self, pod: PodSpec, logs: LogSink) -> tuple[Any, PodResult]:
        self.pods.append(pod)
        self.order.append(pod.node_name)
        out = self._outcome(pod)
        ip = out.ip or f"10.0.1.{len(self.daemons) + 1}"
        if not out.ready:
            return None, PodResult(exit_code=None, phase="Failed", message="readiness probe failed")
        self.daemons[pod.node_id] = pod
        return pod.node_id, PodResult(exit_code=None, phase="Running", ip=ip)

    async def stop_daemon(self, handle: Any) -> None:
        self.daemons.pop(handle, None)
        self.stopped_daemons.append(handle)

    async def stop_pods(self, run_name: str) -> None:
        self.stop_requested = True

    async def stop_nodes(self, node_ids: list[str]) -> None:
        self.stopped_nodes = list(node_ids)

    async def resume_run(self, run_name: str) -> None:
        self.stop_requested = False

    async def end_run(self, run_name: str, keep: bool = False) -> None:
        self.runs_ended.append(run_name)


class FakeClock:
    """Virtual time: sleeping advances the clock at once (sequential waits add up exactly)."""

    def __init__(self, start: float = 1_700_000_000.0):
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        import asyncio
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)
