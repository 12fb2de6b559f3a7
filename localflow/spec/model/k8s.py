"""Kubernetes core/v1 and meta/v1 types that Argo embeds (containers, probes, security contexts,
pod-level settings). Field names follow the Kubernetes JSON names in snake_case. Deeply nested,
rarely used objects (affinity, lifecycle hooks of other kinds, ...) are plain dicts.
"""

from __future__ import annotations

from typing import Any

from localflow.spec.model.convert import IntOrString, Quantity, lst, model, mp, opt


@model
class ObjectMeta:
    name: str | None = opt()
    annotations: dict[str, str] = mp()
    creation_timestamp: str | None = opt()
    deletion_grace_period_seconds: int | None = opt()
    deletion_timestamp: str | None = opt()
    finalizers: list[str] = lst()
    generate_name: str | None = opt()
    generation: int | None = opt()
    labels: dict[str, str] = mp()
    managed_fields: list[dict[str, Any]] = lst()
    namespace: str | None = opt()
    owner_references: list[dict[str, Any]] = lst()
    resource_version: str | None = opt()
    self_link: str | None = opt()
    uid: str | None = opt()


@model
class LocalObjectReference:
    name: str | None = opt()


@model
class ConfigMapKeySelector:
    name: str | None = opt()
    key: str | None = opt()
    optional: bool | None = opt()


@model
class SecretKeySelector:
    name: str | None = opt()
    key: str | None = opt()
    optional: bool | None = opt()


@model
class ObjectFieldSelector:
    api_version: str | None = opt()
    field_path: str | None = opt()


@model
class ResourceFieldSelector:
    container_name: str | None = opt()
    divisor: Quantity | None = opt()
    resource: str | None = opt()


@model
class FileKeySelector:
    key: str | None = opt()
    optional: bool | None = opt()
    path: str | None = opt()
    volume_name: str | None = opt()


@model
class EnvVarSource:
    config_map_key_ref: ConfigMapKeySelector | None = opt()
    field_ref: ObjectFieldSelector | None = opt()
    file_key_ref: FileKeySelector | None = opt()
    resource_field_ref: ResourceFieldSelector | None = opt()
    secret_key_ref: SecretKeySelector | None = opt()


@model
class EnvVar:
    name: str | None = opt()
    value: str | None = opt()
    value_from: EnvVarSource | None = opt()


@model
class ConfigMapEnvSource:
    name: str | None = opt()
    optional: bool | None = opt()


@model
class SecretEnvSource:
    name: str | None = opt()
    optional: bool | None = opt()


@model
class EnvFromSource:
    config_map_ref: ConfigMapEnvSource | None = opt()
    prefix: str | None = opt()
    secret_ref: SecretEnvSource | None = opt()


@model
class ContainerPort:
    name: str | None = opt()
    container_port: int | None = opt()
    host_ip: str | None = opt("hostIP")
    host_port: int | None = opt()
    protocol: str | None = opt()


@model
class ResourceClaim:
    name: str | None = opt()
    request: str | None = opt()


@model
class ResourceRequirements:
    claims: list[ResourceClaim] = lst()
    limits: dict[str, Quantity] = mp()
    requests: dict[str, Quantity] = mp()


@model
class VolumeMount:
    name: str | None = opt()
    mount_path: str | None = opt()
    mount_propagation: str | None = opt()
    read_only: bool | None = opt()
    recursive_read_only: str | None = opt()
    sub_path: str | None = opt()
    sub_path_expr: str | None = opt()


@model
class VolumeDevice:
    name: str | None = opt()
    device_path: str | None = opt()


@model
class ExecAction:
    command: list[str] = lst()


@model
class ProbeHTTPHeader:
    """core/v1 HTTPHeader (for probes); Argo's HTTP template has its own HTTPHeader."""

    name: str | None = opt()
    value: str | None = opt()


@model
class HTTPGetAction:
    host: str | None = opt()
    http_headers: list[ProbeHTTPHeader] = lst()
    path: str | None = opt()
    port: IntOrString | None = opt()
    scheme: str | None = opt()


@model
class TCPSocketAction:
    host: str | None = opt()
    port: IntOrString | None = opt()


@model
class GRPCAction:
    port: int | None = opt()
    service: str | None = opt()


@model
class Probe:
    exec_: ExecAction | None = opt()
    failure_threshold: int | None = opt()
    grpc: GRPCAction | None = opt()
    http_get: HTTPGetAction | None = opt()
    initial_delay_seconds: int | None = opt()
    period_seconds: int | None = opt()
    success_threshold: int | None = opt()
    tcp_socket: TCPSocketAction | None = opt()
    termination_grace_period_seconds: int | None = opt()
    timeout_seconds: int | None = opt()


@model
class Capabilities:
    add: list[str] = lst()
    drop: list[str] = lst()


