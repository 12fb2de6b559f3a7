"""Profiling helpers for scripts/bench.py: cProfile over all threads, a Docker API call trace,
and Python's `-X importtime` summarised by top-level package."""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import re
import threading
import time
from collections import defaultdict
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, urlparse


class Profiler:
    """cProfile of the calling thread and (threads=True) of every thread started while it runs.

    Threads' profiles are kept when their run() returns: stop() the thread pools first.
    """

    def __init__(self, threads: bool = True):
        self.threads = threads
        self.main = cProfile.Profile()
        self.finished: list[cProfile.Profile] = []
        self._orig_run = None
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.threads:
            orig = self._orig_run = threading.Thread.run
            me = self

            def run(thread: threading.Thread) -> None:
                prof = cProfile.Profile()
                prof.enable()
                try:
                    orig(thread)
                finally:
                    prof.disable()
                    with me._lock:
                        me.finished.append(prof)

            threading.Thread.run = run  # type: ignore[method-assign]
        self.main.enable()

    def stop(self, path: str, join: float = 3.0) -> None:
        self.main.disable()
        deadline = time.monotonic() + join
        for t in threading.enumerate():  # let pool workers that are shutting down finish their profiles
            if t is not threading.current_thread() and not t.daemon:
                t.join(max(0.0, deadline - time.monotonic()))
        if self._orig_run is not None:
            threading.Thread.run = self._orig_run  # type: ignore[method-assign]
        with self._lock:
            profs = [self.main, *self.finished]
        stats = pstats.Stats(profs[0])
        for p in profs[1:]:
            stats.add(p)
        stats.dump_stats(path)


