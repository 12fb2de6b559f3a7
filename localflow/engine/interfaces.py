"""What the engine needs from the world: a container runtime, an artifact store, a clock.

The engine never imports docker; the Docker runtime and the in-memory fake both
implement `Runtime`. Everything here is plain data so the engine stays deterministic
given the runtime's answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from .collector import tuned_collector  # noqa: F401 - the recorder writes a large run's nodes under it too

if TYPE_CHECKING:
    from localflow.spec import model as M

    from .nodes import Node

LogSink = Callable[[str, str, str], None]
"""(node display name, container name, line) → None; called from any thread."""


@dataclass
class InputFile:
    """Something to place in the container before it starts.

    `tar` is a factory returning an iterable of bytes (a tar stream) to extract into
    `parent` with Docker's put_archive; the engine builds it, the runtime only copies.
    """

    parent: str
    tar: Callable[[], Iterable[bytes] | bytes]
    description: str = ""


@dataclass
class MountSpec:
    """A volume for a container: a run volume, a named volume, a host path, or tmpfs."""

    target: str
    source: str | None = None  # volume name or host path
    kind: str = "volume"  # volume | bind | tmpfs
    read_only: bool = False
    sub_path: str | None = None
    auto: str | None = None  # "run": created for the run, removed with it; "pvc": created once, kept


@dataclass
class ContainerSpec:
    name: str
    image: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    mounts: list[MountSpec] = field(default_factory=list)
    input_files: list[InputFile] = field(default_factory=list)
    memory_limit: int | None = None  # bytes
    nano_cpus: int | None = None
    image_pull_policy: str | None = None
    readiness_probe: dict | None = None  # the Probe as Argo's JSON
    user: str | None = None
    privileged: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    read_only_rootfs: bool = False
    ports: list[int] = field(default_factory=list)
    tty: bool = False


@dataclass
class PodSpec:
    """One Argo pod: main container, sidecars, init containers, sharing a network namespace."""

    run_name: str
    node_id: str
    node_name: str  # Argo node name (for labels and log prefixes)
    display_name: str
    pod_name: str
    main: ContainerSpec
    template_name: str | None = None
    # a containerSet: (container, names it depends on), run in dependency order; `main` is the one named
    # "main" (or the last), whose stdout is the result and whose files give the outputs
    container_set: list[tuple[ContainerSpec, list[str]]] = field(default_factory=list)
    # containerSet.retryStrategy: every container runs up to this many times in the same container (its
    # files survive), `container_retry_delay` seconds apart
    container_attempts: int = 1
    container_retry_delay: float = 0.0
    sidecars: list[ContainerSpec] = field(default_factory=list)
    init_containers: list[ContainerSpec] = field(default_factory=list)
    # paths in the main container read as text after it exits (output parameters)
    output_parameter_paths: list[str] = field(default_factory=list)
    # (artifact name, path) collected after exit; the sink receives a tar stream
    output_artifact_paths: list[tuple[str, str]] = field(default_factory=list)
    capture_stdout: bool = True
    archive_logs: bool = False
    want_ip: bool = True  # read the pod's IP (an inspect call): daemons, and workflows that use `.ip`  # also hand main's logs to the artifact sink as `main-logs`
    daemon: bool = False
    hostname: str | None = None
    aliases: list[str] = field(default_factory=list)
    deadline: float | None = None  # monotonic deadline for main
    termination_grace: float = 10.0


POD_DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
"""Kubernetes' message for a pod killed at its activeDeadlineSeconds (reason DeadlineExceeded), which
Argo shows as the node's message; the runtimes set it with `PodReason.DEADLINE`."""
STOPPED_MESSAGE = "Stopped"
"""The runtime's message for a pod it stopped on request; the engine replaces it with the stop strategy's."""


class PodReason(Enum):
    """Why a pod ended, when it is not its own doing: the engine decides on this, never on the message."""

    DEADLINE = "deadline"  # killed at its deadline (POD_DEADLINE_MESSAGE)
    STOPPED = "stopped"  # stopped on request (stop, terminate, a workflow deadline)
    ENGINE_LOST = "engine_lost"  # the container engine stopped answering: the run is an Error


@dataclass
class PodResult:
    exit_code: int | None
    phase: str  # Succeeded | Failed | Error
    message: str = ""
    reason: PodReason | None = None  # None: the pod's own outcome (its exit code, a start failure)
    stdout: str = ""
    output_parameters: dict[str, str | None] = field(default_factory=dict)  # path -> text or None (missing)
    output_artifacts: dict[str, Any] = field(default_factory=dict)  # artifact name -> sink's answer
    ip: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    logs: list[str] = field(default_factory=list)  # container names whose logs were kept


class ArtifactSink(Protocol):
    def __call__(self, name: str, path: str, tar_stream: Iterable[bytes]) -> Any: ...


class ArtifactStore(Protocol):
    """Where a run's artifacts live, injected as the runtime is (the CLI builds
    localflow.artifacts.run_store.RunArtifactStore); the engine never imports artifacts/.

    `repo` is the run's repository (None: none is configured, raw and local inputs only) and `repo_for(s3)` the one an `s3` location names (both with
    `endpoint`, `bucket`, `ensure_bucket()`, `list_objects(prefix)`). `own_server`: localflow's own
    artifact server (True: buckets a workflow names are made on first use, engine/buckets.py), an
    endpoint the user gave (False), not known (None: `is_own_server` reads it back from the configuration).
    """

    repo: Any
    own_server: bool | None

    def save(self, key_prefix: str, name: str, path: str, tar_stream: Iterable[bytes], archive: dict | None,
             key: str | None = None) -> dict: ...

    def input_tar(self, art: dict, dest_path: str, mode: int | None, sub_path: str | None = None
                  ) -> Iterable[bytes]: ...

    def repo_for(self, s3: dict) -> Any: ...

    def is_own_server(self, spec: M.WorkflowSpec) -> bool: ...


