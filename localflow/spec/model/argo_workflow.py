"""Argo's top-level objects: Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow and
the WorkflowSpec they share."""

from __future__ import annotations

from typing import Any

from localflow.spec.model.argo_artifacts import ArtifactRepositoryRef, Metadata
from localflow.spec.model.argo_leaf import ExecutorConfig, Metrics, Synchronization
from localflow.spec.model.argo_templates import (
    Arguments,
    LifecycleHook,
    RetryStrategy,
    Template,
)
from localflow.spec.model.convert import lst, model, mp, opt, sub
from localflow.spec.model.k8s import (
    HostAlias,
    LabelSelector,
    LocalObjectReference,
    ObjectMeta,
    PodDNSConfig,
    PodResourceClaim,
    PodSecurityContext,
    ResourceRequirements,
    Toleration,
)
from localflow.spec.model.k8s_volumes import PersistentVolumeClaim, Volume

API_VERSION = "argoproj.io/v1alpha1"


@model
class PodGC:
    strategy: str | None = opt()
    label_selector: LabelSelector | None = opt()
    delete_delay_duration: str | None = opt()


@model
class TTLStrategy:
    seconds_after_completion: int | None = opt()
    seconds_after_success: int | None = opt()
    seconds_after_failure: int | None = opt()


@model
class VolumeClaimGC:
    strategy: str | None = opt()


@model
class LabelValueFrom:
    expression: str | None = opt()


@model
class WorkflowMetadata:
    labels: dict[str, str] = mp()
    annotations: dict[str, str] = mp()
    labels_from: dict[str, LabelValueFrom] = mp()


@model
class WorkflowLevelArtifactGC:
    strategy: str | None = opt()
    pod_metadata: Metadata | None = opt()
    service_account_name: str | None = opt()
    force_finalizer_removal: bool | None = opt()
    pod_spec_patch: str | None = opt()


@model
class WorkflowTemplateRef:
    name: str | None = opt()
    cluster_scope: bool | None = opt()


@model
class WorkflowSpec:
    entrypoint: str | None = opt()
    templates: list[Template] = lst()
    arguments: Arguments = sub(Arguments)
    on_exit: str | None = opt()
    hooks: dict[str, LifecycleHook] = mp()
    workflow_template_ref: WorkflowTemplateRef | None = opt()
    template_defaults: Template | None = opt()
    parallelism: int | None = opt()
    active_deadline_seconds: int | None = opt()
    retry_strategy: RetryStrategy | None = opt()
    suspend: bool | None = opt()
    shutdown: str | None = opt()
    volumes: list[Volume] = lst()
    volume_claim_templates: list[PersistentVolumeClaim] = lst()
    volume_claim_gc: VolumeClaimGC | None = opt("volumeClaimGC")
    artifact_repository_ref: ArtifactRepositoryRef | None = opt()
    artifact_gc: WorkflowLevelArtifactGC | None = opt("artifactGC")
    archive_logs: bool | None = opt()
    service_account_name: str | None = opt()
    automount_service_account_token: bool | None = opt()
    executor: ExecutorConfig | None = opt()
    executor_plugins: list[dict[str, Any]] = lst()
    pod_gc: PodGC | None = opt("podGC")
    ttl_strategy: TTLStrategy | None = opt()
    pod_metadata: Metadata | None = opt()
    workflow_metadata: WorkflowMetadata | None = opt()
    pod_spec_patch: str | None = opt()
    pod_priority_class_name: str | None = opt()
    pod_disruption_budget: dict[str, Any] | None = opt()
    pod_resources: ResourceRequirements | None = opt()
    priority: int | None = opt()
    synchronization: Synchronization | None = opt()
    metrics: Metrics | None = opt()
    node_selector: dict[str, str] = mp()
    affinity: dict[str, Any] | None = opt()
    tolerations: list[Toleration] = lst()
    security_context: PodSecurityContext | None = opt()
    image_pull_secrets: list[LocalObjectReference] = lst()
    host_network: bool | None = opt()
    dns_policy: str | None = opt()
    dns_config: PodDNSConfig | None = opt()
    host_aliases: list[HostAlias] = lst()
    scheduler_name: str | None = opt()
    resource_claims: list[PodResourceClaim] = lst()

    def template(self, name: str) -> Template | None:
        """The template of that name in `templates`, or None."""
        return next((t for t in self.templates if t.name == name), None)


class _HasSpec:
    """Helpers shared by the objects whose `spec` is a WorkflowSpec."""

    metadata: ObjectMeta
    spec: WorkflowSpec

    def template(self, name: str) -> Template | None:
        """The template of that name in `spec.templates`, or None."""
        return self.spec.template(name)

    @property
    def name(self) -> str | None:
        return self.metadata.name or self.metadata.generate_name


@model
class Workflow(_HasSpec):
    api_version: str | None = opt()
    kind: str | None = opt()
    metadata: ObjectMeta = sub(ObjectMeta)
    spec: WorkflowSpec = sub(WorkflowSpec)
    status: dict[str, Any] = mp()


@model
class WorkflowTemplate(_HasSpec):
    api_version: str | None = opt()
    kind: str | None = opt()
    metadata: ObjectMeta = sub(ObjectMeta)
    spec: WorkflowSpec = sub(WorkflowSpec)


@model
class ClusterWorkflowTemplate(_HasSpec):
    api_version: str | None = opt()
    kind: str | None = opt()
    metadata: ObjectMeta = sub(ObjectMeta)
    spec: WorkflowSpec = sub(WorkflowSpec)


@model
class StopStrategy:
    expression: str | None = opt()


@model
class CronWorkflowSpec:
    workflow_spec: WorkflowSpec = sub(WorkflowSpec)
    schedules: list[str] = lst()
    timezone: str | None = opt()
    concurrency_policy: str | None = opt()
    suspend: bool | None = opt()
    starting_deadline_seconds: int | None = opt()
    successful_jobs_history_limit: int | None = opt()
    failed_jobs_history_limit: int | None = opt()
    workflow_metadata: ObjectMeta | None = opt()
    stop_strategy: StopStrategy | None = opt()
    when: str | None = opt()


@model
class CronWorkflow:
    api_version: str | None = opt()
    kind: str | None = opt()
    metadata: ObjectMeta = sub(ObjectMeta)
    spec: CronWorkflowSpec = sub(CronWorkflowSpec)
    status: dict[str, Any] = mp()

    @property
    def name(self) -> str | None:
        return self.metadata.name or self.metadata.generate_name

    def template(self, name: str) -> Template | None:
        return self.spec.workflow_spec.template(name)
