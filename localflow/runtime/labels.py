"""Labels on every Docker object localflow creates, and cleanup that finds objects by them."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import docker.errors

RUN = "localflow.run"
NODE = "localflow.node"
ROLE = "localflow.role"
POD = "localflow.pod"
PVC = "localflow.pvc"
OWNER_PID = "localflow.pid"
OWNER_HOST = "localflow.host"


def labels(run: str, *, role: str, node: str | None = None, pod: str | None = None) -> dict[str, str]:
    d = {RUN: run, ROLE: role, OWNER_PID: str(os.getpid()), OWNER_HOST: socket.gethostname()}
    if node:
        d[NODE] = node
    if pod:
        d[POD] = pod
    return d


def remove_run_objects(client: Any, run: str) -> dict[str, int]:
    """Remove every container, network and volume labelled with this run. Returns counts."""
    flt = {"label": f"{RUN}={run}"}
    counts = {"containers": 0, "networks": 0, "volumes": 0}
    for c in client.containers.list(all=True, filters=flt):
        try:
            c.remove(force=True, v=True)
            counts["containers"] += 1
        except docker.errors.APIError:
            pass
    for n in client.networks.list(filters=flt):
        for attempt in range(5):  # endpoints of just-removed containers can linger for a moment
            try:
                n.reload()
                for cid in list((n.attrs.get("Containers") or {}).keys()):
                    try:
                        n.disconnect(cid, force=True)
                    except docker.errors.APIError:
                        pass
                n.remove()
                counts["networks"] += 1
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError:
                time.sleep(0.2 * (attempt + 1))
    for v in client.volumes.list(filters=flt):
        try:
            v.remove(force=True)
            counts["volumes"] += 1
        except docker.errors.APIError:
            pass
    return counts


def own_container_id(client: Any) -> str | None:
    """When localflow itself runs in a container (a CI job with the host's socket), its id."""
    if not os.path.exists("/.dockerenv") and not _cgroup_says_container():
        return None
    host = socket.gethostname()
    try:
        c = client.containers.get(host)
        return c.id
    except (docker.errors.NotFound, docker.errors.APIError):
        return None


def _cgroup_says_container() -> bool:
    try:
        with open("/proc/1/cgroup") as f:
            text = f.read()
        return "docker" in text or "containerd" in text
    except OSError:
        return False


def join_network_if_contained(client: Any, network: Any) -> None:
    """Let a containerised localflow reach the run's containers by IP (probes, daemons)."""
    cid = own_container_id(client)
    if cid is None:
        return
    try:
        network.connect(cid)
    except docker.errors.APIError:
        pass


def _pid_alive(pid: str | None) -> bool:
    try:
        os.kill(int(pid or "0"), 0)
        return int(pid or "0") > 0
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True


def leftover_runs(client: Any) -> list[str]:
    """Runs with Docker objects whose owning localflow process (on this host) is gone."""
    owners: dict[str, tuple[str | None, str | None]] = {}
    flt = {"label": RUN}
    objs = list(client.containers.list(all=True, filters=flt)) + list(client.networks.list(filters=flt))
    objs += list(client.volumes.list(filters=flt))
    for o in objs:
        lab = (o.attrs.get("Labels") if hasattr(o, "attrs") and "Labels" in (o.attrs or {}) else None) or o.labels
        run = lab.get(RUN)
        if run and run != "privileged-probe":
            owners.setdefault(run, (lab.get(OWNER_PID), lab.get(OWNER_HOST)))
        elif run == "privileged-probe":
            owners.setdefault(run, (None, socket.gethostname()))
    host = socket.gethostname()
    return sorted(r for r, (pid, h) in owners.items() if h == host and not _pid_alive(pid))