class Runtime(Protocol):
    """The container side of a run. Implementations: runtime.docker.DockerRuntime, runtime.fake.FakeRuntime."""

    async def start_run(self, run_name: str, volumes: list[str], network: bool = True) -> None: ...

    async def run_pod(self, pod: PodSpec, logs: LogSink, artifacts: ArtifactSink | None) -> PodResult: ...

    async def start_daemon(self, pod: PodSpec, logs: LogSink) -> tuple[Any, PodResult]:
        """Start a daemon pod; return when it is ready (handle, result with ip) or failed."""
        ...

    async def stop_daemon(self, handle: Any) -> None: ...

    async def stop_pods(self, run_name: str) -> None:
        """Stop every running container of the run (stop/terminate/deadline); waits then return."""
        ...

    async def stop_nodes(self, node_ids: list[str]) -> None:
        """Stop the pods of these nodes (a steps/DAG `timeout` ran out)."""
        ...

    async def resume_run(self, run_name: str) -> None:
        """After stop_pods: let pods start again (for the exit handler)."""
        ...

    async def end_run(self, run_name: str, keep: bool = False) -> None: ...


class Clock:
    """Time for the engine: real by default; tests inject a fake that jumps."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Events:
    """What the engine tells the outside world (the CLI, the store). All methods optional."""

    def node_changed(self, run: Any, node: Node) -> None: ...

    def log(self, run: Any, display: str, container: str, line: str) -> None: ...

    def notice(self, run: Any, message: str) -> None: ...


@dataclass
class RunOptions:
    max_depth: int = 50
    max_parallel_pods: int = 32
    keep: bool = False


@dataclass
class Control:
    """Requests from outside (another localflow process, signals): resume suspended nodes, stop."""

    resumed: set[str] = field(default_factory=set)
    supplied: dict[str, str] = field(default_factory=dict)
    suspended: bool = False  # `localflow suspend`: no new pod starts until the run is resumed

    async def poll(self, run: Any) -> None:
        """Refresh from wherever requests come from (the store overrides this)."""


class RunContext(Protocol):
    """What the strategy modules of the engine (executor, steps, dag, children, pods, retry, outputs,
    artifact flow, sync, memo, plugins, http, resource, suspend, ...) use of the run they work for:
    `engine/run.WorkflowRun` is the one implementation. tests/engine/test_run_context.py checks that
    WorkflowRun provides every member and that no module of engine/ uses a member not named here."""

    # who the run is (Argo's workflow metadata and spec)
    name: str
    namespace: str
    uid: str
    wf: M.Workflow
    spec: M.WorkflowSpec
    entrypoint: str | None
    bundle: Any  # the loaded templates (WorkflowTemplates, ConfigMaps, ...), None for a lone workflow
    options: RunOptions
    template_defaults: dict | None
    max_depth: int
    # the ports
    runtime: Runtime
    clock: Clock
    control: Control
    resources: Any  # secrets and config maps (engine/resources.Resources)
    # the node table and the run's own phase
    nodes: dict[str, Node]
    previous_nodes: dict[str, dict]  # `retry`: the nodes of the earlier run of the same name
    phase: str
    message: str
    # variables
    globals: dict[str, Any]
    local_inputs: dict[str, str]
    # stop and deadlines
    stopping: bool
    stop_message: str
    engine_lost: str
    deadline: float | None
    node_deadlines: dict[str, float]
    # pods and daemons
    pod_slots: asyncio.Semaphore
    daemon_handles: dict[str, Any]
    uses_ip: bool
    host_node_name: str
    # the run's helpers (engine modules of their own)
    pods: Any  # engine/pods.PodExecutor
    volumes: Any  # engine/volumes.Volumes
    sync: Any  # engine/sync.Synchronizer
    memo: Any  # engine/memo.Memoizer
    artifacts_flow: Any  # engine/artifact_flow.ArtifactFlow
    children: Any  # engine/child_workflows.ChildWorkflows
    child_recording: Any
    local_objects: dict[str, dict[str, dict]]
    plugin_agent: Any

    def new_node(self, name: str, display: str, ntype: str, template: str | None, boundary_id: str | None,
                 parent: Node | None) -> Node: ...

    def reuse(self, name: str, parent: Node | None) -> Node | None: ...

    def mark_running(self, node: Node) -> None: ...

    def finish(self, node: Node, phase: str, message: str = "", finished_at: float | None = None) -> None: ...

    def changed(self, node: Node) -> None: ...

    def log_sink(self, display: str, container: str, line: str) -> None: ...

    def parse_seconds(self, value: Any, what: str) -> float: ...

    def set_global_output(self, kind: str, name: str, value: Any) -> None: ...

    def refresh_runtime_globals(self) -> None: ...

    def resolve_template_ref(self, ref: Any, where: str) -> tuple[Any, Any]: ...

    def value_from_param(self, vf: Any, where: str) -> str | None: ...

    def config_map_value(self, ref: Any, default: str | None) -> str: ...

    def supplied_value(self, name: str) -> str | None: ...

    def env_from(self, ef: Any) -> dict[str, str]: ...

    def env_value_from(self, vf: Any, pod: Any, name: str) -> str: ...

    async def stop_daemon(self, node: Node) -> None: ...
