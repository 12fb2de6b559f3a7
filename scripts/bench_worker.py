"""One measurement of localflow in a fresh process, for scripts/bench.py; prints one JSON line.

    python scripts/bench_worker.py engine dag|items N [--profile OUT] [--validate 1]
        the engine alone on the fake runtime (FakeRuntime + FakeClock): WorkflowRun + execute();
        loading (and, with --validate 1, validation) timed apart
    python scripts/bench_worker.py docker FILE RUN_NAME [--profile OUT] [--trace-api OUT] [--memory OUT]
        WorkflowRun on the Docker runtime in this process (no CLI, no history): what the engine
        and runtime cost without Python start-up, loading or the store
    python scripts/bench_worker.py history dag|items N RUN_NAME
        the engine on the fake runtime recorded into the history ($LOCALFLOW_HOME) as `submit` records
        it, for `localflow get` of a large run
    python scripts/bench_worker.py fill-runs N FROM_RUN
        N more runs in the history, copies of run FROM_RUN's row (for `localflow list`)

Timing excludes Python start-up and imports; `rss_peak_mb` is the process's peak RSS
(getrusage), `rss_before_mb` its RSS just before the timed part.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_profile as P  # noqa: E402
import bench_workloads as W  # noqa: E402


def _status_mb(key: str) -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_now_mb() -> float:
    return _status_mb("VmRSS")


def rss_peak_mb() -> float:
    """VmHWM: this process's own peak (getrusage's ru_maxrss also counts the parent's, see bench.run_timed)."""
    return _status_mb("VmHWM")


def engine(kind: str, n: int, profile: str | None, validate: bool) -> dict:
    import yaml

    from localflow.engine.run import WorkflowRun
    from localflow.runtime.fake import FakeClock, FakeRuntime
    from localflow.spec.load import load_text
    from localflow.spec.validate import validate_workflow

    class _Discard(list):
        def append(self, _x: object) -> None:  # the fake keeps every PodSpec for tests; the bench does not
            pass

    doc = W.dag_doc(n) if kind == "dag" else W.items_doc(n)
    text = yaml.safe_dump(doc, sort_keys=False, width=1000)
    t0 = time.perf_counter()
    bundle = load_text(text, f"{kind}.yaml")
    t1 = time.perf_counter()
    wf = bundle.workflows[0]
    if validate:
        validate_workflow(wf, file=f"{kind}.yaml", templates=bundle)
    t2 = time.perf_counter()
    del text, doc
    clock = FakeClock()
    rt = FakeRuntime(clock)
    rt.pods, rt.order = _Discard(), _Discard()
    before = rss_now_mb()
    prof = P.Profiler(threads=False) if profile else None
    t3, c3 = time.perf_counter(), time.process_time()
    if prof:
        prof.start()
    run = WorkflowRun(wf, runtime=rt, templates=bundle, clock=clock, name="bench")
    phase = asyncio.run(run.execute())
    if prof:
        prof.stop(profile)
    t4, c4 = time.perf_counter(), time.process_time()
    return {"kind": kind, "n": n, "phase": phase, "nodes": len(run.nodes), "load_s": t1 - t0,
            "validate_s": (t2 - t1) if validate else None, "engine_s": t4 - t3, "engine_cpu_s": c4 - c3, "rss_before_mb": before, "rss_peak_mb": rss_peak_mb()}


def history(kind: str, n: int, name: str) -> dict:
    import yaml

    from localflow.engine.run import WorkflowRun
    from localflow.runtime.fake import FakeClock, FakeRuntime
    from localflow.spec.load import load_text
    from localflow.store.db import Store
    from localflow.store.recorder import Recorder

    doc = W.dag_doc(n) if kind == "dag" else W.items_doc(n)
    bundle = load_text(yaml.safe_dump(doc, sort_keys=False, width=1000), f"{kind}.yaml")
    clock = FakeClock()
    rt = FakeRuntime(clock)
    store = Store()
    rec = Recorder(store, None, f"{kind}.yaml", ["submit", f"{kind}.yaml"])
    rec.log = lambda *_a: None  # the fake's log lines would be one file per pod: not what `get` reads
    t0 = time.perf_counter()
    run = WorkflowRun(bundle.workflows[0], runtime=rt, templates=bundle, clock=clock, name=name, events=rec)
    rec.started(run)
    phase = asyncio.run(run.execute())
    t1 = time.perf_counter()
    rec.finished(run)
    rec.close()
    t2 = time.perf_counter()
    return {"kind": kind, "n": n, "phase": phase, "nodes": len(run.nodes), "engine_s": t1 - t0, "record_s": t2 - t1,
            "rss_peak_mb": rss_peak_mb()}


