"""The local artifact server's container: one S3 container per Docker engine, started on first need.

This module owns its Docker side (image, container, volume, networks, published ports, reachability);
what speaks S3 to it (the readiness probe, repositories on it) is localflow.artifacts.server's, handed
in as `answers` by the CLI, which wires the two together.

It runs on its own network `localflow-artifacts`, keeps data in the named volume
`localflow-artifacts-data`, and publishes its S3 port on 127.0.0.1 only (a random host port). With a
remote engine (DOCKER_HOST=tcp://HOST:...) the port is published on HOST's address on the engine's
side (no wider: LOCALFLOW_PUBLISH_ADDRESS changes it) and reached at HOST (LOCALFLOW_HOST_OVERRIDE
changes that), as Testcontainers does; the generated credentials guard it on every path.
Credentials are generated when the volume is created and stored as labels on the volume
(they live as long as the data) and on the container, so any localflow process that can reach
the Docker socket finds them by inspection, also one running inside a container.

Reaching it:
* from this process: `ensure_server(client).endpoint` (127.0.0.1:<port> on the host, HOST:<port>
  with a remote engine; from
  inside a container, localflow's own container is connected to `localflow-artifacts` and
  the server's IP there is used);
* from steps: `attach_network(client, run_network)` connects the server to a run's network
  with the alias `localflow-artifacts` (so steps use http://localflow-artifacts:9000); call
  `detach_network(client, run_network)` before removing that network.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from localflow.errors import ArtifactError

DEFAULT_MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"
DEFAULT_SEAWEEDFS_IMAGE = "chrislusf/seaweedfs:4.48"
# Built by scripts/images/minio/build.sh: MinIO's container interface over SeaweedFS. Used
# when the default MinIO image is neither present nor pullable (offline machines).
STANDIN_MINIO_IMAGE = "localflow/minio-standin:latest"
S3_PORT, CONSOLE_PORT = 9000, 9001
NETWORK_ALIAS = "localflow-artifacts"

LABEL_ROLE, ROLE = "localflow.role", "artifact-server"
LABEL_INSTANCE = "localflow.artifact-server"
LABEL_KIND = "localflow.artifact-server.kind"
LABEL_ACCESS_KEY = "localflow.s3.access-key"
LABEL_SECRET_KEY = "localflow.s3.secret-key"


@dataclass(frozen=True)
class ServerConfig:
    instance: str = "default"
    kind: str = "minio"  # "minio" | "seaweedfs"
    image: str = DEFAULT_MINIO_IMAGE
    container_name: str = "localflow-artifact-server"
    network: str = "localflow-artifacts"
    volume: str = "localflow-artifacts-data"
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    ready_timeout: float = 60.0
    fallback_images: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, instance: str = "default",
                 **overrides: object) -> ServerConfig:
        """LOCALFLOW_ARTIFACT_SERVER=minio|seaweedfs, LOCALFLOW_MINIO_IMAGE, LOCALFLOW_SEAWEEDFS_IMAGE."""
        env = os.environ if environ is None else environ
        kind = (env.get("LOCALFLOW_ARTIFACT_SERVER") or "minio").strip().lower()
        if kind not in ("minio", "seaweedfs"):
            raise ArtifactError(f"LOCALFLOW_ARTIFACT_SERVER must be minio or seaweedfs, not {kind!r}")
        if kind == "seaweedfs":
            image = env.get("LOCALFLOW_SEAWEEDFS_IMAGE") or DEFAULT_SEAWEEDFS_IMAGE
        else:
            image = env.get("LOCALFLOW_MINIO_IMAGE") or DEFAULT_MINIO_IMAGE
        fallback = (STANDIN_MINIO_IMAGE,) if image == DEFAULT_MINIO_IMAGE else ()
        suffix = "" if instance == "default" else f"-{instance}"
        config = cls(instance=instance, kind=kind, image=image, fallback_images=fallback,
                     container_name=f"localflow-artifact-server{suffix}",
                     network=f"localflow-artifacts{suffix}", volume=f"localflow-artifacts-data{suffix}")
        return replace(config, **overrides)  # type: ignore[arg-type]

    def labels(self) -> dict[str, str]:
        return {**self.extra_labels, LABEL_ROLE: ROLE, LABEL_INSTANCE: self.instance}


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str  # host:port reachable from this process
    access_key: str
    secret_key: str
    container_id: str
    network_endpoint: str  # <ip>:9000 on the server's own network
    kind: str
    console_url: str | None = None
    secure: bool = False


# Whether S3 answers at an endpoint within a timeout (localflow.artifacts.server.answers).
Probe = Callable[[S3Endpoint, float], bool]


@dataclass(frozen=True)
class ServerStatus:
    exists: bool
    running: bool = False
    ready: bool = False
    container_id: str | None = None
    image: str | None = None
    kind: str | None = None
    state: str | None = None
    endpoint: str | None = None
    network_endpoint: str | None = None
    console_url: str | None = None
    volume: str | None = None


# -- lifecycle -------------------------------------------------------------------------------
def ensure_server(client: docker.DockerClient, config: ServerConfig | None = None, *,
                  answers: Probe) -> S3Endpoint:
    """The running, ready server (ready: `answers` says S3 answers); created and started on first need."""
    config = config or ServerConfig.from_env()
    try:
        container = _published_as_wanted(client, find_server(client, config)) or _create(client, config)
        if container.status == "paused":
            container.unpause()
        elif container.status != "running":
            container.start()
        container.reload()
        endpoint = _endpoint(client, container, config)
    except APIError as exc:
        hint = ""
        if "cannot assign requested address" in _explain(exc):  # not an address of the engine's host
            hint = (f"; the engine's host has no address {_engine(client)[0]}: set LOCALFLOW_PUBLISH_ADDRESS "
                    "to one of its addresses (0.0.0.0: all of them)")
        raise ArtifactError(f"artifact server: Docker refused: {_explain(exc)}{hint}") from exc
    _check_reachable(container, endpoint, config.ready_timeout)
    _wait_ready(container, endpoint, config.ready_timeout, answers)
    return endpoint


def find_server(client: docker.DockerClient, config: ServerConfig | None = None) -> Container | None:
    config = config or ServerConfig.from_env()
    filters = {"label": [f"{LABEL_ROLE}={ROLE}", f"{LABEL_INSTANCE}={config.instance}"]}
    found = client.containers.list(all=True, filters=filters)
    return min(found, key=lambda c: c.attrs.get("Created", "")) if found else None


def server_status(client: docker.DockerClient, config: ServerConfig | None = None, *,
                  answers: Probe) -> ServerStatus:
    config = config or ServerConfig.from_env()
    container = find_server(client, config)
    if container is None:
        return ServerStatus(exists=False, volume=_volume_name(client, config))
    labels = container.labels
    state = container.attrs.get("State", {}).get("Status")
    running = state == "running"
    endpoint = _endpoint(client, container, config, connect_self=False) if running else None
    return ServerStatus(
        exists=True, running=running, ready=bool(endpoint and answers(endpoint, 3.0)),
        container_id=container.id, image=container.attrs.get("Config", {}).get("Image"),
        kind=labels.get(LABEL_KIND), state=state,
        endpoint=endpoint.endpoint if endpoint else None,
        network_endpoint=endpoint.network_endpoint if endpoint else None,
        console_url=endpoint.console_url if endpoint else None, volume=_volume_name(client, config),
    )


def stop_server(client: docker.DockerClient, remove_data: bool = False,
                config: ServerConfig | None = None, stop_timeout: int = 10) -> bool:
    """Remove the server container and its network; the data volume too with remove_data.

    Returns whether a container was removed. The credentials stay with the volume.
    """
    config = config or ServerConfig.from_env()
    filters = {"label": [f"{LABEL_ROLE}={ROLE}", f"{LABEL_INSTANCE}={config.instance}"]}
    containers = client.containers.list(all=True, filters=filters)
    for container in containers:
        with contextlib.suppress(APIError):
            container.stop(timeout=stop_timeout)  # let the server flush before removal
        container.remove(force=True, v=False)
    for network in client.networks.list(names=[config.network], filters={"label": f"{LABEL_INSTANCE}={config.instance}"}):
        network.reload()
        for attached in network.containers:
            _ignore_missing(network.disconnect, attached, force=True)
        _ignore_missing(network.remove)
    if remove_data:
        try:
            volume = client.volumes.get(config.volume)
            if volume.attrs.get("Labels", {}).get(LABEL_INSTANCE) == config.instance:
                volume.remove(force=True)
        except NotFound:
            pass
    return bool(containers)


# -- networks ------------------------------------------------------------------------------
def attach_network(client: docker.DockerClient, network: str, config: ServerConfig | None = None,
                   aliases: tuple[str, ...] = (NETWORK_ALIAS,)) -> str:
    """Make the server reachable from a run's network; returns the endpoint steps use."""
    container = _require(client, config)
    try:
        net = client.networks.get(network)
    except NotFound as exc:
        raise ArtifactError(f"artifact server: no network {network!r} to join") from exc
    if network not in container.attrs["NetworkSettings"]["Networks"]:
        try:
            net.connect(container, aliases=list(aliases))
        except APIError as exc:
            if "already exists" not in _explain(exc):
                raise ArtifactError(f"artifact server: cannot join network {network}: {_explain(exc)}") from exc
    return f"{aliases[0]}:{S3_PORT}" if aliases else _network_ip(client, container, network)


