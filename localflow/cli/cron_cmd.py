"""`localflow cron create|list|get|delete|suspend|resume|lint` as `argo cron` (output shapes of
cmd/argo/commands/cron), over CronWorkflows installed under $LOCALFLOW_HOME, and `localflow cron run`:
a foreground scheduler (cron_scheduler.py) that starts each due run as `localflow submit --from
cronwf/NAME` in a process of its own, recorded in the history.

(No `from __future__ import annotations`: typer reads the Annotated help texts at definition.)
"""

import datetime
import json
from typing import Annotated, Any

import typer

from . import output as O

KIND = "CronWorkflow"


def _schedules(spec: dict[str, Any]) -> str:
    return ",".join(spec.get("schedules") or [])


def _next(spec: dict[str, Any]) -> datetime.datetime | None:
    from localflow.spec.cron import next_time
    try:
        return next_time(spec.get("schedules") or [], spec.get("timezone"), datetime.datetime.now(datetime.timezone.utc))
    except ValueError:
        return None


def describe(doc: dict[str, Any]) -> str:
    """argo cron get's text (getCronWorkflowGet: `%-30s %v` lines)."""
    from .template_cmd import humanize_timestamp
    meta, spec, status = doc.get("metadata") or {}, doc.get("spec") or {}, doc.get("status") or {}
    rows = [("Name:", meta.get("name", "")), ("Namespace:", meta.get("namespace", "default")),
            ("Created:", humanize_timestamp(meta.get("creationTimestamp"))), ("Schedules:", _schedules(spec)),
            ("Suspended:", "true" if spec.get("suspend") else "false")]
    if spec.get("timezone"):
        rows.append(("Timezone:", spec["timezone"]))
    if spec.get("startingDeadlineSeconds") is not None:
        rows.append(("StartingDeadlineSeconds:", spec["startingDeadlineSeconds"]))
    if spec.get("concurrencyPolicy"):
        rows.append(("ConcurrencyPolicy:", spec["concurrencyPolicy"]))
    if status.get("lastScheduledTime"):
        rows.append(("LastScheduledTime:", humanize_timestamp(status["lastScheduledTime"])))
    nxt = _next(spec)
    if nxt is not None:
        rows.append(("NextScheduledTime:", humanize_timestamp(nxt.astimezone(datetime.timezone.utc)
                                                              .strftime("%Y-%m-%dT%H:%M:%SZ"))
                                          + " (assumes workflow-controller is in UTC)"))
    if status.get("active"):
        rows.append(("Active Workflows:", ", ".join(a["name"] for a in status["active"])))
    params = [p for p in ((spec.get("workflowSpec") or {}).get("arguments") or {}).get("parameters") or []
              if "value" in p]
    if params:
        rows.append(("Workflow Parameters:", ""))
        rows += [(f"  {p['name']}:", p["value"]) for p in params]
    return "\n".join(f"{k:<30} {v}" for k, v in rows)


def print_cron(doc: dict[str, Any], output: str | None) -> None:
    if output in (None, "", "wide"):
        O.out(describe(doc))
        return
    from .template_cmd import print_template
    print_template(doc, output)


