"""Kubernetes readiness probes (httpGet, tcpSocket, exec) against a container on a run network."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from .remote import Reach


def _port(port: Any, container_ports: dict[str, int]) -> int:
    if isinstance(port, int):
        return port
    if str(port).isdigit():
        return int(port)
    if port in container_ports:
        return container_ports[port]
    raise ValueError(f"probe port {port!r} is not a number or a named port of the container")


def probe_once(probe: dict, ip: str, exec_run: Callable[[list[str]], int], named_ports: dict[str, int],
               reach: Reach | None = None) -> bool:
    """One probe. `reach` maps (ip, port) to where a remote engine publishes that port."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    if "httpGet" in probe:
        hg = probe["httpGet"]
        scheme = (hg.get("scheme") or "HTTP").lower()
        host, port = _where(hg.get("host") or ip, _port(hg.get("port", 80), named_ports), reach, hg)
        url = f"{scheme}://{host}:{port}{hg.get('path') or '/'}"
        headers = {h["name"]: h["value"] for h in hg.get("httpHeaders") or []}
        import requests  # only for a pod with an httpGet probe
        try:
            r = requests.get(url, headers=headers, timeout=timeout, verify=False, allow_redirects=False)
        except requests.RequestException:
            return False
        return 200 <= r.status_code < 400
    if "tcpSocket" in probe:
        ts = probe["tcpSocket"]
        target = _where(ts.get("host") or ip, _port(ts.get("port"), named_ports), reach, ts)
        return _tcp_open(target, timeout, proxied=target != (ts.get("host") or ip, _port(ts.get("port"), named_ports)))
    if "exec" in probe:
        cmd = (probe["exec"] or {}).get("command") or []
        try:
            return exec_run(cmd) == 0
        except Exception:  # noqa: BLE001 - a failing exec is a failing probe
            return False
    if "grpc" in probe:
        target = _where(ip, int(probe["grpc"].get("port")), reach, probe["grpc"])
        return _tcp_open(target, timeout, proxied=target != (ip, int(probe["grpc"].get("port"))))
    return True


def _where(host: str, port: int, reach: Reach | None, spec: dict) -> tuple[str, int]:
    return reach(host, port) if reach is not None and not spec.get("host") else (host, port)


def _tcp_open(target: tuple[str, int], timeout: float, proxied: bool) -> bool:
    """A TCP connection succeeds. Through a published port (Docker's proxy accepts first, then closes
    when nothing listens behind it) the connection must also stay open a moment."""
    try:
        with socket.create_connection(target, timeout=timeout) as conn:
            if not proxied:
                return True
            conn.settimeout(min(timeout, 0.5))
            try:
                return conn.recv(1) != b""
            except TimeoutError:
                return True
    except OSError:
        return False


def wait_ready(probe: dict, ip: str, exec_run: Callable[[list[str]], int], alive: Callable[[], bool],
               named_ports: dict[str, int] | None = None, give_up: Callable[[], bool] | None = None,
               reach: Reach | None = None) -> str | None:
    """Probe until success. None when ready, else why not (failureThreshold reached, or it exited).

    Kubernetes keeps probing a readiness probe forever; a pod that never gets ready stays
    unready. We bound it: failureThreshold (default 3) x period after the initial delay,
    but never less than 30 s of trying, so a slow service still gets its chance.
    """
    delay = float(probe.get("initialDelaySeconds") or 0)
    period = float(probe.get("periodSeconds") or 10)
    threshold = int(probe.get("failureThreshold") or 3)
    start = time.monotonic()
    budget = max(30.0, delay + period * threshold)
    if delay:
        end = time.monotonic() + delay
        while time.monotonic() < end:
            if not alive():
                return "the container exited before it was ready"
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))
    # probe quickly at first (services usually come up within a second), then at the probe's period
    interval = min(0.1, period)
    while True:
        if give_up is not None and give_up():
            return "stopped"
        if not alive():
            return "the container exited before it was ready"
        if probe_once(probe, ip, exec_run, named_ports or {}, reach):
            return None
        if time.monotonic() - start > budget:
            return f"readiness probe failed for {int(time.monotonic() - start)}s"
        time.sleep(interval)
        interval = min(period, interval * 2)