class MemorySampler:
    """tracemalloc, sampled from a thread: the peak of traced memory and where it was allocated then."""

    def __init__(self, interval: float = 0.05, frames: int = 8):
        self.interval = interval
        self.frames = frames
        self.best = 0
        self.snapshot: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import tracemalloc
        tracemalloc.start(self.frames)
        self._thread = threading.Thread(target=self._loop, name="bench-memory", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import tracemalloc
        while not self._stop.wait(self.interval):
            cur, _peak = tracemalloc.get_traced_memory()
            if cur > self.best * 1.05:
                self.best = cur
                self.snapshot = tracemalloc.take_snapshot()

    def stop(self, path: str) -> None:
        import tracemalloc
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        top = []
        if self.snapshot is not None:
            stats = self.snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics(
                "traceback")
            for st in stats[:8]:
                frames = [f"{_short(f.filename)}:{f.lineno}" for f in st.traceback]
                top.append({"mb": st.size / 1024 / 1024, "count": st.count, "where": frames})
        with open(path, "w") as f:
            json.dump({"peak_mb": peak / 1024 / 1024, "sampled_peak_mb": self.best / 1024 / 1024, "top": top}, f)


def _short(file: str) -> str:
    for marker in ("/localflow/", "/site-packages/", "/lib/python3"):
        if marker in file:
            return file[file.index(marker) + 1:]
    return file


class ApiTrace:
    """Every HTTP request docker-py makes (requests.Session.send), from any thread.

    The time of a streaming request (logs follow, get_archive) is the time to its headers.
    """

    _ID = re.compile(r"^[0-9a-f]{12,64}$")

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []  # (endpoint, start, seconds)
        self.by_container: dict[str, list[tuple[str, float, float]]] = defaultdict(list)  # id -> (endpoint, start, end)
        self._orig = None
        self._t0 = 0.0

    @classmethod
    def endpoint(cls, method: str, url: str) -> str:
        u = urlparse(url)
        parts = [p for p in u.path.split("/") if p]
        if parts and re.match(r"^v\d+\.\d+$", parts[0]):
            parts = parts[1:]
        out = []
        for i, p in enumerate(parts):
            if i == 1 and parts[0] in ("containers", "networks", "volumes", "images", "exec") and p not in (
                    "create", "json", "prune"):
                out.append("{id}")
            else:
                out.append("{id}" if cls._ID.match(p) else p)
        q = parse_qs(u.query)
        flags = [k for k in ("follow", "stream") if q.get(k, ["0"])[0] in ("1", "true", "True")]
        return f"{method} /{'/'.join(out)}" + (f"?{'&'.join(flags)}" if flags else "")

    @staticmethod
    def container_of(url: str, ep: str, res: Any) -> str | None:
        """The container a call is about: from the URL, or a create's answer."""
        if ep == "POST /containers/create":
            try:
                return res.json()["Id"][:12] if res is not None and res.status_code == 201 else None
            except (ValueError, KeyError):
                return None
        parts = [p for p in urlparse(url).path.split("/") if p]
        i = parts.index("containers") if "containers" in parts else -1
        return parts[i + 1][:12] if 0 <= i < len(parts) - 1 else None

    def start(self) -> None:
        import requests
        orig = self._orig = requests.Session.send
        me = self
        self._t0 = time.perf_counter()

        def send(session: Any, request: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            res = None
            try:
                res = orig(session, request, **kw)
                return res
            finally:
                end = time.perf_counter()
                ep = ApiTrace.endpoint(request.method, request.url)
                me.calls.append((ep, t - me._t0, end - t))
                cid = ApiTrace.container_of(request.url, ep, res)
                if cid:
                    me.by_container[cid].append((ep, t - me._t0, end - me._t0))

        requests.Session.send = send  # type: ignore[method-assign]

    def stop(self, path: str | None = None) -> dict:
        import requests
        if self._orig is not None:
            requests.Session.send = self._orig  # type: ignore[method-assign]
        summary = self.summary()
        if path:
            with open(path, "w") as f:
                json.dump(summary, f)
        return summary

    def summary(self) -> dict:
        by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for ep, _t, dt in self.calls:
            by[ep][0] += 1
            by[ep][1] += dt
        return {"calls": len(self.calls), "seconds": sum(dt for _e, _t, dt in self.calls),
                "by_endpoint": {k: v for k, v in sorted(by.items(), key=lambda kv: -kv[1][1])},
                "containers": dict(self.by_container)}


STEP_PHASES = (
    ("create", "POST /containers/create", "POST /containers/create", 1, 2),
    ("create → start", "POST /containers/create", "POST /containers/{id}/start", 2, 1),
    ("start", "POST /containers/{id}/start", "POST /containers/{id}/start", 1, 2),
    ("start → exit seen (wait returns)", "POST /containers/{id}/start", "POST /containers/{id}/wait", 2, 2),
    ("exit seen → remove", "POST /containers/{id}/wait", "DELETE /containers/{id}", 2, 1),
    ("remove", "DELETE /containers/{id}", "DELETE /containers/{id}", 1, 2),
)


def step_timeline(containers: dict[str, list], slots: int) -> dict[str, float]:
    """Medians (s) of each phase of one step's container, from ApiTrace's per-container calls, and the
    gap from a container's exit to the next create: each create (after the first `slots`) against the
    `slots`-th latest exit seen before it (the exit that freed its slot), whatever runs in between
    (logs, outputs, remove, the engine's scheduling)."""
    import statistics
    phases: dict[str, list[float]] = defaultdict(list)
    spans = []
    for calls in containers.values():
        first: dict[str, tuple[float, float]] = {}
        for ep, t0, t1 in calls:
            first.setdefault(ep, (t0, t1))
        if "POST /containers/create" not in first or "DELETE /containers/{id}" not in first:
            continue  # not a step's container
        for label, a, b, ai, bi in STEP_PHASES:
            if a in first and b in first:
                phases[label].append(first[b][bi - 1] - first[a][ai - 1])
        if "POST /containers/{id}/wait" in first:
            spans.append((first["POST /containers/create"][0], first["POST /containers/{id}/wait"][1]))
    out = {k: statistics.median(v) for k, v in phases.items()}
    spans.sort()
    freed = sorted(end for _s, end in spans)  # exits, in time order
    gaps = [spans[i][0] - freed[i - slots] for i in range(slots, len(spans))]
    if gaps:
        out["exit → next create (scheduling gap)"] = statistics.median(gaps)
    out["steps"] = len(spans)
    return out


WAITS = ("acquire' of '_thread.lock", "get' of '_queue.SimpleQueue", "poll' of 'select.", "time.sleep", "wait' of", "select.select",
         "_thread.lock' objects>")


def top_functions(path: str, n: int = 12, sort: str = "cumulative", only: str | None = None,
                  no_waits: bool = False) -> list[dict]:
    """The top `n` entries of a dumped profile, as dicts (file:line function, ncalls, tottime, cumtime).

    no_waits leaves out a thread's idle waits (locks, epoll, sleep), which dominate self time.
    """
    st = pstats.Stats(path, stream=io.StringIO())
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        if only and only not in file:
            continue
        if no_waits and any(w in func for w in WAITS):
            continue
        short = file
        for marker in ("/localflow/", "/site-packages/", "/lib/python3"):
            if marker in file:
                short = file[file.index(marker) + 1:]
                break
        rows.append({"where": f"{short}:{line} {func}" if line else func, "ncalls": nc, "tottime": tt,
                     "cumtime": ct})
    key = "cumtime" if sort == "cumulative" else "tottime"
    rows.sort(key=lambda r: -r[key])
    return rows[:n]


def cumulative_of(path: str, wanted: list[tuple[str, str, str]]) -> list[tuple[str, int, float]]:
    """(label, calls, cumulative s) of named functions: wanted = [(label, file part, function name)]."""
    st = pstats.Stats(path, stream=io.StringIO())
    out = []
    for label, file_part, func_name in wanted:
        calls, cum = 0, 0.0
        for (file, _line, func), (_cc, nc, _tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            if func == func_name and file_part in file:
                calls += nc
                cum += ct
        out.append((label, calls, cum))
    return out


def importtime(cmd: list[str], env: dict | None = None) -> dict:
    """Run `cmd` (a python command) with -X importtime; self time by top-level package, total."""
    import subprocess
    e = dict(os.environ if env is None else env)
    e["PYTHONPROFILEIMPORTTIME"] = "1"
    p = subprocess.run(cmd, env=e, capture_output=True, text=True)
    by: dict[str, float] = defaultdict(float)
    total = 0.0
    top_level: list[tuple[str, float]] = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)", line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        by[name.split(".")[0]] += self_us / 1e6
        total += self_us / 1e6
        if len(indent) <= 3:
            top_level.append((name, cum_us / 1e6))
    return {"total_s": total, "by_package": dict(sorted(by.items(), key=lambda kv: -kv[1])),
            "top_level": sorted(top_level, key=lambda kv: -kv[1])}


# ---- figure 1's floors: one container from a Python process, with and without the docker SDK --------
_SDK_FLOOR = """
import sys, docker
c = docker.from_env(version="auto")
x = c.containers.create(sys.argv[1], entrypoint=["echo", "hi"], labels={sys.argv[2]: sys.argv[3]}, init=True,
                        name=sys.argv[4], hostname="floor")
x.start(); x.wait(); x.remove(force=True, v=True)
"""
_HTTP_FLOOR = """
import http.client, json, socket, sys
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); self.sock.connect(sys.argv[5])
conn = Unix("localhost")
def call(method, path, body=None):
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read()
    if r.status >= 400:
        sys.exit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data) if data else None
call("GET", f"/images/{sys.argv[1]}/json")
cid = call("POST", f"/containers/create?name={sys.argv[4]}", {"Image": sys.argv[1], "Entrypoint": ["echo", "hi"],
           "Hostname": "floor", "Labels": {sys.argv[2]: sys.argv[3]}, "HostConfig": {"Init": True}})["Id"]
call("POST", f"/containers/{cid}/start"); call("POST", f"/containers/{cid}/wait")
call("DELETE", f"/containers/{cid}?force=1&v=1")
"""


def floor_commands(python: str, image: str, label: str, value: str, name: str) -> dict[str, list[str]]:
    """What one container costs a Python process that does nothing else (import, create, start, wait,
    remove, whole process): with the docker SDK, and with the standard library's http.client over the
    local socket (only when the engine is the local socket: DOCKER_HOST unset or unix://)."""
    args = [image, label, value]
    cmds = {"sdk": [python, "-c", _SDK_FLOOR, *args, f"{name}-sdk"]}
    host = os.environ.get("DOCKER_HOST", "")
    if not host or host.startswith("unix://"):
        sock = host[len("unix://"):] if host else "/var/run/docker.sock"
        cmds["http"] = [python, "-c", _HTTP_FLOOR, *args, f"{name}-http", sock]
    return cmds


# ---- figure 3: the S3 side of an artifact, CPU and wall time, without Docker ---------------------------
def _tar_stream(size: int, chunk: int = 1 << 20) -> Callable[[], Iterator[bytes]]:
    """A Docker-like tar of one file of `size` random bytes, in 1 MiB chunks (as get_archive gives)."""
    import tarfile
    info = tarfile.TarInfo("data")
    info.size = size
    blob = info.tobuf(tarfile.PAX_FORMAT) + os.urandom(size) + b"\0" * (1024 + (-size % 512))
    view = memoryview(blob)
    return lambda: (bytes(view[i:i + chunk]) for i in range(0, len(view), chunk))


def _timed(fn: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def artifact_s3_side(mib: int = 256, rounds: int = 3) -> list[dict[str, float]]:
    """localflow's save_output/load_input beside raw put_object (16 MiB parts)/get_object, alternating,
    on a SeaweedFS of tests/s3server.py: wall and process CPU seconds of each, per round."""
    import sys
    repo_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:0] = [repo_dir, os.path.join(repo_dir, "tests"), os.path.dirname(os.path.abspath(__file__))]
    import tempfile

    import bench_workloads as W  # type: ignore[import-not-found]
    from s3server import start_s3_server  # type: ignore[import-not-found]

    from localflow.artifacts import transfer
    from localflow.artifacts.repository import S3Repository
    chunks = _tar_stream(mib << 20)
    server = start_s3_server(tempfile.mkdtemp(prefix="lf-s3side-"))
    try:
        repo = S3Repository(server.endpoint, server.access_key, server.secret_key, "s3side")
        repo.ensure_bucket()
        transfer.save_output(chunks(), repo, "warm", "data", "/tmp/data")  # the bucket's first volumes
        mc, out = repo.client, []
        key = transfer.output_key("wf/pod", "data", "/tmp/data")

        def lf(row: dict[str, float]) -> None:
            row["lf save"], row["lf save cpu"] = _timed(
                lambda: transfer.save_output(chunks(), repo, "wf/pod", "data", "/tmp/data"))
            row["lf load"], row["lf load cpu"] = _timed(
                lambda: [None for _ in transfer.load_input(repo, key, "/tmp/data").body()])

        def raw(row: dict[str, float]) -> None:
            reader = io.BufferedReader(W._ChunkReader(chunks()), buffer_size=1 << 20)
            row["raw put"], row["raw put cpu"] = _timed(
                lambda: mc.put_object("s3side", "raw/data.tar", reader, -1, part_size=16 << 20))
            row["raw get"], row["raw get cpu"] = _timed(
                lambda: [None for _ in mc.get_object("s3side", "raw/data.tar").stream(1 << 20)])

        for i in range(rounds):  # the order alternates: the first upload of a round is often slower
            row: dict[str, float] = {}
            for side in ((lf, raw) if i % 2 == 0 else (raw, lf)):
                side(row)
            out.append(row)
        return out
    finally:
        server.stop()


if __name__ == "__main__":  # python scripts/bench_profile.py [MiB] [rounds]
    import sys as _sys
    for _row in artifact_s3_side(*(int(a) for a in _sys.argv[1:3])):
        print("  ".join(f"{k} {v:.2f}s" for k, v in _row.items()))
