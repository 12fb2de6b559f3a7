"""Argo's Template and what steps and DAG templates are made of: parameters, arguments, steps,
tasks, retry strategies and lifecycle hooks."""

from __future__ import annotations

from typing import Any

from localflow.spec.model.argo_artifacts import Artifact, ArtifactLocation, Metadata
from localflow.spec.model.argo_leaf import (
    HTTP,
    ContainerSetTemplate,
    Data,
    ExecutorConfig,
    Memoize,
    Metrics,
    ResourceTemplate,
    ScriptTemplate,
    SuspendTemplate,
    Synchronization,
    UserContainer,
)
from localflow.spec.model.convert import (
    AnyString,
    IntOrString,
    lst,
    model,
    mp,
    opt,
    sub,
)
from localflow.spec.model.k8s import (
    ConfigMapKeySelector,
    Container,
    HostAlias,
    PodResourceClaim,
    PodSecurityContext,
    ResourceRequirements,
    Toleration,
)
from localflow.spec.model.k8s_volumes import Volume


@model
class SuppliedValueFrom:
    """`valueFrom: {supplied: {}}`: the value is supplied later (by resuming a suspend node)."""


@model
class ValueFrom:
    path: str | None = opt()
    jq_filter: str | None = opt()
    json_path: str | None = opt()
    parameter: str | None = opt()
    expression: str | None = opt()
    default: AnyString | None = opt()
    supplied: SuppliedValueFrom | None = opt()
    config_map_key_ref: ConfigMapKeySelector | None = opt()
    event: str | None = opt()


@model
class Parameter:
    name: str | None = opt()
    value: AnyString | None = opt()
    default: AnyString | None = opt()
    value_from: ValueFrom | None = opt()
    enum: list[AnyString] = lst()
    description: AnyString | None = opt()
    global_name: str | None = opt()


class ByName:
    """`parameter(name)` and `artifact(name)` over the `parameters` and `artifacts` lists of Inputs,
    Outputs and Arguments (a plain base: it adds no fields)."""

    parameters: list[Parameter]
    artifacts: list[Artifact]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def artifact(self, name: str) -> Artifact | None:
        return next((a for a in self.artifacts if a.name == name), None)


@model
class Inputs(ByName):
    parameters: list[Parameter] = lst()
    artifacts: list[Artifact] = lst()


@model
class Outputs(ByName):
    parameters: list[Parameter] = lst()
    artifacts: list[Artifact] = lst()
    result: str | None = opt()
    exit_code: str | None = opt()


@model
class Arguments(ByName):
    parameters: list[Parameter] = lst()
    artifacts: list[Artifact] = lst()


@model
class TemplateRef:
    name: str | None = opt()
    template: str | None = opt()
    cluster_scope: bool | None = opt()


@model
class Sequence:
    count: IntOrString | None = opt()
    start: IntOrString | None = opt()
    end: IntOrString | None = opt()
    format: str | None = opt()


@model
class ContinueOn:
    error: bool | None = opt()
    failed: bool | None = opt()


@model
class Backoff:
    duration: str | None = opt()
    factor: IntOrString | None = opt()
    max_duration: str | None = opt()
    cap: str | None = opt()


@model
class RetryNodeAntiAffinity:
    """`affinity: {nodeAntiAffinity: {}}`: retry on another node."""


@model
class RetryAffinity:
    node_anti_affinity: RetryNodeAntiAffinity | None = opt()


@model
class RetryStrategy:
    limit: IntOrString | None = opt()
    retry_policy: str | None = opt()
    backoff: Backoff | None = opt()
    expression: str | None = opt()
    affinity: RetryAffinity | None = opt()


@model
class LifecycleHook:
    template: str | None = opt()
    template_ref: TemplateRef | None = opt()
    arguments: Arguments = sub(Arguments)
    expression: str | None = opt()


@model
class WorkflowStep:
    name: str | None = opt()
    template: str | None = opt()
    template_ref: TemplateRef | None = opt()
    inline: Template | None = opt()
    arguments: Arguments = sub(Arguments)
    when: str | None = opt()
    with_items: list[Any] = lst()
    with_param: str | None = opt()
    with_sequence: Sequence | None = opt()
    continue_on: ContinueOn | None = opt()
    on_exit: str | None = opt()
    hooks: dict[str, LifecycleHook] = mp()


