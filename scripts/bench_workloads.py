"""The workloads of scripts/bench.py: workflow files and their raw Docker SDK equivalents.

Everything the raw side creates carries the label `localflow.bench=<bench id>`; localflow's own
runs are named `lfb-<bench id>-...` and carry localflow's `localflow.run` label.
"""

from __future__ import annotations

import io
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator

BENCH_LABEL = "localflow.bench"
IMAGE = os.environ.get("LOCALFLOW_BENCH_IMAGE", "alpine")
MiB = 1024 * 1024


# ---- workflow documents ----------------------------------------------------------------------
def _wf(prefix: str, templates: list[dict], **spec: Any) -> dict:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": prefix},
            "spec": {"entrypoint": "main", **spec, "templates": templates}}


def chain_doc(n: int = 30) -> dict:
    """n single-container steps in sequence (one step per group)."""
    steps = [[{"name": f"s{i}", "template": "echo", "arguments": {"parameters": [{"name": "i", "value": str(i)}]}}]
             for i in range(n)]
    return _wf("bench-chain-", [
        {"name": "main", "steps": steps},
        {"name": "echo", "inputs": {"parameters": [{"name": "i"}]},
         "container": {"image": IMAGE, "command": ["echo", "step {{inputs.parameters.i}}"]}},
    ])


