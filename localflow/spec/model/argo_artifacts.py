"""Argo artifacts and the places they can live (S3, git, HTTP, ...), with their secret selectors."""

from __future__ import annotations

from typing import Any

from localflow.spec.model.convert import lst, model, mp, opt
from localflow.spec.model.k8s import ConfigMapKeySelector, SecretKeySelector


@model
class NoneStrategy:
    """`archive: {none: {}}`: store the file or directory as it is."""


@model
class ZipStrategy:
    """`archive: {zip: {}}`."""


@model
class TarStrategy:
    compression_level: int | None = opt()


@model
class ArchiveStrategy:
    none: NoneStrategy | None = opt()
    tar: TarStrategy | None = opt()
    zip: ZipStrategy | None = opt()


@model
class RawArtifact:
    data: str | None = opt()


@model
class S3EncryptionOptions:
    enable_encryption: bool | None = opt()
    kms_encryption_context: str | None = opt()
    kms_key_id: str | None = opt()
    server_side_customer_key_secret: SecretKeySelector | None = opt()


@model
class CreateS3BucketOptions:
    object_locking: bool | None = opt()


@model
class S3Artifact:
    access_key_secret: SecretKeySelector | None = opt()
    addressing_style: str | None = opt()
    bucket: str | None = opt()
    ca_secret: SecretKeySelector | None = opt()
    create_bucket_if_not_present: CreateS3BucketOptions | None = opt()
    encryption_options: S3EncryptionOptions | None = opt()
    endpoint: str | None = opt()
    insecure: bool | None = opt()
    key: str | None = opt()
    region: str | None = opt()
    role_arn: str | None = opt("roleARN")
    secret_key_secret: SecretKeySelector | None = opt()
    session_token_secret: SecretKeySelector | None = opt()
    use_sdk_creds: bool | None = opt("useSDKCreds")


@model
class BasicAuth:
    password_secret: SecretKeySelector | None = opt()
    username_secret: SecretKeySelector | None = opt()


@model
class ClientCertAuth:
    client_cert_secret: SecretKeySelector | None = opt()
    client_key_secret: SecretKeySelector | None = opt()


@model
class OAuth2EndpointParam:
    key: str | None = opt()
    value: str | None = opt()


@model
class OAuth2Auth:
    client_id_secret: SecretKeySelector | None = opt("clientIDSecret")
    client_secret_secret: SecretKeySelector | None = opt()
    endpoint_params: list[OAuth2EndpointParam] = lst()
    scopes: list[str] = lst()
    token_url_secret: SecretKeySelector | None = opt("tokenURLSecret")


@model
class HTTPAuth:
    basic_auth: BasicAuth | None = opt()
    client_cert: ClientCertAuth | None = opt()
    oauth2: OAuth2Auth | None = opt()


@model
class Header:
    name: str | None = opt()
    value: str | None = opt()


@model
class HTTPArtifact:
    auth: HTTPAuth | None = opt()
    headers: list[Header] = lst()
    save_stream_via_file: bool | None = opt()
    url: str | None = opt()


@model
class GitArtifact:
    branch: str | None = opt()
    depth: int | None = opt()
    disable_submodules: bool | None = opt()
    fetch: list[str] = lst()
    insecure_ignore_host_key: bool | None = opt()
    insecure_skip_tls: bool | None = opt("insecureSkipTLS")
    password_secret: SecretKeySelector | None = opt()
    repo: str | None = opt()
    revision: str | None = opt()
    single_branch: bool | None = opt()
    ssh_private_key_secret: SecretKeySelector | None = opt()
    username_secret: SecretKeySelector | None = opt()


@model
class GCSArtifact:
    bucket: str | None = opt()
    key: str | None = opt()
    service_account_key_secret: SecretKeySelector | None = opt()


@model
class OSSLifecycleRule:
    mark_deletion_after_days: int | None = opt()
    mark_infrequent_access_after_days: int | None = opt()


