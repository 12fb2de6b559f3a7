"""argo submit's flags that change the workflow object: `-n/--namespace`, `--serviceaccount`,
`--generate-name`, `-l/--labels`, `--priority` (cmd/argo/commands/submit.go sets the same fields),
and `--from cronwf/NAME`."""

from __future__ import annotations

from typing import Any

from localflow.errors import SpecError


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