def detach_network(client: docker.DockerClient, network: str, config: ServerConfig | None = None) -> None:
    """Disconnect the server from a run's network (do this before removing the network)."""
    container = find_server(client, config)
    if container is not None:
        _ignore_missing(client.networks.get(network).disconnect, container, force=True)


def connect_container(client: docker.DockerClient, container_id: str, config: ServerConfig | None = None) -> str:
    """Connect any container to the server's network; returns the server's ip:port there."""
    config = config or ServerConfig.from_env()
    server = _require(client, config)
    target = client.containers.get(container_id)
    if config.network not in target.attrs["NetworkSettings"]["Networks"]:
        client.networks.get(config.network).connect(target)
    return _network_ip(client, server, config.network)


# -- internals -----------------------------------------------------------------------------
def _require(client: docker.DockerClient, config: ServerConfig | None) -> Container:
    container = find_server(client, config)
    if container is None:
        raise ArtifactError("artifact server is not running (ensure_server first)")
    return container


def _create(client: docker.DockerClient, config: ServerConfig) -> Container:
    image = _ensure_image(client, config.image, config.fallback_images)
    labels = config.labels()
    _ensure_network(client, config, labels)
    access, secret = _credentials(client, config, labels)
    labels = {**labels, LABEL_KIND: config.kind, LABEL_ACCESS_KEY: access, LABEL_SECRET_KEY: secret}
    publish = _engine(client)[0]
    if config.kind == "minio":
        command = ["server", "/data", "--address", f":{S3_PORT}", "--console-address", f":{CONSOLE_PORT}"]
        environment = {"MINIO_ROOT_USER": access, "MINIO_ROOT_PASSWORD": secret}
        ports = {f"{S3_PORT}/tcp": (publish, None), f"{CONSOLE_PORT}/tcp": (publish, None)}
    else:
        command = ["server", "-ip=127.0.0.1", "-ip.bind=0.0.0.0", "-master.resumeState=false",
                   "-s3", f"-s3.port={S3_PORT}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                   "-volume.preStopSeconds=1"]
        environment = {"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
        ports = {f"{S3_PORT}/tcp": (publish, None)}
    try:
        return client.containers.create(
            image, command, name=config.container_name, labels=labels,
            environment=environment, ports=ports, network=config.network,
            volumes={config.volume: {"bind": "/data", "mode": "rw"}},
            restart_policy={"Name": "unless-stopped"}, detach=True,
        )
    except APIError as exc:
        if exc.status_code == 409:  # another localflow process created it just now
            found = find_server(client, config)
            if found is not None:
                return found
        raise


def _ensure_image(client: docker.DockerClient, image: str, fallbacks: tuple[str, ...] = ()) -> str:
    """The image to run: `image` (pulled if needed), else the first fallback present locally."""
    try:
        client.images.get(image)
        return image
    except NotFound:
        pass
    try:
        client.images.pull(image)
        return image
    except APIError as exc:
        for fallback in fallbacks:
            try:
                client.images.get(fallback)
                return fallback
            except NotFound:
                continue
        raise ArtifactError(
            f"artifact server image {image} is not present and cannot be pulled ({_explain(exc)}); "
            "set LOCALFLOW_MINIO_IMAGE (or LOCALFLOW_SEAWEEDFS_IMAGE) to a local image, or build "
            f"{STANDIN_MINIO_IMAGE} with scripts/images/minio/build.sh"
        ) from exc


def _ensure_network(client: docker.DockerClient, config: ServerConfig, labels: dict[str, str]) -> None:
    if client.networks.list(names=[config.network]):
        return
    try:
        client.networks.create(config.network, driver="bridge", labels=labels, check_duplicate=True)
    except APIError as exc:
        if exc.status_code != 409:
            raise


def _credentials(client: docker.DockerClient, config: ServerConfig, labels: dict[str, str]) -> tuple[str, str]:
    """The volume's credentials; generated when the volume is created (never minioadmin)."""
    try:
        volume = client.volumes.get(config.volume)
    except NotFound:
        generated = {LABEL_ACCESS_KEY: "lf" + secrets.token_hex(8),
                     LABEL_SECRET_KEY: secrets.token_urlsafe(24), LABEL_KIND: config.kind}
        try:
            client.volumes.create(config.volume, labels={**labels, **generated})
        except APIError:
            pass  # a concurrent creator won the race
        volume = client.volumes.get(config.volume)  # its labels are the truth
    vol_labels = volume.attrs.get("Labels") or {}
    if LABEL_ACCESS_KEY not in vol_labels or LABEL_SECRET_KEY not in vol_labels:
        raise ArtifactError(f"volume {config.volume} exists but has no localflow credentials; "
                            "remove it (docker volume rm) or point LOCALFLOW_S3_* at another server")
    if vol_labels.get(LABEL_KIND, config.kind) != config.kind:
        raise ArtifactError(f"volume {config.volume} holds {vol_labels[LABEL_KIND]} data; set "
                            f"LOCALFLOW_ARTIFACT_SERVER={vol_labels[LABEL_KIND]} or remove the volume")
    return vol_labels[LABEL_ACCESS_KEY], vol_labels[LABEL_SECRET_KEY]


def _endpoint(client: docker.DockerClient, container: Container, config: ServerConfig,
              connect_self: bool = True) -> S3Endpoint:
    labels = container.labels
    if LABEL_ACCESS_KEY not in labels:
        raise ArtifactError(f"container {container.name} has no localflow credentials labels")
    network_ip = _network_ip(client, container, config.network)
    host_port = _host_port(container, S3_PORT)
    deadline = time.monotonic() + 10
    while host_port is None and time.monotonic() < deadline:  # ports show up a moment after start
        time.sleep(0.2)
        container.reload()
        host_port = _host_port(container, S3_PORT)
    _, host, remote = _engine(client)
    endpoint = f"{_url_host(host)}:{host_port}" if host_port else network_ip
    own = None if remote else own_container(client)
    if own is not None and own.attrs["HostConfig"].get("NetworkMode") != "host":
        if connect_self and config.network not in own.attrs["NetworkSettings"]["Networks"]:
            client.networks.get(config.network).connect(own)
        endpoint = network_ip
    console_port = _host_port(container, CONSOLE_PORT)
    console = (f"http://{_url_host(host)}:{console_port}"
               if console_port and labels.get(LABEL_KIND) == "minio" else None)
    return S3Endpoint(endpoint, labels[LABEL_ACCESS_KEY], labels[LABEL_SECRET_KEY], container.id,
                      network_ip, labels.get(LABEL_KIND, "minio"), console)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _host_port(container: Container, port: int) -> str | None:
    bindings = (container.attrs["NetworkSettings"].get("Ports") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            return str(binding["HostPort"])
    return None


def _engine(client: docker.DockerClient) -> tuple[str, str, Any]:
    """(address to publish on, host to reach published ports at, the engine's address when remote).

    The runtime's client carries where its engine is (`localflow_engine`, runtime/remote.py); any other
    client means a local engine: loopback only."""
    engine = getattr(client, "localflow_engine", None)
    if engine is None or not engine.remote:
        return "127.0.0.1", getattr(engine, "reach_host", lambda: "127.0.0.1")(), None
    return engine.publish_address(), engine.reach_host(), engine


def _published_as_wanted(client: docker.DockerClient, container: Container | None) -> Container | None:
    """The server, unless it publishes its port on another address than this engine needs now (made
    for a local engine, now reached over TCP, or the other way round): then it is removed (its volume,
    and so the data and credentials, stay) and made again."""
    if container is None:
        return None
    bindings = (container.attrs.get("HostConfig", {}).get("PortBindings") or {}).get(f"{S3_PORT}/tcp") or []
    published = {b.get("HostIp") or "0.0.0.0" for b in bindings}
    if not published or published == {_engine(client)[0]}:
        return container
    with contextlib.suppress(APIError):
        container.stop(timeout=10)
    with contextlib.suppress(NotFound):
        container.remove(force=True, v=False)
    return None


def _check_reachable(container: Container, endpoint: S3Endpoint, timeout: float) -> None:
    """One clear line within seconds when nothing answers at the address localflow would use (a
    remote engine publishing where this machine cannot reach), not a silent wait for readiness.

    A refused connection is not proof: a remote engine forwards outside traffic straight to the
    container (iptables, no proxy), which refuses until the server listens. So refusals count only once
    the server listens inside its container (or after a while when that cannot be told)."""
    host, _, port = endpoint.endpoint.rpartition(":")
    start, listened = time.monotonic(), False
    while True:
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=2.0):
                return
        except ConnectionRefusedError as exc:
            error: OSError = exc
            if listened:  # refused although the server listened before this attempt
                break
            listened = _listening_inside(container, S3_PORT)
            if (listened is None and time.monotonic() - start > 15) or time.monotonic() - start > timeout:
                break
        except OSError as exc:  # no route, timed out, unknown host: waiting will not help
            error = exc
            if time.monotonic() - start > 4:
                break
        time.sleep(0.3)
    container.reload()
    if container.status in ("exited", "dead"):
        raise ArtifactError(f"artifact server {container.name} stopped while starting: {_last_log(container)}")
    engine = getattr(container.client, "localflow_engine", None)
    hint = (engine.unreachable_hint() + ", " if engine is not None else "") + \
        "or point LOCALFLOW_S3_ENDPOINT at an S3 server both reach"
    raise ArtifactError(f"artifact server: nothing answers at {endpoint.endpoint} "
                        f"({' '.join(str(error).split()) or type(error).__name__}); {hint}")


def _listening_inside(container: Container, port: int) -> bool | None:
    """Whether the server listens on `port` in its container (its /proc/net/tcp*); None if unknown."""
    try:
        code, out = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"])
    except APIError:
        return None
    if code not in (0, 1) or not out:
        return None
    wanted = f":{port:04X}"
    return any(f[1].endswith(wanted) and f[3] == "0A" for f in (line.split() for line in out.decode().splitlines())
               if len(f) > 3)


def _network_ip(client: docker.DockerClient, container: Container, network: str) -> str:
    settings = container.attrs["NetworkSettings"]["Networks"].get(network) or {}
    if not settings.get("IPAddress"):
        container.reload()
        settings = container.attrs["NetworkSettings"]["Networks"].get(network) or {}
    return f"{settings.get('IPAddress', '')}:{S3_PORT}"


def own_container(client: docker.DockerClient) -> Container | None:
    """localflow's own container when it runs in one on this engine, else None.

    /.dockerenv alone proves little (VMs and other engines have it), so candidates from the
    cgroup, mountinfo and hostname are looked up and must match our hostname or id.
    """
    hostname = socket.gethostname()
    ids: list[str] = []
    try:
        with open("/proc/self/cgroup") as f:
            ids += re.findall(r"docker[-/]([0-9a-f]{64})", f.read())
    except OSError:
        pass
    try:
        # only the files Docker bind-mounts into a container: on a host running dockerd, the mount
        # table lists every running container's own mounts too, and those must not count
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 4 and fields[4] in ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf"):
                    ids += re.findall(r"/containers/([0-9a-f]{64})", fields[3])
    except OSError:
        pass
    if not ids and not os.path.exists("/.dockerenv") and not os.path.exists("/run/.containerenv"):
        return None
    for candidate in dict.fromkeys([*ids, hostname]):
        try:
            container = client.containers.get(candidate)
        except (NotFound, APIError):
            continue
        if container.id in ids or container.attrs.get("Config", {}).get("Hostname") == hostname:
            return container
    return None


def _wait_ready(container: Container, endpoint: S3Endpoint, timeout: float, answers: Probe) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.1
    while not answers(endpoint, 2.0):
        container.reload()
        if container.status in ("exited", "dead"):
            raise ArtifactError(f"artifact server {container.name} stopped while starting: {_last_log(container)}")
        if time.monotonic() > deadline:
            raise ArtifactError(f"artifact server {container.name} did not answer S3 at {endpoint.endpoint} "
                                f"within {timeout:.0f}s; last log: {_last_log(container)}")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _last_log(container: Container) -> str:
    try:
        lines = container.logs(tail=5).decode("utf-8", "replace").strip().splitlines()
    except APIError:
        return "(no logs)"
    return lines[-1][:300] if lines else "(no output)"


def _volume_name(client: docker.DockerClient, config: ServerConfig) -> str | None:
    try:
        return client.volumes.get(config.volume).name
    except NotFound:
        return None


def _ignore_missing(call, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    try:
        call(*args, **kwargs)
    except NotFound:
        pass
    except APIError as exc:
        if "not connected" not in _explain(exc) and "is not connected" not in _explain(exc):
            raise


def _explain(exc: APIError) -> str:
    return " ".join(str(exc.explanation or exc).split())