@model
class OSSArtifact:
    access_key_secret: SecretKeySelector | None = opt()
    bucket: str | None = opt()
    create_bucket_if_not_present: bool | None = opt()
    endpoint: str | None = opt()
    key: str | None = opt()
    lifecycle_rule: OSSLifecycleRule | None = opt()
    secret_key_secret: SecretKeySelector | None = opt()
    security_token: str | None = opt()
    use_sdk_creds: bool | None = opt("useSDKCreds")


@model
class AzureArtifact:
    account_key_secret: SecretKeySelector | None = opt()
    blob: str | None = opt()
    container: str | None = opt()
    endpoint: str | None = opt()
    use_sdk_creds: bool | None = opt("useSDKCreds")


@model
class HDFSArtifact:
    addresses: list[str] = lst()
    data_transfer_protection: str | None = opt()
    force: bool | None = opt()
    hdfs_user: str | None = opt()
    krb_c_cache_secret: SecretKeySelector | None = opt()
    krb_config_config_map: ConfigMapKeySelector | None = opt()
    krb_keytab_secret: SecretKeySelector | None = opt()
    krb_realm: str | None = opt()
    krb_service_principal_name: str | None = opt()
    krb_username: str | None = opt()
    path: str | None = opt()


@model
class ArtifactoryArtifact:
    password_secret: SecretKeySelector | None = opt()
    url: str | None = opt()
    username_secret: SecretKeySelector | None = opt()


@model
class PluginArtifact:
    name: str | None = opt()
    configuration: str | None = opt()
    connection_timeout_seconds: int | None = opt()
    key: str | None = opt()


@model
class Metadata:
    annotations: dict[str, str] = mp()
    labels: dict[str, str] = mp()


@model
class ArtifactGC:
    pod_metadata: Metadata | None = opt()
    service_account_name: str | None = opt()
    strategy: str | None = opt()


LOCATION_KINDS = ("s3", "git", "http", "artifactory", "hdfs", "raw", "oss", "gcs", "azure", "plugin")


@model
class ArtifactLocation:
    """Where an artifact lives; Artifact embeds these fields (Go's inline ArtifactLocation)."""

    archive_logs: bool | None = opt()
    s3: S3Artifact | None = opt()
    git: GitArtifact | None = opt()
    http: HTTPArtifact | None = opt()
    artifactory: ArtifactoryArtifact | None = opt()
    hdfs: HDFSArtifact | None = opt()
    raw: RawArtifact | None = opt()
    oss: OSSArtifact | None = opt()
    gcs: GCSArtifact | None = opt()
    azure: AzureArtifact | None = opt()
    plugin: PluginArtifact | None = opt()

    def location_kinds(self) -> list[str]:
        """The location kinds that are set ("s3", "git", ...), in Argo's order."""
        return [k for k in LOCATION_KINDS if getattr(self, k) is not None]

    @property
    def location_kind(self) -> str | None:
        kinds = self.location_kinds()
        return kinds[0] if kinds else None

    def location(self) -> Any:
        """The first location sub-object that is set, or None."""
        kind = self.location_kind
        return getattr(self, kind) if kind else None


@model
class Artifact(ArtifactLocation):
    name: str | None = opt()
    path: str | None = opt()
    mode: int | None = opt()
    from_: str | None = opt()
    from_expression: str | None = opt()
    global_name: str | None = opt()
    optional: bool | None = opt()
    sub_path: str | None = opt()
    archive: ArchiveStrategy | None = opt()
    recurse_mode: bool | None = opt()
    artifact_gc: ArtifactGC | None = opt("artifactGC")
    deleted: bool | None = opt()


@model
class ArtifactPaths(Artifact):
    """The artifact a data template lists paths from (same fields as Artifact)."""


@model
class ArtifactRepositoryRef:
    config_map: str | None = opt()
    key: str | None = opt()
