"""Fixtures for docker-backed tests: a real engine (required in CI), a private LOCALFLOW_HOME, S3."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers import SEEDS  # noqa: E402


def _engine_ok() -> str | None:
    try:
        import docker
        docker.from_env().ping()
        return None
    except Exception as e:  # noqa: BLE001
        return str(e)


@pytest.fixture(scope="session", autouse=True)
def docker_engine():
    why = _engine_ok()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the docker-backed tests, but no Docker engine answers: {why}")
        pytest.skip(f"no Docker engine: {why}")


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LOCALFLOW_HOME", str(home))
    return home


@pytest.fixture
def require_seeds():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seed-workflows is absent")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    from s3server import start_s3_server
    server = start_s3_server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def artifact_env(s3_endpoint):
    """Point localflow at the test's real S3 server (the auto-started MinIO has its own tests)."""
    return {"LOCALFLOW_S3_ENDPOINT": s3_endpoint.endpoint,
            "LOCALFLOW_S3_ACCESS_KEY": s3_endpoint.access_key,
            "LOCALFLOW_S3_SECRET_KEY": s3_endpoint.secret_key,
            "LOCALFLOW_S3_BUCKET": "localflow-test", "LOCALFLOW_S3_INSECURE": "true"}
