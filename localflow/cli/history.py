"""Commands that act on recorded runs: stop, terminate, suspend, resume (requests that the run's
localflow process acts on), delete, gc, resubmit, retry. `register` adds them, after view_cmd's list,
get, logs and watch, to the main app: one module-level function each, listed in COMMANDS. Heavy
modules are imported inside the commands so `localflow --help` stays fast.

Exit codes: 0 ok, 1 failure, 2 usage (an unknown run is `localflow: no run named "x"`, exit 2).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from . import output as O
from .view_cmd import ACTIVE, get_cmd, list_cmd, logs_cmd, open_store, reap, watch_cmd

WAIT_SECONDS = 30.0


def _split_pairs(pairs: list[str], flag: str) -> dict[str, str]:
    out = {}
    for p in pairs:
        if "=" not in p:
            O.usage(f"{flag} {p!r}: expected NAME=VALUE")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


def _wait_handled(store: Any, run: str, request_id: int, timeout: float) -> bool:
    from localflow.store.db import pid_alive
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        req = store.request(request_id)
        if req is None or req.get("handled") is not None:
            return True
        row = store.run_row(run)
        if row is None or row["phase"] not in ACTIVE:
            return False
        if row.get("pid") and row.get("host") == _hostname() and not pid_alive(row["pid"], row.get("pid_start")):
            return False
        time.sleep(0.2)
    return False


def _hostname() -> str:
    import socket
    return socket.gethostname()


def _request(name: str, kind: str, node: str | None = None, parameters: dict | None = None,
             wait_done: bool = False) -> None:
    """Queue a request for the run's localflow process and wait (max 30 s) until it acts on it."""
    with O.user_errors():
        store = open_store()
        name = store.resolve(name)
        reap(store)
        row = store.run_row(name)
        if row["phase"] not in ACTIVE:
            O.fail(f"run {name} is not running ({row['phase']})")
        started = time.monotonic()
        rid = store.add_request(name, kind, node=node, parameters=parameters)
        if not _wait_handled(store, name, rid, WAIT_SECONDS):
            row = store.run_row(name) or {}
            if row.get("phase") not in ACTIVE:
                reap(store)
                row = store.run_row(name) or {}
                O.out(f"workflow {name} has finished meanwhile ({row.get('phase', 'deleted')})")
                return
            O.fail(f"run {name} did not take the {kind} request within {int(WAIT_SECONDS)}s "
                  "(it stays queued)")
        result = (store.request(rid) or {}).get("result")
        if result:
            O.fail(f"{kind} {name}: {result}")
        verb = {"stop": "stopped", "terminate": "terminated", "suspend": "suspended", "resume": "resumed"}[kind]
        O.out(f"workflow {name} {verb}")
        if wait_done:
            left = WAIT_SECONDS - (time.monotonic() - started)
            deadline = time.monotonic() + max(0.0, left)
            while time.monotonic() < deadline and store.phase(name) in ACTIVE:
                time.sleep(0.2)
            phase = store.phase(name)
            if phase not in ACTIVE:
                O.out(f"workflow {name} {phase}")


def _docker_client() -> Any:
    from localflow.store.recorder import connect_docker
    return connect_docker()


def _delete_artifacts(wf: dict, run: str) -> tuple[int, str | None]:
    """Delete the objects localflow stored under the run's default key prefix `<run>/`."""
    from localflow.report.common import output_artifacts
    locations = [a.get("s3") or {} for _node, a in output_artifacts(wf)]
    buckets = {s3.get("bucket") for s3 in locations if str(s3.get("key", "")).startswith(f"{run}/")}
    if not buckets:
        return 0, None
    try:
        from localflow.artifacts.config import repository_from_env
        repo = repository_from_env()
        if repo is None:
            from localflow.artifacts.server import repository
            from localflow.cli.artifact_server import ensure
            from localflow.runtime.artifact_server import find_server
            client = _docker_client()
            container = find_server(client) if client is not None else None
            if container is None or container.status != "running":
                return 0, "the artifact server is not running"
            endpoint = ensure(client)
            repos = [repository(endpoint, b) for b in buckets]
        else:
            repos = [repo]
        return sum(r.delete_prefix(f"{run}/") for r in repos), None
    except Exception as e:  # noqa: BLE001 - report and go on with the rest of the deletion
        return 0, str(e).splitlines()[0] if str(e) else type(e).__name__


def _submit_argv(row: dict, extra_params: list[str]) -> list[str]:
    """The stored `submit ...` arguments, without --name (a new run gets a new name)."""
    argv = list(row.get("argv") or [])
    if not argv or argv[0] != "submit":
        argv = ["submit", row["file"]] if row.get("file") else []
        if not argv:
            return []
        if row.get("entrypoint"):
            argv += ["--entrypoint", row["entrypoint"]]
        for p in row.get("parameters") or []:
            argv += ["-p", f"{p['name']}={p.get('value', '')}"]
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--name":
            skip = True
            continue
        if a.startswith("--name="):
            continue
        out.append(a)
    for p in extra_params:
        out += ["-p", p]
    return out


def _run_child(cmd: list[str], cwd: str | None) -> int:
    import signal
    import subprocess
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child handles Ctrl-C itself
    try:
        return subprocess.call(cmd, cwd=cwd)
    finally:
        signal.signal(signal.SIGINT, old)


def stop_cmd(name: Annotated[str, typer.Argument(help="run name, or @latest")]) -> None:
    """Stop a run: no new steps start, running ones are stopped, exit handlers still run.

    Example: localflow stop @latest
    """
    _request(name, "stop", wait_done=True)


