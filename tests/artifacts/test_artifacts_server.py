"""The auto-started artifact server, with the local MinIO stand-in image (SeaweedFS inside)."""

from __future__ import annotations

import io
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from artifacts_helpers import TEST_LABEL, sh
from needs import lacking

from localflow.artifacts.server import repository
from localflow.cli.artifact_server import ensure as ensure_server
from localflow.cli.artifact_server import status as server_status
from localflow.errors import ArtifactError
from localflow.runtime import artifact_server as srv
from localflow.runtime.artifact_server import ServerConfig, stop_server

pytestmark = pytest.mark.docker

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "images" / "minio" / "build.sh"
STANDIN = "localflow/minio-standin:latest"


@pytest.fixture(scope="session")
def standin_image(docker_client) -> str:  # type: ignore[no-untyped-def]
    result = subprocess.run(["sh", str(BUILD_SCRIPT)], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        lacking(f"cannot build {STANDIN}: {result.stderr.strip() or result.stdout.strip()}")
    assert len(result.stdout.strip().splitlines()) == 1
    return STANDIN


@pytest.fixture
def config(docker_client, standin_image) -> Iterator[ServerConfig]:  # type: ignore[no-untyped-def]
    instance = "test-" + secrets.token_hex(3)
    cfg = ServerConfig.from_env({"LOCALFLOW_MINIO_IMAGE": standin_image}, instance=instance,
                                extra_labels=TEST_LABEL)
    yield cfg
    stop_server(docker_client, remove_data=True, config=cfg)
    assert not docker_client.containers.list(all=True, filters={"label": f"{srv.LABEL_INSTANCE}={instance}"})
    assert not docker_client.networks.list(names=[cfg.network])
    assert not docker_client.volumes.list(filters={"label": f"{srv.LABEL_INSTANCE}={instance}"})


def test_config_from_env() -> None:
    default = ServerConfig.from_env({})
    assert (default.kind, default.image, default.network, default.volume) == (
        "minio", srv.DEFAULT_MINIO_IMAGE, "localflow-artifacts", "localflow-artifacts-data")
    sw = ServerConfig.from_env({"LOCALFLOW_ARTIFACT_SERVER": "seaweedfs"})
    assert (sw.kind, sw.image) == ("seaweedfs", srv.DEFAULT_SEAWEEDFS_IMAGE)
    assert ServerConfig.from_env({"LOCALFLOW_SEAWEEDFS_IMAGE": "x", "LOCALFLOW_ARTIFACT_SERVER": "seaweedfs"}).image == "x"
    with pytest.raises(ArtifactError, match="minio or seaweedfs"):
        ServerConfig.from_env({"LOCALFLOW_ARTIFACT_SERVER": "ceph"})


def test_start_find_status_reach_and_stop(docker_client, config: ServerConfig, make_container) -> None:  # type: ignore[no-untyped-def]
    assert not server_status(docker_client, config).exists
    endpoint = ensure_server(docker_client, config)
    assert endpoint.endpoint.startswith("127.0.0.1:") and endpoint.kind == "minio"
    assert "minioadmin" not in (endpoint.access_key, endpoint.secret_key) and len(endpoint.secret_key) >= 24
    repo = repository(endpoint, "lf-server-test")
    repo.ensure_bucket()
    repo.put_stream("kept.txt", io.BytesIO(b"kept"), 4)

    # another localflow process: a new client finds the same server and its credentials
    other = docker.from_env()
    again = ensure_server(other, config)
    assert (again.container_id, again.access_key, again.secret_key) == (
        endpoint.container_id, endpoint.access_key, endpoint.secret_key)
    container = other.containers.get(endpoint.container_id)
    assert container.labels[srv.LABEL_ROLE] == "artifact-server" and container.labels["localflow.test"] == "artifacts"
    assert container.attrs["HostConfig"]["PortBindings"]["9000/tcp"][0]["HostIp"] == "127.0.0.1"
    other.close()

    status = server_status(docker_client, config)
    assert status.running and status.ready and status.container_id == endpoint.container_id
    assert status.console_url and status.console_url.startswith("http://127.0.0.1:")
    assert status.volume == config.volume and status.network_endpoint == endpoint.network_endpoint

    # steps on a run network reach it by its alias
    run_net = docker_client.networks.create("lf-test-run-" + secrets.token_hex(3), labels=TEST_LABEL)
    step = None
    try:
        assert srv.attach_network(docker_client, run_net.name, config) == "localflow-artifacts:9000"
        srv.attach_network(docker_client, run_net.name, config)  # idempotent
        step = make_container(network=run_net.name)
        reply = sh(step, "wget -S -O /dev/null http://localflow-artifacts:9000/ 2>&1 || true")
        assert "HTTP/1.1 403" in reply  # S3 answered (anonymous access is denied)
    finally:
        if step is not None:
            step.remove(force=True)
        srv.detach_network(docker_client, run_net.name, config)
        run_net.remove()  # fails if the server were still attached

    # a container joined to the server's own network reaches it by IP
    loner = make_container()
    address = srv.connect_container(docker_client, loner.id, config)
    assert "HTTP/1.1 403" in sh(loner, f"wget -S -O /dev/null http://{address}/ 2>&1 || true")

    # stop keeps the data and the credentials (they live on the volume)
    assert stop_server(docker_client, config=config)
    assert not server_status(docker_client, config).exists
    restarted = ensure_server(docker_client, config)
    assert restarted.container_id != endpoint.container_id and restarted.access_key == endpoint.access_key
    with repository(restarted, "lf-server-test").open("kept.txt") as stream:
        assert stream.read() == b"kept"


def test_localflow_inside_a_container_uses_the_server_network(docker_client, config, make_container, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    me = make_container()
    monkeypatch.setattr(srv, "own_container", lambda client: me)
    endpoint = ensure_server(docker_client, config)
    me.reload()
    assert config.network in me.attrs["NetworkSettings"]["Networks"]
    assert endpoint.endpoint == endpoint.network_endpoint and not endpoint.endpoint.startswith("127.")
    me.remove(force=True)


def test_own_container_detection(docker_client, make_container, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = make_container()
    hostname = target.attrs["Config"]["Hostname"]
    monkeypatch.setattr(srv.socket, "gethostname", lambda: hostname)
    monkeypatch.setattr(srv.os.path, "exists", lambda path: path == "/.dockerenv")
    found = srv.own_container(docker_client)
    assert found is not None and found.id == target.id


def test_offline_default_falls_back_to_the_standin(docker_client, standin_image) -> None:  # type: ignore[no-untyped-def]
    assert ServerConfig.from_env({}).fallback_images == (srv.STANDIN_MINIO_IMAGE,)
    assert ServerConfig.from_env({"LOCALFLOW_MINIO_IMAGE": "mine:1"}).fallback_images == ()
    assert srv._ensure_image(docker_client, "localflow-test/no-such-image:0", (standin_image,)) == standin_image


def test_missing_image_gives_a_clear_error(docker_client) -> None:  # type: ignore[no-untyped-def]
    instance = "test-" + secrets.token_hex(3)
    cfg = ServerConfig.from_env({"LOCALFLOW_MINIO_IMAGE": "localflow-test/no-such-image:0"}, instance=instance,
                                extra_labels=TEST_LABEL, ready_timeout=5)
    try:
        with pytest.raises(ArtifactError, match="no-such-image.*LOCALFLOW_MINIO_IMAGE"):
            ensure_server(docker_client, cfg)
    finally:
        stop_server(docker_client, remove_data=True, config=cfg)
