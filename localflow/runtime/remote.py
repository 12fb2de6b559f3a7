"""Where the Docker engine is, as seen from localflow: the local socket, or a host reached over TCP / SSH.

A remote engine's 127.0.0.1 is not ours, so a port it publishes on loopback cannot be reached from
here. Like Testcontainers (`DOCKER_HOST`'s host, `TESTCONTAINERS_HOST_OVERRIDE`), localflow reaches
what the engine publishes at the host named in DOCKER_HOST, or at LOCALFLOW_HOST_OVERRIDE.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HOST_OVERRIDE = "LOCALFLOW_HOST_OVERRIDE"
BIND_OVERRIDE = "LOCALFLOW_PUBLISH_ADDRESS"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class EngineAddress:
    url: str  # as the user gave it (DOCKER_HOST), or the default socket
    host: str | None  # the engine's host as localflow reaches it; None for a local engine
    scheme: str  # unix | tcp | ssh | npipe

    @property
    def remote(self) -> bool:
        return self.host is not None

    def reach_host(self, environ: Mapping[str, str] | None = None) -> str:
        """The host to connect to for a port the engine publishes."""
        env = os.environ if environ is None else environ
        return (env.get(HOST_OVERRIDE) or "").strip() or self.host or LOOPBACK

    def publish_address(self, environ: Mapping[str, str] | None = None) -> str:
        """The engine-side address a port is published on: loopback for a local engine; for a remote
        one the address localflow reaches it at (no wider), or LOCALFLOW_PUBLISH_ADDRESS."""
        env = os.environ if environ is None else environ
        chosen = (env.get(BIND_OVERRIDE) or "").strip()
        if chosen:
            return chosen
        if not self.remote or self.scheme == "ssh":
            return LOOPBACK
        return _resolve(self.host or LOOPBACK)

    def unreachable_hint(self, environ: Mapping[str, str] | None = None) -> str:
        """What to change when a port published by this engine cannot be reached from here."""
        return (f"it is published on {self.publish_address(environ)} of the engine at {self.url}; set "
                f"{HOST_OVERRIDE} to the address where this machine reaches that engine's host (and "
                f"{BIND_OVERRIDE} to the engine-side address to publish on)")


def engine_address(environ: Mapping[str, str] | None = None) -> EngineAddress:
    env = os.environ if environ is None else environ
    url = (env.get("DOCKER_HOST") or "").strip()
    if not url:
        return EngineAddress("unix:///var/run/docker.sock", None, "unix")
    parts = urlsplit(url if "://" in url else "tcp://" + url)
    scheme = parts.scheme.lower()
    if scheme in ("unix", "npipe", "fd"):
        return EngineAddress(url, None, scheme)
    host = parts.hostname or ""
    if scheme in ("tcp", "http", "https") and _is_loopback(host):
        return EngineAddress(url, None, "tcp")
    return EngineAddress(url, host or None, "ssh" if scheme == "ssh" else "tcp")


def _is_loopback(host: str) -> bool:
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve(host: str) -> str:
    try:
        return socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except (OSError, IndexError):
        return host


# -- readiness probes against a remote engine ----------------------------------------------------
# A remote engine's container addresses are not routable from here, and kubelet probes from the node,
# so the probe ports of a pod are published (on the engine-side address, as the artifact server) and
# probed at the engine's host.
Reach = Callable[[str, int], tuple[str, int]]


def probe_ports(probes: Iterable[dict | None]) -> dict[str, tuple[str, None]] | None:
    """Docker `ports=` for a pod's network owner: its probes' numeric ports, when the engine is remote."""
    engine = engine_address()
    if not engine.remote:
        return None
    ports: set[int] = set()
    for probe in probes:
        for kind in ("httpGet", "tcpSocket", "grpc"):
            spec = (probe or {}).get(kind)
            if isinstance(spec, dict) and not spec.get("host") and str(spec.get("port", "")).isdigit():
                ports.add(int(spec["port"]))
    publish = engine.publish_address()
    return {f"{port}/tcp": (publish, None) for port in sorted(ports)} or None


def probe_reach(container: Any) -> Reach | None:
    """Maps (container ip, port) to where localflow reaches that port; None for a local engine."""
    engine = engine_address()
    if not engine.remote:
        return None
    published: dict[int, str] = {}

    def reach(host: str, port: int) -> tuple[str, int]:
        if not published:
            container.reload()
            for key, bindings in (container.attrs["NetworkSettings"].get("Ports") or {}).items():
                for binding in bindings or []:
                    if binding.get("HostPort"):
                        published[int(key.split("/")[0])] = binding["HostPort"]
        if port in published:
            return engine.reach_host(), int(published[port])
        return host, port
    return reach


def client_from_env(timeout: int = 300, **kwargs: Any) -> Any:
    """`docker.from_env()` as the docker CLI reads its environment: DOCKER_HOST, DOCKER_TLS_VERIFY and
    DOCKER_CERT_PATH, and nothing of requests' own (REQUESTS_CA_BUNDLE would replace the engine's CA
    from DOCKER_CERT_PATH: requests lets it override a session's `verify`). The API version is asked
    once the session is set up (from_env would ask before)."""
    import docker
    from docker.constants import MINIMUM_DOCKER_API_VERSION
    from docker.utils import kwargs_from_env
    over_ssh = engine_address().scheme == "ssh"  # the system's ssh, as the docker CLI (no paramiko)
    client = docker.DockerClient(timeout=timeout, version=MINIMUM_DOCKER_API_VERSION, use_ssh_client=over_ssh,
                                 **kwargs, **kwargs_from_env())
    api = client.api
    if api.base_url.startswith("http+docker://") or isinstance(api.verify, str):
        api.trust_env = False  # a local socket has no proxy to find; TLS keeps DOCKER_CERT_PATH's CA
    api._version = api._retrieve_server_version()  # what from_env(version="auto") does
    client.localflow_engine = engine_address()  # read by the artifact server (which may not import runtime)
    return client
