"""Outputs: what a finished node publishes to its scope, loop aggregates, and steps/DAG outputs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from localflow.errors import LocalflowError
from localflow.spec import model as M

from . import nodes as N
from .scope import ART_MARK, Scope, StepError, expression_env, render_string

if TYPE_CHECKING:
    from .interfaces import RunContext


def node_scope_values(node: N.Node, prefix: str, with_outputs: bool = True) -> dict[str, Any]:
    p = prefix
    d: dict[str, Any] = {
        f"{p}.id": node.id,
        f"{p}.status": node.phase,
        f"{p}.startedAt": N.iso(node.started_at) or "",
        f"{p}.finishedAt": N.iso(node.finished_at) or "",
    }
    if node.pod_ip:
        d[f"{p}.ip"] = node.pod_ip
    if node.host_node_name:
        d[f"{p}.hostNodeName"] = node.host_node_name
    if not with_outputs:
        return d
    out = node.outputs or {}
    if "exitCode" in out:
        d[f"{p}.exitCode"] = out["exitCode"]
    if node.phase in (N.SKIPPED, N.OMITTED):
        d[f"{p}.outputs.result"] = None
    if "result" in out:
        d[f"{p}.outputs.result"] = out["result"]
    for prm in out.get("parameters", []):
        d[f"{p}.outputs.parameters.{prm['name']}"] = prm.get("value")
    for art in out.get("artifacts", []):
        d[f"{p}.outputs.artifacts.{art['name']}"] = {ART_MARK: art}
    return d


def _parse_json_or_text(v: str) -> Any:
    try:
        return json.loads(v)
    except (TypeError, ValueError):
        return v


def aggregate_loop(children: list[N.Node]) -> dict[str, Any]:
    """Argo's processAggregateNodeOutputs: only Succeeded children, in loop order."""
    done = sorted((c for c in children if c.phase == N.SUCCEEDED and c.item_index is not None),
                  key=lambda c: c.item_index)
    agg: dict[str, Any] = {}
    results = [(c.outputs or {}).get("result") for c in done]
    if any(r is not None for r in results):
        agg["result"] = json.dumps([_parse_json_or_text(r) for r in results if r is not None],
                                   separators=(",", ":"))
    params_list = []
    by_name: dict[str, list] = {}
    for c in done:
        ps = (c.outputs or {}).get("parameters", [])
        if ps:
            params_list.append({p["name"]: p.get("value") for p in ps})
        for p in ps:
            v = p.get("value")
            parsed = _parse_json_or_text(v) if isinstance(v, str) else v
            by_name.setdefault(p["name"], []).append(parsed if isinstance(parsed, (list, dict)) else v)
    if params_list:
        agg["parameters_json"] = json.dumps(params_list, separators=(",", ":"))
    agg["by_name"] = {k: json.dumps(v, separators=(",", ":")) for k, v in by_name.items()}
    return agg


def evaluate_expression(expr: str, values: Any) -> Any:
    from localflow.expr.exprlang import evaluate
    try:
        return evaluate(expr, expression_env(values))
    except LocalflowError as e:
        raise StepError(f"failed to evaluate expression {expr!r}: {e}") from e


def resolve_template_outputs(run: RunContext, tmpl: M.Template, scope: Scope) -> dict | None:
    values = scope.flat()
    out: dict[str, Any] = {}
    params = []
    for p in tmpl.outputs.parameters:
        value = p.value
        vf = p.value_from
        try:
            if vf is not None and vf.parameter:
                value = render_string(vf.parameter, values, strict=True)
            elif vf is not None and vf.expression:
                value = _as_text(evaluate_expression(vf.expression, values))
            elif vf is not None and vf.supplied is not None:
                value = run.supplied_value(p.name)
        except StepError:
            if vf is None or vf.default is None:
                raise
            value = None
        if value is None and vf is not None and vf.default is not None:
            value = vf.default
        if value is None:
            raise StepError(f"unable to resolve outputs.parameters.{p.name}")
        params.append({"name": p.name, "value": value})
        if p.global_name:
            run.set_global_output("parameters", p.global_name, value)
    if params:
        out["parameters"] = params
    arts = []
    for a in tmpl.outputs.artifacts:
        ref = None
        if a.from_:
            ref = a.from_.strip().removeprefix("{{").removesuffix("}}").strip()
            found = values.get(ref)
        elif a.from_expression:
            found = evaluate_expression(a.from_expression, values)
        else:
            continue
        art = found.get(ART_MARK) if isinstance(found, dict) else None
        if art is None:
            if a.optional:
                continue
            raise StepError(f"unable to resolve outputs.artifacts.{a.name} from {a.from_ or a.from_expression!r}")
        art = dict(art, name=a.name)
        arts.append(art)
        if a.global_name:
            run.set_global_output("artifacts", a.global_name, art)
    if arts:
        out["artifacts"] = arts
    return out or None


def _as_text(v: Any) -> str | None:
    """An expression's result as Argo stores it in a parameter (AnyStringPtr: Go's %v)."""
    if v is None:
        return None
    from localflow.expr._gofmt import go_sprint, json_text
    return json_text(go_sprint(v))  # stored through JSON, as Argo's node status is