@model
class SELinuxOptions:
    level: str | None = opt()
    role: str | None = opt()
    type: str | None = opt()
    user: str | None = opt()


@model
class SeccompProfile:
    localhost_profile: str | None = opt()
    type: str | None = opt()


@model
class AppArmorProfile:
    localhost_profile: str | None = opt()
    type: str | None = opt()


@model
class WindowsSecurityContextOptions:
    gmsa_credential_spec: str | None = opt()
    gmsa_credential_spec_name: str | None = opt()
    host_process: bool | None = opt()
    run_as_user_name: str | None = opt()


@model
class SecurityContext:
    allow_privilege_escalation: bool | None = opt()
    app_armor_profile: AppArmorProfile | None = opt()
    capabilities: Capabilities | None = opt()
    privileged: bool | None = opt()
    proc_mount: str | None = opt()
    read_only_root_filesystem: bool | None = opt()
    run_as_group: int | None = opt()
    run_as_non_root: bool | None = opt()
    run_as_user: int | None = opt()
    se_linux_options: SELinuxOptions | None = opt()
    seccomp_profile: SeccompProfile | None = opt()
    windows_options: WindowsSecurityContextOptions | None = opt()


@model
class ContainerResizePolicy:
    resource_name: str | None = opt()
    restart_policy: str | None = opt()


@model
class ContainerRestartRuleOnExitCodes:
    operator: str | None = opt()
    values: list[int] = lst()


@model
class ContainerRestartRule:
    action: str | None = opt()
    exit_codes: ContainerRestartRuleOnExitCodes | None = opt()


@model
class SleepAction:
    seconds: int | None = opt()


@model
class LifecycleHandler:
    exec_: ExecAction | None = opt()
    http_get: HTTPGetAction | None = opt()
    sleep: SleepAction | None = opt()
    tcp_socket: TCPSocketAction | None = opt()


@model
class Lifecycle:
    post_start: LifecycleHandler | None = opt()
    pre_stop: LifecycleHandler | None = opt()
    stop_signal: str | None = opt()


@model
class Container:
    name: str | None = opt()
    image: str | None = opt()
    command: list[str] = lst()
    args: list[str] = lst()
    env: list[EnvVar] = lst()
    env_from: list[EnvFromSource] = lst()
    image_pull_policy: str | None = opt()
    lifecycle: Lifecycle | None = opt()
    liveness_probe: Probe | None = opt()
    ports: list[ContainerPort] = lst()
    readiness_probe: Probe | None = opt()
    resize_policy: list[ContainerResizePolicy] = lst()
    resources: ResourceRequirements | None = opt()
    restart_policy: str | None = opt()
    restart_policy_rules: list[ContainerRestartRule] = lst()
    security_context: SecurityContext | None = opt()
    startup_probe: Probe | None = opt()
    stdin: bool | None = opt()
    stdin_once: bool | None = opt()
    termination_message_path: str | None = opt()
    termination_message_policy: str | None = opt()
    tty: bool | None = opt()
    volume_devices: list[VolumeDevice] = lst()
    volume_mounts: list[VolumeMount] = lst()
    working_dir: str | None = opt()


@model
class Sysctl:
    name: str | None = opt()
    value: str | None = opt()


@model
class PodSecurityContext:
    app_armor_profile: AppArmorProfile | None = opt()
    fs_group: int | None = opt()
    fs_group_change_policy: str | None = opt()
    run_as_group: int | None = opt()
    run_as_non_root: bool | None = opt()
    run_as_user: int | None = opt()
    se_linux_change_policy: str | None = opt()
    se_linux_options: SELinuxOptions | None = opt()
    seccomp_profile: SeccompProfile | None = opt()
    supplemental_groups: list[int] = lst()
    supplemental_groups_policy: str | None = opt()
    sysctls: list[Sysctl] = lst()
    windows_options: WindowsSecurityContextOptions | None = opt()


@model
class Toleration:
    effect: str | None = opt()
    key: str | None = opt()
    operator: str | None = opt()
    toleration_seconds: int | None = opt()
    value: str | None = opt()


@model
class HostAlias:
    hostnames: list[str] = lst()
    ip: str | None = opt()


@model
class PodDNSConfigOption:
    name: str | None = opt()
    value: str | None = opt()


@model
class PodDNSConfig:
    nameservers: list[str] = lst()
    options: list[PodDNSConfigOption] = lst()
    searches: list[str] = lst()


@model
class PodResourceClaim:
    name: str | None = opt()
    resource_claim_name: str | None = opt()
    resource_claim_template_name: str | None = opt()


@model
class LabelSelectorRequirement:
    key: str | None = opt()
    operator: str | None = opt()
    values: list[str] = lst()


@model
class LabelSelector:
    match_expressions: list[LabelSelectorRequirement] = lst()
    match_labels: dict[str, str] = mp()

