"""Fixtures for docker-backed tests: a private LOCALFLOW_HOME, S3. (Every test here has the `docker`
marker, so tests/conftest.py needs the engine and guards against leftovers.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from needs import need  # noqa: E402


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LOCALFLOW_HOME", str(home))
    return home


@pytest.fixture
def require_seeds():
    need("shared")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    from s3server import start_s3_server
    need("weed")
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