def _relative_short(seconds: float) -> str:
    """argo's humanize.RelativeDurationShort: 5s, 3m, 2h, 4d."""
    s = int(abs(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def list_table() -> list[str]:
    from localflow.store import templates as T

    from .cron_scheduler import parse_iso
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [("NAME", "AGE", "LAST RUN", "NEXT RUN", "SCHEDULES", "TIMEZONE", "SUSPENDED")]
    for name in T.names(KIND):
        doc = T.get(KIND, name) or {}
        spec, status = doc.get("spec") or {}, doc.get("status") or {}
        created = parse_iso((doc.get("metadata") or {}).get("creationTimestamp")) or now
        last = parse_iso(status.get("lastScheduledTime"))
        nxt = _next(spec)
        rows.append((name, _relative_short((now - created).total_seconds()),
                     _relative_short((now - last).total_seconds()) if last else "N/A",
                     _relative_short((nxt - now).total_seconds()) if nxt else "N/A",
                     _schedules(spec), spec.get("timezone") or "", "true" if spec.get("suspend") else "false"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]  # Go's tabwriter, padding 3


def _set_suspend(names: list[str], suspend: bool) -> None:
    from localflow.store import templates as T

    from .template_cmd import for_each_stored

    def change(name: str, doc: dict[str, Any]) -> None:
        doc.setdefault("spec", {})["suspend"] = suspend
        T.save(doc)
        O.out(f"CronWorkflow '{name}' {'suspended' if suspend else 'resumed'}")
    for_each_stored(KIND, names, change)


group = typer.Typer(help="Manage cron workflows (kept under $LOCALFLOW_HOME), as argo cron; `cron run` schedules them.",
                    no_args_is_help=True, rich_markup_mode=None)


@group.command("create")
def create_cmd(
    files: Annotated[list[str], typer.Argument(help="YAML or JSON files; - for stdin")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="name | json | yaml | wide")] = None,
    strict: Annotated[bool, typer.Option("--strict/--no-strict", help="reject unknown fields")] = True,
) -> None:
    """Install cron workflows from files (validated first); `localflow cron run` schedules them.

    Example: localflow cron create cron-workflow.yaml
    """
    from .template_cmd import create
    create(KIND, files, output, strict, printer=print_cron)


@group.command("list")
def list_cmd(output: Annotated[str | None, typer.Option("--output", "-o", help="wide | name")] = None) -> None:
    """List the installed cron workflows.

    Example: localflow cron list
    """
    from localflow.store import templates as T
    if output == "name":
        for n in T.names(KIND):
            O.out(n)
        return
    for line in list_table():
        O.out(line)


@group.command("get")
def get_cmd(
    names: Annotated[list[str], typer.Argument(help="cron workflow names")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="name | json | yaml | wide")] = None,
) -> None:
    """Display details about installed cron workflows.

    Example: localflow cron get hello-world
    """
    from .template_cmd import for_each_stored
    for_each_stored(KIND, names, lambda name, doc: print_cron(doc, output))


@group.command("delete")
def delete_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="cron workflow names")] = None,
    all_: Annotated[bool, typer.Option("--all", help="delete all cron workflows")] = False,
) -> None:
    """Delete installed cron workflows (their runs stay in the history).

    Example: localflow cron delete hello-world
    """
    from localflow.store import templates as T

    from .resources_cmd import delete_each
    targets = T.names(KIND) if all_ else list(names or [])
    if not targets and not all_:
        O.err("localflow: give the names of the cron workflows to delete, or --all")
        raise typer.Exit(2)
    delete_each(targets, lambda n: T.delete(KIND, n), "CronWorkflow '{name}' deleted",
                'CronWorkflow "{name}" not found')


@group.command("suspend")
def suspend_cmd(names: Annotated[list[str], typer.Argument(help="cron workflow names")]) -> None:
    """Suspend cron workflows: `cron run` starts no more runs of them.

    Example: localflow cron suspend hello-world
    """
    _set_suspend(names, True)


@group.command("resume")
def resume_cmd(names: Annotated[list[str], typer.Argument(help="cron workflow names")]) -> None:
    """Resume suspended cron workflows.

    Example: localflow cron resume hello-world
    """
    _set_suspend(names, False)


@group.command("lint")
def lint_cmd(
    files: Annotated[list[str], typer.Argument(help="files or folders to check")],
    strict: Annotated[bool, typer.Option("--strict/--no-strict", help="reject unknown fields")] = True,
) -> None:
    """Validate cron workflow files without installing them.

    Example: localflow cron lint cron-workflow.yaml
    """
    from .main import _lint
    raise typer.Exit(_lint(files, [], strict))


@group.command("run")
def run_cmd(
    names: Annotated[list[str] | None, typer.Argument(help="cron workflows to schedule (default: all)")] = None,
) -> None:
    """Schedule installed cron workflows in the foreground until Ctrl-C: each due run starts as
    `localflow submit --from cronwf/NAME` and is recorded in the history.

    Example: localflow cron run hello-world
    """
    from .cron_run import run_forever
    raise typer.Exit(run_forever(list(names or [])))


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="cron", help="Manage and schedule cron workflows (as argo cron).")
