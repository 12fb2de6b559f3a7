"""The bodies of Argo's leaf templates (script, resource, HTTP, data, containerSet, suspend) and the
small objects templates carry (memoize, synchronization, metrics, executor)."""

from __future__ import annotations

from localflow.spec.model.argo_artifacts import Artifact, ArtifactPaths
from localflow.spec.model.convert import IntOrString, lst, model, opt
from localflow.spec.model.k8s import (
    ConfigMapKeySelector,
    Container,
    LocalObjectReference,
    SecretKeySelector,
    VolumeMount,
)


@model
class UserContainer(Container):
    """A sidecar or init container: a Container plus `mirrorVolumeMounts`."""

    mirror_volume_mounts: bool | None = opt()


@model
class ScriptTemplate(Container):
    """A container whose `source` is written to a file and run."""

    source: str | None = opt()


@model
class ContainerNode(Container):
    """A container of a containerSet template, ordered by `dependencies`."""

    dependencies: list[str] = lst()


@model
class ContainerSetRetryStrategy:
    duration: str | None = opt()
    retries: IntOrString | None = opt()


@model
class ContainerSetTemplate:
    containers: list[ContainerNode] = lst()
    volume_mounts: list[VolumeMount] = lst()
    retry_strategy: ContainerSetRetryStrategy | None = opt()

    def container(self, name: str) -> ContainerNode | None:
        return next((c for c in self.containers if c.name == name), None)


@model
class SuspendTemplate:
    duration: str | None = opt()


@model
class ManifestFrom:
    artifact: Artifact | None = opt()


@model
class ResourceTemplate:
    action: str | None = opt()
    manifest: str | None = opt()
    manifest_from: ManifestFrom | None = opt()
    merge_strategy: str | None = opt()
    set_owner_reference: bool | None = opt()
    success_condition: str | None = opt()
    failure_condition: str | None = opt()
    flags: list[str] = lst()


@model
class HTTPHeaderSource:
    secret_key_ref: SecretKeySelector | None = opt()


@model
class HTTPHeader:
    """A header of an HTTP template (Argo's type, not core/v1's)."""

    name: str | None = opt()
    value: str | None = opt()
    value_from: HTTPHeaderSource | None = opt()


@model
class HTTPBodySource:
    bytes: str | None = opt()


@model
class HTTP:
    url: str | None = opt()
    method: str | None = opt()
    headers: list[HTTPHeader] = lst()
    body: str | None = opt()
    body_from: HTTPBodySource | None = opt()
    timeout_seconds: int | None = opt()
    success_condition: str | None = opt()
    insecure_skip_verify: bool | None = opt()


@model
class DataSource:
    artifact_paths: ArtifactPaths | None = opt()


@model
class TransformationStep:
    expression: str | None = opt()


@model
class Data:
    source: DataSource | None = opt()
    transformation: list[TransformationStep] = lst()


@model
class Cache:
    config_map: LocalObjectReference | None = opt()


@model
class Memoize:
    key: str | None = opt()
    cache: Cache | None = opt()
    max_age: str | None = opt()


@model
class Mutex:
    name: str | None = opt()
    namespace: str | None = opt()
    database: bool | None = opt()


@model
class SyncDatabaseRef:
    key: str | None = opt()


@model
class SemaphoreRef:
    config_map_key_ref: ConfigMapKeySelector | None = opt()
    database: SyncDatabaseRef | None = opt()
    namespace: str | None = opt()


@model
class Synchronization:
    mutexes: list[Mutex] = lst()
    semaphores: list[SemaphoreRef] = lst()


@model
class MetricLabel:
    key: str | None = opt()
    value: str | None = opt()


@model
class Gauge:
    value: str | None = opt()
    realtime: bool | None = opt()
    operation: str | None = opt()


@model
class Histogram:
    value: str | None = opt()
    buckets: list[float] = lst()


@model
class Counter:
    value: str | None = opt()


@model
class Prometheus:
    name: str | None = opt()
    help: str | None = opt()
    labels: list[MetricLabel] = lst()
    when: str | None = opt()
    gauge: Gauge | None = opt()
    histogram: Histogram | None = opt()
    counter: Counter | None = opt()


@model
class Metrics:
    prometheus: list[Prometheus] = lst()


@model
class ExecutorConfig:
    service_account_name: str | None = opt()
