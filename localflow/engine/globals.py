"""The workflow's global variables as Argo sets them when a run starts (operator.go setGlobalParameters,
updateWorkflowMetadata): workflow.name, .uid, .creationTimestamp.*, .labels/.annotations, .parameters."""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

from localflow.errors import LocalflowError, StepError
from localflow.expr import go_json
from localflow.timefmt import iso

if TYPE_CHECKING:
    from .interfaces import RunContext

SCHEDULED_TIME_ANNOTATION = "workflows.argoproj.io/scheduled-time"  # set by the CronWorkflow controller


def workflow_globals(run: RunContext, created: float, overrides: dict[str, str]) -> tuple[dict[str, Any], list]:
    """The run's global variables (Argo's setGlobalParameters) and its `workflow.parameters`: the
    declared arguments with `overrides` (-p) applied, then the undeclared overrides."""
    g: dict[str, Any] = {}
    g["workflow.name"] = run.name
    g["workflow.namespace"] = run.namespace
    g["workflow.uid"] = run.uid
    g["workflow.serviceAccountName"] = run.spec.service_account_name or "default"
    g["workflow.mainEntrypoint"] = run.entrypoint or ""
    g["workflow.priority"] = str(run.spec.priority or 0)
    ts = iso(created)
    g["workflow.creationTimestamp"] = ts
    d = _dt.datetime.fromtimestamp(created, _dt.timezone.utc)
    for fmt in "YmdHMSjUwyaAbBcpIxX":
        g[f"workflow.creationTimestamp.{fmt}"] = d.strftime("%" + fmt)
    g["workflow.creationTimestamp.s"] = str(int(created))
    g["workflow.creationTimestamp.RFC3339"] = ts
    # Argo's setGlobalParameters: the maps as json.Marshal writes them (a workflow without any is a
    # nil map, "null"), each entry by name; workflow.scheduledTime only from the annotation a
    # CronWorkflow puts on the workflows it creates (otherwise the tag stays as it is).
    for kind in ("labels", "annotations"):
        entries = dict(getattr(run.wf.metadata, kind) or {})
        g[f"workflow.{kind}"] = g[f"workflow.{kind}.json"] = go_json(entries) if entries else "null"
        for k, v in entries.items():
            g[f"workflow.{kind}.{k}"] = v
    md = run.spec.workflow_metadata  # its labels and annotations join the workflow's (not the json forms)
    labels_from = dict(md.labels_from or {}) if md is not None else {}
    if md is not None:
        for k, v in (md.labels or {}).items():
            if k not in labels_from:
                g[f"workflow.labels.{k}"] = v
        for k, v in (md.annotations or {}).items():
            g[f"workflow.annotations.{k}"] = v
    scheduled = (run.wf.metadata.annotations or {}).get(SCHEDULED_TIME_ANNOTATION)
    if scheduled is not None:
        g["workflow.scheduledTime"] = scheduled
    params = _parameters(run, overrides)
    for p in params:
        g[f"workflow.parameters.{p['name']}"] = p["value"]
    g["workflow.parameters"] = json.dumps(params, separators=(",", ":"))
    g["workflow.parameters.json"] = g["workflow.parameters"]
    _labels_from(g, labels_from)
    return g, params


def _parameters(run: RunContext, overrides: dict[str, str]) -> list[dict[str, str]]:
    """`spec.arguments.parameters` with their values (-p first, then value, default, a config map),
    then the -p values the workflow does not declare."""
    params = []
    args = run.spec.arguments
    declared = list(args.parameters) if args is not None else []
    for p in declared:
        value = overrides.pop(p.name, None)
        if value is None:
            value = p.value if p.value is not None else p.default
        if value is None and p.value_from is not None:
            if p.value_from.config_map_key_ref is not None:
                value = run.config_map_value(p.value_from.config_map_key_ref, p.value_from.default)
            elif p.value_from.default is not None:
                value = p.value_from.default
        if value is None:
            raise StepError(f"spec.arguments.parameters: parameter {p.name!r} needs a value "
                            f"(give it with -p {p.name}=...)")
        if p.enum and value not in p.enum:
            raise StepError(f"spec.arguments.parameters: {p.name}={value!r} is not one of {p.enum}")
        params.append({"name": p.name, "value": value})
    for k, v in overrides.items():
        params.append({"name": k, "value": v})
    return params


def _labels_from(g: dict[str, Any], labels_from: dict[str, Any]) -> None:
    """`workflowMetadata.labelsFrom`: expressions over the globals, as Argo's updateWorkflowMetadata."""
    if not labels_from:
        return
    from localflow.expr.exprlang import evaluate

    from .scope import expression_env
    env = expression_env(g)
    for k, src in labels_from.items():
        where = f"spec.workflowMetadata.labelsFrom.{k}.expression"
        try:
            value = evaluate(src.expression or "", env)
        except LocalflowError as e:
            raise StepError(f"{where}: {e}") from None
        if not isinstance(value, str):
            raise StepError(f"{where}: expected a string, got {value!r}")
        g[f"workflow.labels.{k}"] = value
