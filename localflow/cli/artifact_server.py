"""The local artifact server, wired: its container (localflow.runtime.artifact_server) made ready by
S3's answer (localflow.artifacts.server). What the CLI and the run's artifact store call."""

from __future__ import annotations

from typing import Any

from localflow.artifacts import server as S3
from localflow.artifacts.repository import S3Repository
from localflow.runtime import artifact_server as R


def ensure(client: Any, config: R.ServerConfig | None = None) -> R.S3Endpoint:
    """The running, ready server; created and started on first need."""
    return R.ensure_server(client, config, answers=S3.answers)


def status(client: Any, config: R.ServerConfig | None = None) -> R.ServerStatus:
    return R.server_status(client, config, answers=S3.answers)


def local_repository(client: Any, bucket: str | None = None) -> S3Repository:
    """A bucket (localflow's default when None) on the local server, started on first need."""
    return S3.repository(ensure(client), bucket)
