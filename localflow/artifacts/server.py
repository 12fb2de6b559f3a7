"""The local artifact server as S3 sees it: whether it answers, and repositories on it.

Its container (image, volume, networks, published ports) is localflow.runtime.artifact_server's; the
CLI (localflow/cli/artifact_server.py) wires the two together. `endpoint` here is anything with the
fields of runtime.artifact_server.S3Endpoint (endpoint, access_key, secret_key, secure).
"""

from __future__ import annotations

from typing import Any

import urllib3
from minio import Minio

from .config import DEFAULT_BUCKET
from .repository import S3Repository


def answers(endpoint: Any, timeout: float) -> bool:
    """Whether the server answers S3 (lists its buckets) at `endpoint` within `timeout` seconds."""
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False)
    client = Minio(endpoint.endpoint, endpoint.access_key, endpoint.secret_key, secure=False, http_client=http)
    try:
        client.list_buckets()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False


def repository(endpoint: Any, bucket: str | None = None, **kwargs: object) -> S3Repository:
    """The repository of `bucket` (localflow's default bucket when None) on the server at `endpoint`."""
    return S3Repository(endpoint.endpoint, endpoint.access_key, endpoint.secret_key, bucket or DEFAULT_BUCKET,
                        secure=endpoint.secure, **kwargs)  # type: ignore[arg-type]
