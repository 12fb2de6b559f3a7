"""`spec.workflowTemplateRef`: a Workflow that runs a (Cluster)WorkflowTemplate's spec merged with its
own (its arguments' parameters override the template's by name), as Argo's controller joins them.
Used by `localflow submit` and by Workflow manifests of resource templates (child runs)."""

from __future__ import annotations

from typing import Any

from localflow.errors import SpecError


def resolve_workflow_template_ref(wf: Any, bundle: Any) -> Any:
    """A Workflow with `workflowTemplateRef` runs the referenced template's spec, merged with its own."""
    from localflow.spec import model as M
    ref = wf.spec.workflow_template_ref
    if ref is None:
        return wf
    pool = bundle.cluster_workflow_templates if ref.cluster_scope else bundle.workflow_templates
    if ref.name not in pool:
        raise SpecError(f"spec.workflowTemplateRef: no WorkflowTemplate named {ref.name!r} "
                        "(install it with localflow template create, or pass its file with --templates)")
    base = M.to_dict(pool[ref.name].spec)
    own = M.to_dict(wf.spec)
    own.pop("workflowTemplateRef", None)
    merged = dict(base)
    for k, v in own.items():
        if k == "arguments":
            args = dict(base.get("arguments") or {})
            byname = {p["name"]: p for p in args.get("parameters", [])}
            for p in v.get("parameters", []):
                byname[p["name"]] = p
            args["parameters"] = list(byname.values())
            if v.get("artifacts"):
                args["artifacts"] = v["artifacts"]
            merged["arguments"] = args
        else:
            merged[k] = v
    spec = M.from_dict(M.WorkflowSpec, merged, "spec", None)
    return M.Workflow(api_version=wf.api_version, kind=wf.kind, metadata=wf.metadata, spec=spec)


def template_refs(doc: Any) -> set[tuple[str, str]]:
    """(kind, name) of the templates a document's JSON names in `templateRef` / `workflowTemplateRef`."""
    out: set[tuple[str, str]] = set()
    stack = [doc]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(cur)
        elif isinstance(cur, dict):
            for key, value in cur.items():
                if key in ("templateRef", "workflowTemplateRef") and isinstance(value, dict) \
                        and isinstance(value.get("name"), str):
                    kind = "ClusterWorkflowTemplate" if value.get("clusterScope") else "WorkflowTemplate"
                    out.add((kind, value["name"]))
                stack.append(value)
    return out
