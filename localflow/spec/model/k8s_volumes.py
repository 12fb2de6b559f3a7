"""Kubernetes volumes and PersistentVolumeClaims. The common volume sources are typed; the
cloud- and vendor-specific ones are kept as plain dicts (their field names are still checked at
the Volume level, so a misspelt source is an error)."""

from __future__ import annotations

from typing import Any

from localflow.spec.model.convert import Quantity, lst, model, mp, opt
from localflow.spec.model.k8s import (
    LabelSelector,
    LocalObjectReference,
    ObjectFieldSelector,
    ObjectMeta,
    ResourceFieldSelector,
)


@model
class KeyToPath:
    key: str | None = opt()
    mode: int | None = opt()
    path: str | None = opt()


@model
class EmptyDirVolumeSource:
    medium: str | None = opt()
    size_limit: Quantity | None = opt()


@model
class HostPathVolumeSource:
    path: str | None = opt()
    type: str | None = opt()


@model
class PersistentVolumeClaimVolumeSource:
    claim_name: str | None = opt()
    read_only: bool | None = opt()


@model
class ConfigMapVolumeSource:
    name: str | None = opt()
    default_mode: int | None = opt()
    items: list[KeyToPath] = lst()
    optional: bool | None = opt()


@model
class SecretVolumeSource:
    default_mode: int | None = opt()
    items: list[KeyToPath] = lst()
    optional: bool | None = opt()
    secret_name: str | None = opt()


@model
class DownwardAPIVolumeFile:
    field_ref: ObjectFieldSelector | None = opt()
    mode: int | None = opt()
    path: str | None = opt()
    resource_field_ref: ResourceFieldSelector | None = opt()


@model
class DownwardAPIVolumeSource:
    default_mode: int | None = opt()
    items: list[DownwardAPIVolumeFile] = lst()


@model
class ConfigMapProjection:
    name: str | None = opt()
    items: list[KeyToPath] = lst()
    optional: bool | None = opt()


@model
class SecretProjection:
    name: str | None = opt()
    items: list[KeyToPath] = lst()
    optional: bool | None = opt()


@model
class DownwardAPIProjection:
    items: list[DownwardAPIVolumeFile] = lst()


@model
class ServiceAccountTokenProjection:
    audience: str | None = opt()
    expiration_seconds: int | None = opt()
    path: str | None = opt()


@model
class VolumeProjection:
    cluster_trust_bundle: dict[str, Any] | None = opt()
    config_map: ConfigMapProjection | None = opt()
    downward_api: DownwardAPIProjection | None = opt("downwardAPI")
    pod_certificate: dict[str, Any] | None = opt()
    secret: SecretProjection | None = opt()
    service_account_token: ServiceAccountTokenProjection | None = opt()


@model
class ProjectedVolumeSource:
    default_mode: int | None = opt()
    sources: list[VolumeProjection] = lst()


@model
class NFSVolumeSource:
    path: str | None = opt()
    read_only: bool | None = opt()
    server: str | None = opt()


@model
class CSIVolumeSource:
    driver: str | None = opt()
    fs_type: str | None = opt()
    node_publish_secret_ref: LocalObjectReference | None = opt()
    read_only: bool | None = opt()
    volume_attributes: dict[str, str] = mp()


@model
class ImageVolumeSource:
    pull_policy: str | None = opt()
    reference: str | None = opt()


@model
class TypedLocalObjectReference:
    name: str | None = opt()
    api_group: str | None = opt()
    kind: str | None = opt()


@model
class TypedObjectReference:
    name: str | None = opt()
    api_group: str | None = opt()
    kind: str | None = opt()
    namespace: str | None = opt()


@model
class VolumeResourceRequirements:
    limits: dict[str, Quantity] = mp()
    requests: dict[str, Quantity] = mp()


@model
class PersistentVolumeClaimSpec:
    access_modes: list[str] = lst()
    data_source: TypedLocalObjectReference | None = opt()
    data_source_ref: TypedObjectReference | None = opt()
    resources: VolumeResourceRequirements | None = opt()
    selector: LabelSelector | None = opt()
    storage_class_name: str | None = opt()
    volume_attributes_class_name: str | None = opt()
    volume_mode: str | None = opt()
    volume_name: str | None = opt()


@model
class PersistentVolumeClaimTemplate:
    metadata: ObjectMeta | None = opt()
    spec: PersistentVolumeClaimSpec | None = opt()


@model
class EphemeralVolumeSource:
    volume_claim_template: PersistentVolumeClaimTemplate | None = opt()


@model
class Volume:
    name: str | None = opt()
    image: ImageVolumeSource | None = opt()
    aws_elastic_block_store: dict[str, Any] | None = opt()
    azure_disk: dict[str, Any] | None = opt()
    azure_file: dict[str, Any] | None = opt()
    cephfs: dict[str, Any] | None = opt()
    cinder: dict[str, Any] | None = opt()
    config_map: ConfigMapVolumeSource | None = opt()
    csi: CSIVolumeSource | None = opt()
    downward_api: DownwardAPIVolumeSource | None = opt("downwardAPI")
    empty_dir: EmptyDirVolumeSource | None = opt()
    ephemeral: EphemeralVolumeSource | None = opt()
    fc: dict[str, Any] | None = opt()
    flex_volume: dict[str, Any] | None = opt()
    flocker: dict[str, Any] | None = opt()
    gce_persistent_disk: dict[str, Any] | None = opt()
    git_repo: dict[str, Any] | None = opt()
    glusterfs: dict[str, Any] | None = opt()
    host_path: HostPathVolumeSource | None = opt()
    iscsi: dict[str, Any] | None = opt()
    nfs: NFSVolumeSource | None = opt()
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = opt()
    photon_persistent_disk: dict[str, Any] | None = opt()
    portworx_volume: dict[str, Any] | None = opt()
    projected: ProjectedVolumeSource | None = opt()
    quobyte: dict[str, Any] | None = opt()
    rbd: dict[str, Any] | None = opt()
    scale_io: dict[str, Any] | None = opt("scaleIO")
    secret: SecretVolumeSource | None = opt()
    storageos: dict[str, Any] | None = opt()
    vsphere_volume: dict[str, Any] | None = opt()


@model
class PersistentVolumeClaim:
    api_version: str | None = opt()
    kind: str | None = opt()
    metadata: ObjectMeta | None = opt()
    spec: PersistentVolumeClaimSpec | None = opt()
    status: dict[str, Any] | None = opt()

