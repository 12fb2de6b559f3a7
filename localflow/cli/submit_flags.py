"""`localflow submit`'s options (the one table: main.py builds the typer command from it, and reads plain
arguments with it without typer), and argo submit's flags that change the workflow object:
`-n/--namespace`, `--serviceaccount`, `--generate-name`, `-l/--labels`, `--priority`
(cmd/argo/commands/submit.go sets the same fields), and `--from cronwf/NAME`."""

from __future__ import annotations

from typing import Any

from localflow.errors import SpecError

FILE_HELP = "Workflow YAML (multi-document files too); none with --from"
# (parameter, flags, kind, help); kind: "str" (None when absent), "list" (repeatable), "bool" (a flag),
# "strict" (--strict/--no-strict, on by default)
OPTIONS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("parameter", ("--parameter", "-p"), "list", "NAME=VALUE, repeatable"),
    ("parameter_file", ("--parameter-file", "-f"), "str", "YAML or JSON parameters"),
    ("entrypoint", ("--entrypoint", "-e"), "str", "run this template instead"),
    ("name", ("--name",), "str", "the run's name (default: generateName + 5 chars)"),
    ("output", ("--output", "-o"), "str", "json | yaml | name"),
    ("templates", ("--templates",), "list", "WorkflowTemplate files or folders"),
    ("input_artifact", ("--input-artifact",), "list", "NAME=PATH: feed a local file/folder"),
    ("from_ref", ("--from",), "str", "workflowtemplate/NAME or cronwf/NAME (installed, or from --templates / "
                                     "the file)"),
    ("keep", ("--keep",), "bool", "keep the run's containers, networks and volumes"),
    ("quiet", ("--quiet", "-q"), "bool", "do not stream logs"),
    ("detach", ("--detach", "-d"), "bool", "run in a background process; print its name"),
    ("wait", ("--wait", "-w"), "bool", "with --detach: wait for the run to finish"),
    ("junit", ("--junit",), "str", "write JUnit XML (one testcase per step) here"),
    ("strict", ("--strict/--no-strict",), "strict", "reject unknown fields (argo's default); --strict=false "
                                                    "ignores them with a notice"),
    ("namespace", ("--namespace", "-n"), "str", "sets workflow.namespace"),
    ("service_account", ("--serviceaccount",), "str", "sets spec.serviceAccountName"),
    ("generate_name", ("--generate-name",), "str", "metadata.generateName of the run"),
    ("labels", ("--labels", "-l"), "str", "K=V,K2=V2: labels added to the run"),
    ("priority", ("--priority",), "str", "spec.priority (accepted, as argo)"),
    ("watch", ("--watch",), "bool", "accepted for argo scripts (localflow watches anyway)"),
    ("log", ("--log",), "bool", "accepted for argo scripts (logs stream anyway)"),
)


def defaults() -> dict[str, Any]:
    return {name: [] if kind == "list" else None if kind == "str" else kind == "strict"
            for name, _flags, kind, _help in OPTIONS}


def plain_arguments(args: list[str]) -> dict[str, Any] | None:
    """`submit`'s arguments read with OPTIONS as click reads them, for the forms with one reading: at most
    one FILE, `--long VALUE`, `--long=VALUE`, `-s VALUE` and flags. None for anything else (`-pVALUE`,
    `-qd`, `--`, `-h`, an unknown option, a value that looks like an option, a second FILE): typer's part."""
    by_flag: dict[str, tuple[str, str]] = {}
    for name, flags, kind, _help in OPTIONS:
        for flag in flags[0].split("/") if kind == "strict" else flags:
            by_flag[flag] = (name, kind)
    values: dict[str, Any] = {"file": None, **defaults()}
    it = iter(args)
    for arg in it:
        if not arg.startswith("-"):
            if values["file"] is not None:
                return None
            values["file"] = arg
            continue
        flag, eq, inline = arg.partition("=")
        name, kind = by_flag.get(flag, (None, None))
        if name is None or (eq and kind in ("bool", "strict")) or (eq and not flag.startswith("--")):
            return None
        if kind in ("bool", "strict"):
            values[name] = flag != "--no-strict"
            continue
        value = inline if eq else next(it, None)
        if value is None or (not eq and value.startswith("-")):
            return None
        values[name] = [*values[name], value] if kind == "list" else value
    return values


def parse_labels(text: str) -> dict[str, str]:
    """`-l k=v,k2=v2` as argo reads it (a comma-separated list of key=value)."""
    out = {}
    for pair in text.split(","):
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise SpecError(f"--labels {text!r}: expected KEY=VALUE[,KEY=VALUE...]")
        out[key.strip()] = value.strip()
    return out


def apply_argo_flags(wf: Any, opts: Any) -> None:
    meta = wf.metadata
    if opts.namespace:
        meta.namespace = opts.namespace
    if opts.generate_name:
        meta.generate_name = opts.generate_name
        if not opts.name:
            meta.name = None
    if opts.labels:
        meta.labels = {**(meta.labels or {}), **parse_labels(opts.labels)}
    if opts.service_account:
        wf.spec.service_account_name = opts.service_account
    if opts.priority is not None:
        try:
            wf.spec.priority = int(opts.priority)
        except ValueError:
            raise SpecError(f"--priority {opts.priority!r}: expected a whole number") from None


def stored_cron(bundle: Any, name: str) -> Any:
    """`--from cronwf/NAME`: the CronWorkflow of that name in the file, else the installed one."""
    for cron in bundle.cron_workflows:
        if cron.metadata.name == name:
            return cron
    from localflow.store import templates as T
    cron = T.load("CronWorkflow", name) if name in T.names("CronWorkflow") else None
    if cron is None:
        raise SpecError(f"--from cronwf/{name}: no CronWorkflow named {name!r} (install it with "
                        "localflow cron create FILE)")
    return cron


def add_referenced_templates(bundle: Any, from_ref: str | None) -> None:
    """The installed templates this bundle's workflows and templates (and `--from`) reference, added
    to the bundle: only those, since a run with outside templates reads pod IPs (run.py `uses_ip`)."""
    from localflow.spec import model as M
    from localflow.spec.workflow_ref import template_refs
    from localflow.store import templates as T
    wanted: set[tuple[str, str]] = set()
    objects = [*bundle.workflows, *bundle.workflow_templates.values(), *bundle.cluster_workflow_templates.values()]
    for obj in objects:
        wanted |= template_refs(M.to_dict(obj.spec))
    for cron in bundle.cron_workflows:
        wanted |= template_refs(M.to_dict(cron.spec.workflow_spec))
    if from_ref:
        kind, _, name = from_ref.partition("/")
        if kind.lower().startswith("cron"):
            wanted |= template_refs(T.get("CronWorkflow", name) or {})
        else:
            wanted.add(("ClusterWorkflowTemplate" if kind.lower().startswith("cluster") else "WorkflowTemplate", name))
    if wanted:
        T.add_stored(bundle, wanted)