@model
class DAGTask:
    name: str | None = opt()
    template: str | None = opt()
    template_ref: TemplateRef | None = opt()
    inline: Template | None = opt()
    arguments: Arguments = sub(Arguments)
    dependencies: list[str] = lst()
    depends: str | None = opt()
    when: str | None = opt()
    with_items: list[Any] = lst()
    with_param: str | None = opt()
    with_sequence: Sequence | None = opt()
    continue_on: ContinueOn | None = opt()
    on_exit: str | None = opt()
    hooks: dict[str, LifecycleHook] = mp()


@model
class DAGTemplate:
    tasks: list[DAGTask] = lst()
    target: str | None = opt()
    fail_fast: bool | None = opt()

    def task(self, name: str) -> DAGTask | None:
        return next((t for t in self.tasks if t.name == name), None)


# The template types in Argo's order (Template.GetType), with their JSON names.
TEMPLATE_KINDS = (
    ("container", "container"),
    ("container_set", "containerSet"),
    ("steps", "steps"),
    ("dag", "dag"),
    ("script", "script"),
    ("resource", "resource"),
    ("data", "data"),
    ("suspend", "suspend"),
    ("http", "http"),
    ("plugin", "plugin"),
)


@model
class Template:
    name: str | None = opt()
    inputs: Inputs = sub(Inputs)
    outputs: Outputs = sub(Outputs)
    # The template types: exactly one of these is set.
    container: Container | None = opt()
    script: ScriptTemplate | None = opt()
    steps: list[list[WorkflowStep]] = lst()
    dag: DAGTemplate | None = opt()
    resource: ResourceTemplate | None = opt()
    suspend: SuspendTemplate | None = opt()
    data: Data | None = opt()
    http: HTTP | None = opt()
    plugin: dict[str, Any] | None = opt()
    container_set: ContainerSetTemplate | None = opt()
    # Everything else.
    metadata: Metadata = sub(Metadata)
    annotations: dict[str, str] = mp()
    daemon: bool | None = opt()
    sidecars: list[UserContainer] = lst()
    init_containers: list[UserContainer] = lst()
    volumes: list[Volume] = lst()
    retry_strategy: RetryStrategy | None = opt()
    active_deadline_seconds: IntOrString | None = opt()
    timeout: str | None = opt()
    pending_timeout: str | None = opt()
    parallelism: int | None = opt()
    fail_fast: bool | None = opt()
    memoize: Memoize | None = opt()
    synchronization: Synchronization | None = opt()
    metrics: Metrics | None = opt()
    archive_location: ArtifactLocation | None = opt()
    node_selector: dict[str, str] = mp()
    affinity: dict[str, Any] | None = opt()
    tolerations: list[Toleration] = lst()
    security_context: PodSecurityContext | None = opt()
    pod_spec_patch: str | None = opt()
    service_account_name: str | None = opt()
    automount_service_account_token: bool | None = opt()
    executor: ExecutorConfig | None = opt()
    priority_class_name: str | None = opt()
    scheduler_name: str | None = opt()
    host_aliases: list[HostAlias] = lst()
    pod_resources: ResourceRequirements | None = opt()
    resource_claims: list[PodResourceClaim] = lst()

    def kinds(self) -> list[str]:
        """The JSON names of every template type that is set (Argo wants exactly one)."""
        present = getattr(self, "_lf_present", frozenset())
        out = []
        for py, js in TEMPLATE_KINDS:
            value = getattr(self, py)
            if value is None:
                continue
            if py == "steps" and not value and py not in present:
                continue
            out.append(js)
        return out

    @property
    def kind(self) -> str | None:
        """"container", "script", "steps", "dag", "resource", "suspend", "data", "http", "plugin",
        "containerSet", or None when no type is set (in Argo's order when several are)."""
        kinds = self.kinds()
        return kinds[0] if kinds else None

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("container", "containerSet", "script", "resource", "data", "http", "plugin")

    @property
    def is_pod(self) -> bool:
        return self.kind in ("container", "containerSet", "script", "resource", "data")

    @property
    def has_output(self) -> bool:
        """Whether the template produces `outputs.result` and `exitCode` (Argo's HasOutput)."""
        if self.container is not None or self.script is not None or self.data is not None:
            return True
        if self.http is not None or self.plugin is not None:
            return True
        return self.container_set is not None and self.container_set.container("main") is not None

    @property
    def main_container(self) -> Container | None:
        """The container or script body (None for other kinds)."""
        return self.container or self.script