def fanout_doc(n: int = 40, parallelism: int = 4) -> dict:
    """One step over `withItems` of n items, at most `parallelism` at a time."""
    return _wf("bench-fanout-", [
        {"name": "main", "parallelism": parallelism, "steps": [[{
            "name": "each", "template": "echo", "withItems": list(range(n)),
            "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]}}]]},
        {"name": "echo", "inputs": {"parameters": [{"name": "i"}]},
         "container": {"image": IMAGE, "command": ["echo", "item {{inputs.parameters.i}}"]}},
    ])


def fanout_daemon_doc(n: int = 40, parallelism: int = 4) -> dict:
    """The fan-out beside a daemon step: a daemon gives the run its own network (pods reach it by
    address), where localflow starts containers one at a time (DockerRuntime._start)."""
    doc = fanout_doc(n, parallelism)
    fan = doc["spec"]["templates"][0]
    fan["name"] = "fan"  # the daemon outside the fan-out's parallelism (where it would take a slot)
    doc["spec"]["templates"] += [
        {"name": "main", "steps": [[{"name": "keeper", "template": "keeper"}], [{"name": "fan", "template": "fan"}]]},
        {"name": "keeper", "daemon": True, "container": {"image": IMAGE, "command": ["sleep", "3600"]}}]
    return doc


def dag_doc(n: int, deps: int = 3, seed: int = 42) -> dict:
    """A DAG of n tasks, each (but the first ones) depending on `deps` of the 50 tasks before it."""
    r = random.Random(seed)
    tasks = []
    for i in range(n):
        t: dict[str, Any] = {"name": f"t{i}", "template": "noop"}
        window = list(range(max(0, i - 50), i))
        if window:
            t["dependencies"] = [f"t{d}" for d in sorted(r.sample(window, min(deps, len(window))))]
        tasks.append(t)
    return _wf("bench-dag-", [
        {"name": "main", "dag": {"tasks": tasks}},
        {"name": "noop", "container": {"image": IMAGE, "command": ["true"]}},
    ])


def items_doc(n: int) -> dict:
    """One step over `withItems` of n items (no parallelism limit)."""
    return _wf("bench-items-", [
        {"name": "main", "steps": [[{
            "name": "each", "template": "echo", "withItems": list(range(n)),
            "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]}}]]},
        {"name": "echo", "inputs": {"parameters": [{"name": "i"}]},
         "container": {"image": IMAGE, "command": ["echo", "item {{inputs.parameters.i}}"]}},
    ])


def artifact_doc(size: int, archive_none: bool = False) -> dict:
    """Step A writes `size` random bytes to /tmp/data (an output artifact); step B gets it and checks its size."""
    out: dict[str, Any] = {"name": "data", "path": "/tmp/data"}
    if archive_none:
        out["archive"] = {"none": {}}
    return _wf("bench-artifact-", [
        {"name": "main", "steps": [
            [{"name": "produce", "template": "produce"}],
            [{"name": "consume", "template": "consume",
              "arguments": {"artifacts": [{"name": "data", "from": "{{steps.produce.outputs.artifacts.data}}"}]}}],
        ]},
        {"name": "produce", "container": {"image": IMAGE, "command": ["sh", "-c", produce_script(size)]},
         "outputs": {"artifacts": [out]}},
        {"name": "consume", "inputs": {"artifacts": [{"name": "data", "path": "/tmp/data"}]},
         "container": {"image": IMAGE, "command": ["sh", "-c", consume_script(size)]}},
    ])


def produce_script(size: int) -> str:
    return f"head -c {size} /dev/urandom > /tmp/data"


def consume_script(size: int) -> str:
    return f'test "$(wc -c < /tmp/data)" -eq {size} && echo ok'


def small_doc() -> dict:
    """What `localflow lint` checks in figure 5: a small, valid two-step workflow."""
    return _wf("bench-small-", [
        {"name": "main", "steps": [[{"name": "hello", "template": "echo",
                                     "arguments": {"parameters": [{"name": "i", "value": "1"}]}}],
                                   [{"name": "bye", "template": "echo",
                                     "arguments": {"parameters": [{"name": "i", "value": "2"}]}}]]},
        {"name": "echo", "inputs": {"parameters": [{"name": "i"}]},
         "container": {"image": IMAGE, "command": ["echo", "{{inputs.parameters.i}}"]}},
    ])


def sidecar_doc(with_sidecar: bool) -> dict:
    """One step (`echo`), with or without one sidecar that sleeps (goal 5: the sidecar's cost)."""
    tpl: dict[str, Any] = {"name": "main", "container": {"image": IMAGE, "command": ["echo", "hi"]}}
    if with_sidecar:
        tpl["sidecars"] = [{"name": "side", "image": IMAGE, "command": ["sleep", "1000"]}]
    return _wf("bench-sidecar-", [tpl])


LOG_LINES = 20


def log_script(lines: int = LOG_LINES, gap: float = 0.2) -> str:
    """Print `t=<uptime>` every `gap` s with shell builtins only (the container and the host read the same
    kernel clock in /proc/uptime, to the hundredth of a second)."""
    return (f"i=0; while [ $i -lt {lines} ]; do read u _ < /proc/uptime; echo t=$u; i=$((i+1)); "
            f"sleep {gap}; done")


def logs_doc() -> dict:
    """One step that writes a timestamped line every 0.2 s (goal 6: live log latency)."""
    return _wf("bench-logs-", [{"name": "main", "container": {"image": IMAGE, "command": ["sh", "-c", log_script()]}}])


def uptime() -> float:
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def log_latencies(lines: Iterable[bytes]) -> list[float]:
    """Seconds from each `t=<uptime>` line's writing to its arrival here (read as the lines come)."""
    out = []
    for line in lines:
        text = line.decode(errors="replace")
        if "t=" in text:
            try:
                out.append(uptime() - float(text.rsplit("t=", 1)[1].split()[0]))
            except ValueError:
                pass
    return out


def raw_log_latency(client: Any, bench_id: str) -> list[float]:
    """The same container by raw SDK calls, its log followed as `docker logs -f` does."""
    c = client.containers.create(IMAGE, ["sh", "-c", log_script()], labels={BENCH_LABEL: bench_id}, detach=True)
    try:
        c.start()
        lat = log_latencies(_lines(c.logs(stream=True, follow=True)))
        c.wait()
        return lat
    finally:
        c.remove(force=True, v=True)


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buf = b""
    for chunk in chunks:
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line


def write_yaml(doc: dict, path: str) -> str:
    import yaml
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False, width=1000)
    return path


# ---- raw Docker SDK baselines ----------------------------------------------------------------
def raw_container(client: Any, argv: list[str], bench_id: str, before_start: Callable[[Any], None] | None = None,
                  after_wait: Callable[[Any], None] | None = None) -> bytes:
    """create, start, wait, logs, remove: what one localflow step does at the least."""
    c = client.containers.create(IMAGE, argv, labels={BENCH_LABEL: bench_id}, detach=True)
    try:
        if before_start is not None:
            before_start(c)
        c.start()
        code = c.wait().get("StatusCode")
        logs = c.logs()
        if code != 0:
            raise RuntimeError(f"raw container {argv} exited {code}: {logs[-200:]!r}")
        if after_wait is not None:
            after_wait(c)
        return logs
    finally:
        c.remove(force=True, v=True)


def network_cost(client: Any, bench_id: str, n: int = 10) -> dict[str, float]:
    """Median seconds of one raw container (create, start, wait, logs, remove) on the default bridge,
    on a user-defined bridge network like localflow's per-run network, and with no network."""
    import statistics
    net = client.networks.create(f"lfb-{bench_id}-net", driver="bridge", labels={BENCH_LABEL: bench_id})
    variants = {"default bridge": {}, "per-run bridge network": {"network": net.name},
                "no network": {"network_mode": "none"}}
    times: dict[str, list[float]] = {k: [] for k in variants}
    try:
        for _ in range(n):
            for k, kw in variants.items():
                t = time.perf_counter()
                c = client.containers.create(IMAGE, ["echo", "hi"], labels={BENCH_LABEL: bench_id}, detach=True, **kw)
                try:
                    c.start()
                    c.wait()
                    c.logs()
                finally:
                    c.remove(force=True, v=True)
                times[k].append(time.perf_counter() - t)
    finally:
        net.remove()
    return {k: statistics.median(v) for k, v in times.items()}


def raw_step(client: Any, argv: list[str], bench_id: str, network: str | None = None) -> bytes:
    """Figure 2's raw step: the container localflow makes for a step (init as PID 1, labels) with the
    fewest requests a script can make: create, start, wait, logs, remove, one request each (the SDK's
    `containers.create` and both `logs` calls add an inspect, which localflow avoids too: runtime/calls.py)."""
    api = client.api
    cid = api.create_container(IMAGE, argv, labels={BENCH_LABEL: bench_id},
                               host_config=api.create_host_config(init=True, network_mode=network))["Id"]
    try:
        api.start(cid)
        code = api.wait(cid).get("StatusCode")
        res = api._get(api._url("/containers/{0}/logs", cid), params={"stdout": 1, "stderr": 1})
        logs = api._get_result_tty(False, res, False)  # no TTY: the SDK's own demultiplexing
        if code != 0:
            raise RuntimeError(f"raw container {argv} exited {code}: {logs[-200:]!r}")
        return logs
    finally:
        api.remove_container(cid, force=True, v=True)


def raw_chain(client: Any, bench_id: str, n: int = 30) -> None:
    for i in range(n):
        raw_step(client, ["echo", f"step {i}"], bench_id)


def raw_fanout(client: Any, bench_id: str, n: int = 40, parallelism: int = 4, network: str | None = None) -> None:
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        list(pool.map(lambda i: raw_step(client, ["echo", f"item {i}"], bench_id, network), range(n)))


def raw_fanout_daemon(client: Any, bench_id: str, n: int = 40, parallelism: int = 4) -> None:
    """fanout_daemon_doc by hand: a network, a `sleep` container on it, the fan-out's containers on it
    (started concurrently: the raw side takes no lock), then the keeper and the network removed."""
    api = client.api
    net = api.create_network(f"lfb-{bench_id}-fan-{time.monotonic_ns()}", driver="bridge",
                             labels={BENCH_LABEL: bench_id})["Id"]
    keeper = api.create_container(IMAGE, ["sleep", "3600"], labels={BENCH_LABEL: bench_id},
                                  host_config=api.create_host_config(init=True, network_mode=net))["Id"]
    try:
        api.start(keeper)
        raw_fanout(client, bench_id, n, parallelism, network=net)
    finally:
        api.remove_container(keeper, force=True, v=True)
        remove_network(api, net)


def remove_network(api: Any, net: str, patience: float = 10.0) -> None:
    """Remove a network, waiting out Docker 20.10's stale endpoint count after concurrent starts on it
    (moby#42119; localflow gives up after 10 s too); still refused then, it is left to `cleanup`."""
    import docker.errors
    deadline = time.monotonic() + patience
    while True:
        try:
            api.remove_network(net)
            return
        except docker.errors.APIError as e:
            if "active endpoints" not in str(e) or time.monotonic() > deadline:
                if "active endpoints" in str(e):
                    print(f"bench: network {net[:12]} kept by Docker's stale endpoint count (moby#42119)", flush=True)
                    return
                raise
            time.sleep(0.5)


class _ChunkReader(io.RawIOBase):
    """A file object over docker-py's get_archive chunks (what minio's put_object reads)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def raw_artifact(client: Any, s3: Any, bucket: str, bench_id: str, size: int,
                 phases: dict[str, float] | None = None) -> None:
    """Container A writes the file; get_archive → S3 put (streamed, multipart); S3 get → put_archive into B."""
    key = f"raw-{bench_id}-{time.monotonic_ns()}/data.tar"
    ph = phases if phases is not None else {}

    def upload(c: Any) -> None:
        t = time.perf_counter()
        chunks, _stat = c.get_archive("/tmp/data", chunk_size=MiB)
        reader = io.BufferedReader(_ChunkReader(chunks), buffer_size=MiB)
        s3.put_object(bucket, key, reader, -1, part_size=16 * MiB)
        ph["get_archive + S3 put"] = time.perf_counter() - t

    def download(c: Any) -> None:
        t = time.perf_counter()
        resp = s3.get_object(bucket, key)
        try:
            c.put_archive("/tmp", resp.stream(MiB))
        finally:
            resp.close()
            resp.release_conn()
        ph["S3 get + put_archive"] = time.perf_counter() - t

    try:
        t = time.perf_counter()
        raw_container(client, ["sh", "-c", produce_script(size)], bench_id, after_wait=upload)
        ph["step A (container and upload)"] = time.perf_counter() - t
        t = time.perf_counter()
        out = raw_container(client, ["sh", "-c", consume_script(size)], bench_id, before_start=download)
        ph["step B (download and container)"] = time.perf_counter() - t
        if b"ok" not in out:
            raise RuntimeError("raw artifact: the consumer did not see the whole file")
    finally:
        try:
            s3.remove_object(bucket, key)
        except Exception:  # noqa: BLE001 - the server goes away with the bench anyway
            pass


# ---- cleanup -----------------------------------------------------------------------------------
def cleanup(client: Any, bench_id: str) -> dict[str, int]:
    """Remove whatever this bench left: raw containers by label, localflow runs by name prefix.

    Uses the low-level API (no inspect per object): other processes may be removing their own
    containers meanwhile.
    """
    import docker.errors
    api = client.api
    counts = {"containers": 0, "networks": 0, "volumes": 0}
    prefix = f"lfb-{bench_id}"
    doomed = [c["Id"] for c in api.containers(all=True, filters={"label": f"{BENCH_LABEL}={bench_id}"})]
    doomed += [c["Id"] for c in api.containers(all=True, filters={"label": "localflow.run"})
               if (c.get("Labels") or {}).get("localflow.run", "").startswith(prefix)]
    for cid in doomed:
        try:
            api.remove_container(cid, force=True, v=True)
            counts["containers"] += 1
        except docker.errors.APIError:
            pass
    for n in api.networks(filters={"label": f"{BENCH_LABEL}={bench_id}"}):
        try:
            api.remove_network(n["Id"])
            counts["networks"] += 1
        except docker.errors.APIError:
            pass
    for n in api.networks(filters={"label": "localflow.run"}):
        if (n.get("Labels") or {}).get("localflow.run", "").startswith(prefix):
            try:
                api.remove_network(n["Id"])
                counts["networks"] += 1
            except docker.errors.APIError:
                pass
    for v in (api.volumes(filters={"label": "localflow.run"}) or {}).get("Volumes") or []:
        if (v.get("Labels") or {}).get("localflow.run", "").startswith(prefix):
            try:
                api.remove_volume(v["Name"], force=True)
                counts["volumes"] += 1
            except docker.errors.APIError:
                pass
    return counts


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))