def terminate_cmd(name: Annotated[str, typer.Argument(help="run name, or @latest")]) -> None:
    """Terminate a run at once: running steps are killed and exit handlers do not run.

    Example: localflow terminate my-wf-x7k2p
    """
    _request(name, "terminate", wait_done=True)


def suspend_cmd(name: Annotated[str, typer.Argument(help="run name, or @latest")]) -> None:
    """Suspend a run: steps already running go on, no new ones start until `resume`.

    Example: localflow suspend @latest
    """
    _request(name, "suspend")


def resume_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    node: Annotated[str | None, typer.Option(
        "--node", help="only this suspended node (display name, name or id)")] = None,
    parameter: Annotated[list[str] | None, typer.Option(
        "--parameter", "-p", help="NAME=VALUE: an output parameter of the suspend node")] = None,
) -> None:
    """Resume a suspended run, or one suspended node, optionally supplying its output parameters.

    Example: localflow resume @latest --node approve -p approved=yes
    """
    params = _split_pairs(parameter or [], "--parameter")
    _request(name, "resume", node=node, parameters=params)


def delete_cmd(
    name: Annotated[str | None, typer.Argument(help="run name, or @latest")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every run (running ones are left, with an error)")] = False,
    completed: Annotated[bool, typer.Option("--completed", help="every finished run")] = False,
) -> None:
    """Delete runs from the history: their rows, log files, Docker leftovers and default-keyed artifacts.

    Example: localflow delete --completed
    """
    if sum(bool(x) for x in (name, all_, completed)) != 1:
        O.usage("delete: give one run NAME, or --all, or --completed")
    from localflow.store import logs as L
    from localflow.store.db import pid_alive
    with O.user_errors():
        store = open_store()
        reap(store)
        if name:
            names = [store.resolve(name)]
        else:
            names = [r["name"] for r in store.list_runs(completed=completed)]
        client: Any = None
        client_tried = False
        code = 0
        for run in names:
            row = store.run_row(run)
            if row is None:
                continue
            if row["phase"] in ACTIVE and (row.get("host") != _hostname()
                                           or pid_alive(row.get("pid") or 0, row.get("pid_start"))):
                O.err(f"localflow: run {run} is running: stop or terminate it first")
                code = 1
                continue
            wf = store.get_run(run)
            if not client_tried:
                client, client_tried = _docker_client(), True
            if client is not None:
                from localflow.store.recorder import remove_docker_objects
                remove_docker_objects(client, run)
            _, problem = _delete_artifacts(wf, run)
            if problem:
                O.err(f"localflow: {run}: artifacts kept ({problem})")
            store.delete_run(run)
            L.remove(run, base=store.path.parent)
            O.out(f"Workflow '{run}' deleted")
        if not names and not name:
            O.err("No workflows to delete")
        raise typer.Exit(code)


def gc_cmd() -> None:
    """Mark runs whose localflow process has died as Error and remove their Docker leftovers.

    Example: localflow gc
    """
    with O.user_errors():
        store = open_store()
        from localflow.store.recorder import reap_orphans
        reaped = reap_orphans(store)
        for r in reaped:
            O.out(f"Workflow '{r}' marked Error: its localflow process has gone")
        from localflow.runtime import labels
        from localflow.store.recorder import connect_docker
        client = connect_docker()
        cleaned = labels.leftover_runs(client) if client is not None else []
        for r in cleaned:
            counts = labels.remove_run_objects(client, r)
            O.out(f"removed what run '{r}' left: {counts['containers']} containers, "
                  f"{counts['networks']} networks, {counts['volumes']} volumes")
        if not reaped and not cleaned:
            O.out("nothing to clean")


def resubmit_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    parameter: Annotated[list[str] | None, typer.Option(
        "--parameter", "-p", help="NAME=VALUE, overrides the stored one")] = None,
) -> None:
    """Run the same workflow again (same file, parameters and options; a new name), in the foreground.

    Example: localflow resubmit @latest -p message=again
    """
    import os
    import sys
    _split_pairs(parameter or [], "--parameter")
    with O.user_errors():
        store = open_store()
        row = store.run_row(store.resolve(name))
        argv = _submit_argv(row, parameter or [])
        if not argv:
            O.fail(f"run {row['name']} has no stored command line to resubmit")
        cwd = row.get("cwd")
        if cwd and not os.path.isdir(cwd):
            cwd = None
        raise typer.Exit(_run_child([sys.executable, "-m", "localflow", *argv], cwd))


def retry_cmd(name: Annotated[str, typer.Argument(help="run name, or @latest")]) -> None:
    """Run a Failed or Errored run again, re-running only what failed and reusing what Succeeded.

    Example: localflow retry @latest
    """
    with O.user_errors():
        store = open_store()
        reap(store)
        run = store.resolve(name)
        row = store.run_row(run)
        if row["phase"] not in ("Failed", "Error"):
            O.fail(f"run {run} is {row['phase']}: only Failed or Error runs can be retried")
        row["workflow"] = store.get_run(run)
        from localflow.cli.submit import retry_run
        raise typer.Exit(retry_run(row))


# the sub-application: command name -> function (typer reads each function's signature and docstring)
COMMANDS = {
    "list": list_cmd,
    "get": get_cmd,
    "logs": logs_cmd,
    "watch": watch_cmd,
    "stop": stop_cmd,
    "terminate": terminate_cmd,
    "suspend": suspend_cmd,
    "resume": resume_cmd,
    "delete": delete_cmd,
    "gc": gc_cmd,
    "resubmit": resubmit_cmd,
    "retry": retry_cmd,
}


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS.items():
        app.command(name)(command)
