"""Commands over the run history: list, get, logs, watch, stop, terminate, suspend, resume, delete, gc,
resubmit, retry: one module-level function each, listed in COMMANDS (a sub-application that `register`
adds to the main app). Heavy modules are imported inside the commands so `localflow --help` stays fast.

Exit codes: 0 ok, 1 failure, 2 usage (an unknown run is `localflow: no run named "x"`, exit 2).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Annotated, Any

import typer

from localflow.timefmt import short_duration

from . import output as O

WAIT_SECONDS = 30.0
ACTIVE = ("Pending", "Running")


def _store() -> Any:
    from localflow.store.db import Store
    return Store()


def _mask_local_secrets() -> None:
    """Mask the values of local Secrets in what we print (containers may have echoed them)."""
    from localflow.store import secrets as S
    O.add_secrets(S.secret_values())


def _reap(store: Any) -> list[str]:
    """Error the runs whose localflow process has gone (cheap when nothing runs)."""
    if not store.orphans():
        return []
    from localflow.store.recorder import reap_orphans
    return reap_orphans(store)


def _age(ts: float | None, now: float) -> str:
    """`argo list`'s AGE: time since the run was created."""
    return "" if ts is None else short_duration(max(0.0, now - ts))


def _duration(row: dict, now: float) -> str:
    """`argo list`'s DURATION: from start to finish, or to now while the run is active."""
    if row.get("started") is None:
        return ""
    end = row.get("finished") or (now if row.get("phase") in ACTIVE else None)
    return short_duration(max(0.0, end - row["started"])) if end else ""


def _notices(row: dict) -> list[str]:
    return [m for _, m in (row.get("notices") or [])]


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
        store = _store()
        name = store.resolve(name)
        _reap(store)
        row = store.run_row(name)
        if row["phase"] not in ACTIVE:
            O.fail(f"run {name} is not running ({row['phase']})")
        started = time.monotonic()
        rid = store.add_request(name, kind, node=node, parameters=parameters)
        if not _wait_handled(store, name, rid, WAIT_SECONDS):
            row = store.run_row(name) or {}
            if row.get("phase") not in ACTIVE:
                _reap(store)
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
    buckets = set()
    for n in (wf.get("status") or {}).get("nodes", {}).values():
        for a in (n.get("outputs") or {}).get("artifacts") or []:
            s3 = a.get("s3") or {}
            if str(s3.get("key", "")).startswith(f"{run}/"):
                buckets.add(s3.get("bucket"))
    if not buckets:
        return 0, None
    try:
        from localflow.artifacts.config import repository_from_env
        repo = repository_from_env()
        if repo is None:
            from localflow.artifacts import server
            client = _docker_client()
            container = server.find_server(client) if client is not None else None
            if container is None or container.status != "running":
                return 0, "the artifact server is not running"
            endpoint = server.ensure_server(client)
            repos = [endpoint.repository(b) if b else endpoint.repository() for b in buckets]
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


def list_cmd(
    running: Annotated[bool, typer.Option("--running", help="only runs still going")] = False,
    completed: Annotated[bool, typer.Option("--completed", help="only finished runs")] = False,
    prefix: Annotated[str | None, typer.Option("--prefix", help="only names starting with this")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="json | name")] = None,
) -> None:
    """List recorded runs, newest first.

    Example: localflow list --running
    """
    if output not in (None, "json", "name"):
        O.usage(f"-o {output}: expected json or name")
    with O.user_errors():
        store = _store()
        _reap(store)
        rows = store.list_runs(prefix=prefix, running=running, completed=completed)
        if output == "name":
            for r in rows:
                O.out(r["name"])
            return
        if output == "json":
            docs = []
            for r in rows:
                with contextlib.suppress(Exception):
                    docs.append(store.get_run(r["name"]))
            O.out(json.dumps(docs, indent=2))
            return
        if not rows:
            O.err("No workflows found")
            return
        now = time.time()
        table = [("NAME", "STATUS", "AGE", "DURATION", "MESSAGE")]
        for r in rows:
            table.append((r["name"], r["phase"], _age(r["created"], now), _duration(r, now), r["message"] or ""))
        from .render import columns
        for line in columns(table, "   "):
            O.out(line)


def get_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="json | yaml | wide")] = None,
) -> None:
    """Show a run: its status and the tree of its nodes, as `argo get`.

    Example: localflow get @latest -o wide
    """
    if output not in (None, "json", "yaml", "wide"):
        O.usage(f"-o {output}: expected json, yaml or wide")
    with O.user_errors():
        store = _store()
        _reap(store)
        wf = store.get_run(name)
        row = store.run_row(wf["metadata"]["name"]) or {}
        _mask_local_secrets()
        now = time.time()
        if output == "json":
            O.out(json.dumps(wf, indent=2))
        elif output == "yaml":
            import yaml
            O.out(yaml.safe_dump(wf, sort_keys=False).rstrip("\n"))
        elif output == "wide":
            from .render import wide_get
            O.out(wide_get(wf, now))
        else:
            from .render import plain_get
            O.out(plain_get(wf, now))
        if output in (None, "wide") and _notices(row):
            O.out("")
            O.out("Notices:")
            for m in _notices(row):
                O.out(f"  {m}")


