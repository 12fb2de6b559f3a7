"""Labels on every Docker object localflow creates, and cleanup that finds objects by them."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from .engine_api import api_errors, not_found

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
    """Remove every container, network and volume labelled with this run. Returns counts.

    Uses the low-level API (lists carry the ids): the high-level one inspects each object and fails
    when another thread removes one in between.
    """
    api = client.api
    flt = {"label": f"{RUN}={run}"}
    counts = {"containers": 0, "networks": 0, "volumes": 0}
    for c in api.containers(all=True, filters=flt):
        try:
            api.remove_container(c["Id"], force=True, v=True)
            counts["containers"] += 1
        except not_found():
            pass
        except api_errors():
            pass
    for n in api.networks(filters=flt):
        counts["networks"] += _remove_network(api, n["Id"])
    for v in (api.volumes(filters=flt) or {}).get("Volumes") or []:
        try:
            api.remove_volume(v["Name"], force=True)
            counts["volumes"] += 1
        except api_errors():
            pass
    return counts


def _remove_network(api: Any, net: str, patience: float = 10.0) -> int:
    """Remove a network, retried with back-off for up to `patience` seconds: the endpoints of
    just-removed containers are released asynchronously, and after many containers Docker 20.10's
    bridge driver at times fails its firewall clean-up once ("exit status 1") and succeeds when asked
    again. Endpoints still attached are disconnected first. 1 if removed, 0 otherwise (gc retries).
    Not longer: a network whose endpoint count Docker 20.10 lost ("has active endpoints" with no
    container attached, moby#42119) stays refused until dockerd restarts, and `gc` meets every such
    network of every run (starts on a run network are serialised to avoid that: DockerRuntime._start)."""
    deadline, pause = time.monotonic() + patience, 0.25
    while True:
        try:
            info = api.inspect_network(net)
            for cid in list((info.get("Containers") or {}).keys()):
                try:
                    api.disconnect_container_from_network(cid, net, force=True)
                except api_errors():
                    pass
            api.remove_network(net)
            return 1
        except not_found():
            return 0
        except api_errors():
            if time.monotonic() + pause > deadline:
                return 0
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def own_container_id(client: Any) -> str | None:
    """When localflow itself runs in a container (a CI job with the host's socket), its id."""
    if not os.path.exists("/.dockerenv") and not _cgroup_says_container():
        return None
    host = socket.gethostname()
    try:
        c = client.containers.get(host)
        return c.id
    except api_errors():
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
    except api_errors():
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
    api = client.api
    labelled = [c.get("Labels") or {} for c in api.containers(all=True, filters=flt)]
    labelled += [n.get("Labels") or {} for n in api.networks(filters=flt)]
    labelled += [v.get("Labels") or {} for v in (api.volumes(filters=flt) or {}).get("Volumes") or []]
    for lab in labelled:
        run = lab.get(RUN)
        if run and run != "privileged-probe":
            owners.setdefault(run, (lab.get(OWNER_PID), lab.get(OWNER_HOST)))
        elif run == "privileged-probe":
            owners.setdefault(run, (None, socket.gethostname()))
    host = socket.gethostname()
    return sorted(r for r, (pid, h) in owners.items() if h == host and not _pid_alive(pid))
