"""Where artifacts go: from localflow's environment, or from Argo's `artifactRepository` config.

Argo's format (a workflow-controller configmap's `artifactRepository`, or one entry of the
`artifact-repositories` configmap)::

    s3:
      endpoint: minio:9000          # host[:port]
      bucket: my-bucket
      region: us-east-1             # optional
      insecure: true                # default false (https)
      accessKeySecret: {name: my-minio-cred, key: accesskey}
      secretKeySecret: {name: my-minio-cred, key: secretkey}
      keyFormat: "{{workflow.name}}/{{pod.name}}"   # optional; keyPrefix is the old form
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localflow.artifacts.repository import S3Repository
from localflow.errors import ArtifactError

DEFAULT_KEY_FORMAT = "{{workflow.name}}/{{pod.name}}"
DEFAULT_BUCKET = "localflow"
ENV_PREFIX = "LOCALFLOW_S3_"

SecretResolver = Callable[[str, str], str]
"""resolve(secret_name, key) -> value; raises (any LocalflowError) when it cannot."""


@dataclass(frozen=True)
class S3Config:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    secure: bool = True
    region: str | None = None
    key_format: str = DEFAULT_KEY_FORMAT
    create_bucket: bool = False

    def repository(self, **kwargs: Any) -> S3Repository:
        return S3Repository(
            self.endpoint, self.access_key, self.secret_key, self.bucket,
            secure=self.secure, region=self.region, **kwargs,
        )


def split_endpoint(endpoint: str, secure: bool) -> tuple[str, bool]:
    """Accept `host:port` or `http(s)://host:port[/]`; the scheme, when given, wins."""
    endpoint = endpoint.strip()
    if endpoint.startswith("http://"):
        return endpoint[len("http://"):].rstrip("/"), False
    if endpoint.startswith("https://"):
        return endpoint[len("https://"):].rstrip("/"), True
    return endpoint.rstrip("/"), secure


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def config_from_env(environ: Mapping[str, str] | None = None) -> S3Config | None:
    """LOCALFLOW_S3_ENDPOINT/ACCESS_KEY/SECRET_KEY/BUCKET/INSECURE/REGION, or None if unset."""
    env = os.environ if environ is None else environ
    endpoint = env.get(ENV_PREFIX + "ENDPOINT", "").strip()
    if not endpoint:
        return None
    missing = [n for n in ("ACCESS_KEY", "SECRET_KEY") if not env.get(ENV_PREFIX + n)]
    if missing:
        names = ", ".join(ENV_PREFIX + n for n in missing)
        raise ArtifactError(f"{ENV_PREFIX}ENDPOINT is set but {names} is not")
    host, secure = split_endpoint(endpoint, not _truthy(env.get(ENV_PREFIX + "INSECURE")))
    return S3Config(
        endpoint=host,
        bucket=env.get(ENV_PREFIX + "BUCKET") or DEFAULT_BUCKET,
        access_key=env[ENV_PREFIX + "ACCESS_KEY"],
        secret_key=env[ENV_PREFIX + "SECRET_KEY"],
        secure=secure,
        region=env.get(ENV_PREFIX + "REGION") or None,
        create_bucket=True,
    )


def repository_from_env(environ: Mapping[str, str] | None = None) -> S3Repository | None:
    """The repository the environment names, or None (then use the local artifact server)."""
    config = config_from_env(environ)
    return config.repository() if config else None


def parse_artifact_repository(config: Mapping[str, Any], resolve_secret: SecretResolver) -> S3Config:
    """Parse Argo's artifact repository config (the `s3:` form; others are refused)."""
    if "artifactRepository" in config:  # the whole workflow-controller config was given
        config = config["artifactRepository"] or {}
    if not isinstance(config, Mapping):
        raise ArtifactError("artifact repository config must be a mapping")
    s3 = config.get("s3")
    if s3 is None:
        kinds = sorted(k for k in config if k != "archiveLogs")
        kind = kinds[0] if kinds else "none"
        raise ArtifactError(f"artifact repository type {kind!r} is not supported (only s3)")
    if not isinstance(s3, Mapping):
        raise ArtifactError("artifactRepository.s3 must be a mapping")
    for field in ("endpoint", "bucket"):
        if not s3.get(field):
            raise ArtifactError(f"artifactRepository.s3.{field} is required")
    insecure = s3.get("insecure")
    host, secure = split_endpoint(str(s3["endpoint"]), not bool(insecure))
    key_format = s3.get("keyFormat") or posixpath.join(s3.get("keyPrefix") or "", DEFAULT_KEY_FORMAT)
    return S3Config(
        endpoint=host,
        bucket=str(s3["bucket"]),
        access_key=_credential(s3, "accessKeySecret", "AWS_ACCESS_KEY_ID", resolve_secret),
        secret_key=_credential(s3, "secretKeySecret", "AWS_SECRET_ACCESS_KEY", resolve_secret),
        secure=secure,
        region=s3.get("region") or None,
        key_format=str(key_format),
        create_bucket=s3.get("createBucketIfNotPresent") is not None,
    )


def _credential(s3: Mapping[str, Any], field: str, env_name: str, resolve: SecretResolver) -> str:
    selector = s3.get(field)
    if selector is None:
        if s3.get("useSDKCreds") and os.environ.get(env_name):
            return os.environ[env_name]
        raise ArtifactError(f"artifactRepository.s3.{field} is required")
    if not isinstance(selector, Mapping) or not selector.get("name") or not selector.get("key"):
        raise ArtifactError(f"artifactRepository.s3.{field} needs 'name' and 'key'")
    return resolve(str(selector["name"]), str(selector["key"]))