def logs_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    node: Annotated[str | None, typer.Argument(help="a node's display name, name or id (pod name)")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing until the run finishes")] = False,
    container: Annotated[str, typer.Option("--container", "-c",
                                           help="container name; 'all' for every one")] = "main",
    since: Annotated[str | None, typer.Option("--since",
                                              help="only newer lines: 10m, 1h, or an RFC3339 time")] = None,
    timestamps: Annotated[bool, typer.Option("--timestamps", help="show each line's time")] = False,
    no_prefix: Annotated[bool, typer.Option("--no-prefix",
                                            help="do not prefix lines with the step's name")] = False,
) -> None:
    """Print a run's container logs, each line prefixed by its step's name.

    Example: localflow logs @latest -f --since 10m
    """
    from localflow.store import logs as L
    with O.user_errors():
        store = _store()
        run = store.resolve(name)
        _mask_local_secrets()
        cutoff = None
        if since:
            try:
                cutoff = L.parse_since(since)
            except ValueError as e:
                O.usage(f"--since {e}")
        nodes = store.nodes(run)
        if node is not None and not any(node in (n.get("displayName"), n.get("name"), nid)
                                        for nid, n in nodes.items()):
            O.usage(f'run {run} has no node "{node}"')
        cont = None if container in ("all", "*") else container
        colours: dict[str, str] = {}
        base = store.path.parent

        def show(display: str, c: str, text: str, stamp: str = "") -> None:
            if timestamps and stamp:
                text = f"{stamp} {text}"
            if no_prefix:
                O.out(text)
                return
            col = colours.setdefault(display, O.PALETTE[len(colours) % len(O.PALETTE)])
            who = display if c in ("main", "init", "wait") else f"{display}[{c}]"
            O.out(f"{O.colour(who, col)}: {text}")

        if follow:
            for display, c, text in L.follow(run, node, cont, cutoff, store=store, base=base):
                show(display, c, text)
            _reap(store)
        else:
            for stamp, display, c, text in L.read_records(run, node, cont, cutoff, nodes=nodes, base=base):
                show(display, c, text, stamp)


def watch_cmd(
    name: Annotated[str, typer.Argument(help="run name, or @latest")],
    interval: Annotated[float, typer.Option("--interval", help="seconds between refreshes")] = 1.0,
) -> None:
    """Show a run's tree, refreshed until the run completes. Exit 0 if it Succeeded, else 1.

    Example: localflow watch @latest
    """
    from .render import plain_get
    with O.user_errors():
        store = _store()
        run = store.resolve(name)
        _mask_local_secrets()

        def snapshot() -> dict:
            _reap(store)
            return store.get_run(run)

        wf = snapshot()
        if O.is_tty():
            from rich.console import Console
            from rich.live import Live
            from rich.text import Text
            def view(w: dict) -> Text:
                return Text(O.mask(plain_get(w, time.time())), no_wrap=True, overflow="ellipsis")

            with Live(view(wf), console=Console(), auto_refresh=False) as live:
                while wf["status"]["phase"] in ACTIVE:
                    time.sleep(interval)
                    wf = snapshot()
                    live.update(view(wf), refresh=True)
        else:
            def signature(w: dict) -> Any:
                st = w["status"]
                return st["phase"], sorted((k, n.get("phase"), n.get("message")) for k, n in st["nodes"].items())

            O.out(plain_get(wf, time.time()))
            last = signature(wf)
            while wf["status"]["phase"] in ACTIVE:
                time.sleep(interval)
                wf = snapshot()
                if signature(wf) != last:
                    last = signature(wf)
                    O.out("")
                    O.out(plain_get(wf, time.time()))
        raise typer.Exit(0 if wf["status"]["phase"] == "Succeeded" else 1)


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
        store = _store()
        _reap(store)
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
        store = _store()
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
        store = _store()
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
        store = _store()
        _reap(store)
        run = store.resolve(name)
        row = store.run_row(run)
        if row["phase"] not in ("Failed", "Error"):
            O.fail(f"run {run} is {row['phase']}: only Failed or Error runs can be retried")
        row["workflow"] = store.get_run(run)
        try:
            from localflow.cli.submit import retry_run
        except ImportError:
            O.fail("retry is not available in this build")
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
