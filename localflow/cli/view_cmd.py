"""Commands that read the run history: list, get, logs, watch (`argo list/get/logs/watch`), and what
the commands over runs share (`open_store`, `reap`, `mask_local_secrets`, ACTIVE). cli/history.py
adds them to the app with its own (stop, ..., retry). Heavy modules are imported inside the commands
so `localflow --help` stays fast.

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

ACTIVE = ("Pending", "Running")


def open_store() -> Any:
    from localflow.store.db import Store
    return Store()


def mask_local_secrets() -> None:
    """Mask the values of local Secrets in what we print (containers may have echoed them)."""
    from localflow.store import secrets as S
    O.add_secrets(S.secret_values())


def reap(store: Any) -> list[str]:
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
        store = open_store()
        reap(store)
        shown = None if output == "json" else ("phase", "message", "created", "started", "finished")
        rows = store.list_runs(prefix=prefix, running=running, completed=completed, columns=shown)
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
        O.out("\n".join(columns(table, "   ")))


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
        store = open_store()
        reap(store)
        wf = store.get_run(name, tree_only=output in (None, "wide"))
        mask_local_secrets()
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
        notices = store.notices(wf["metadata"]["name"]) if output in (None, "wide") else []
        if notices:
            O.out("")
            O.out("Notices:")
            for m in notices:
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
        store = open_store()
        run = store.resolve(name)
        mask_local_secrets()
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
            reap(store)
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
        store = open_store()
        run = store.resolve(name)
        mask_local_secrets()

        def snapshot() -> dict:
            reap(store)
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