def fill_runs(n: int, source: str) -> dict:
    """Copies of one run's row under new names, one transaction (what n earlier runs leave in `runs`)."""
    from localflow.store.db import RUN_COLUMNS, Store
    store = Store()
    row = store.conn.execute("SELECT * FROM runs WHERE name = ?", (source,)).fetchone()
    cols = ("name",) + RUN_COLUMNS
    values = [row[c] for c in cols]
    t0 = time.perf_counter()
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         ([f"{source}-{i}", *values[1:3], values[3] - n + i, *values[4:]] for i in range(n)))
    return {"phase": "Succeeded", "runs": n, "insert_s": time.perf_counter() - t0}


def docker(file: str, name: str, profile: str | None, trace: str | None, memory: str | None = None) -> dict:
    from localflow.cli.submit import SubmitOptions, load_workflow, uses_artifacts
    from localflow.engine.run import RunOptions, WorkflowRun
    from localflow.runtime.docker_runtime import DockerRuntime, connect

    t0 = time.perf_counter()
    wf, bundle, params, _ = load_workflow(SubmitOptions(file=file))
    t1 = time.perf_counter()
    runtime = DockerRuntime(connect())
    store = None
    if uses_artifacts(wf):
        try:  # as `submit` does: the local server handed in by the CLI
            from localflow.artifacts import run_store as S
            from localflow.cli.artifact_server import local_repository
            store = S.store_for_run(lambda: local_repository(runtime.client), None, {}, None, lambda m: None)
        except ImportError:  # a checkout from before issue 13's artifact port
            from localflow.artifacts import store as S  # type: ignore[no-redef]
            store = S.store_for_run(runtime.client, None, {}, None, lambda m: None)
    tracer = P.ApiTrace() if trace else None
    prof = P.Profiler(threads=True) if profile else None
    mem = P.MemorySampler() if memory else None
    before = rss_now_mb()
    t2 = time.perf_counter()
    if mem:
        mem.start()
    if tracer:
        tracer.start()
    if prof:
        prof.start()
    try:
        run = WorkflowRun(wf, runtime=runtime, artifacts=store, templates=bundle, parameters=params, name=name,
                          options=RunOptions())
        phase = asyncio.run(run.execute())
    finally:
        t3 = time.perf_counter()
        runtime.pool.shutdown(wait=True)
        if prof:
            prof.stop(profile)
        if tracer:
            tracer.stop(trace)
        if mem:
            mem.stop(memory)
        runtime.close()
    pods = sum(1 for n in run.nodes.values() if n.type == "Pod")
    return {"file": file, "phase": phase, "message": run.message, "pods": pods, "load_s": t1 - t0,
            "run_s": t3 - t2, "rss_before_mb": before, "rss_peak_mb": rss_peak_mb()}


def main(argv: list[str]) -> int:
    opts = {}
    args = []
    it = iter(argv)
    for a in it:
        if a.startswith("--"):
            opts[a[2:]] = next(it)
        else:
            args.append(a)
    if args[0] == "engine":
        out = engine(args[1], int(args[2]), opts.get("profile"), opts.get("validate") == "1")
    elif args[0] == "history":
        out = history(args[1], int(args[2]), args[3])
    elif args[0] == "fill-runs":
        out = fill_runs(int(args[1]), args[2])
    elif args[0] == "docker":
        out = docker(args[1], args[2], opts.get("profile"), opts.get("trace-api"), opts.get("memory"))
    else:
        raise SystemExit(f"unknown mode {args[0]!r}")
    import localflow
    out["localflow"] = os.path.dirname(localflow.__file__)
    print(json.dumps(out), flush=True)
    return 0 if out.get("phase") == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
