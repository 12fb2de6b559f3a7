"""Installed WorkflowTemplates and ClusterWorkflowTemplates (`localflow template create`, `apply -f`),
kept under $LOCALFLOW_HOME as the documents given (JSON, one file per template), as a cluster keeps them.

`add_stored(bundle)` lends them to a run or a lint: a template the files define themselves wins.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

from localflow.errors import SpecError
from localflow.spec.workflow_ref import template_refs

from .paths import home

DIRS = {"WorkflowTemplate": "workflowtemplates", "ClusterWorkflowTemplate": "clusterworkflowtemplates",
        "CronWorkflow": "cronworkflows"}


def _dir(kind: str, create: bool = True) -> Path:
    d = home() / DIRS[kind]
    if create:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def valid_name(name: str) -> None:
    import re
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name or "") or len(name) > 253:
        raise SpecError(f"invalid name {name!r}: lowercase letters, digits, '-' and '.' (as Kubernetes)")


def now_timestamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def save(doc: dict[str, Any]) -> bool:
    """Store `doc` (its kind picks the folder); True when it replaced one of the same name. The
    creation time of a replaced document is kept, as the API server keeps it."""
    kind = doc.get("kind")
    if kind not in DIRS:
        raise SpecError(f"kind {kind!r} cannot be stored as a template")
    meta = dict(doc.get("metadata") or {})
    name = meta.get("name") or ""
    valid_name(name)
    old = get(kind, name)
    meta["creationTimestamp"] = ((old or {}).get("metadata") or {}).get("creationTimestamp") or now_timestamp()
    stored = {**doc, "metadata": meta}
    path = _dir(kind) / f"{name}.json"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(stored, f)
    os.replace(tmp, path)
    return old is not None


def get(kind: str, name: str) -> dict[str, Any] | None:
    path = _dir(kind, create=False) / f"{name}.json"
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def delete(kind: str, name: str) -> bool:
    path = _dir(kind, create=False) / f"{name}.json"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def names(kind: str) -> list[str]:
    d = _dir(kind, create=False)
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def load(kind: str, name: str) -> Any:
    """The stored document as a typed model object (as `localflow submit` loads files)."""
    from localflow.spec.load import load_text
    doc = get(kind, name)
    if doc is None:
        return None
    bundle = load_text(json.dumps(doc), f"{DIRS[kind]}/{name}")
    table = bundle.workflow_templates if kind == "WorkflowTemplate" else bundle.cluster_workflow_templates
    return table.get(name) if kind != "CronWorkflow" else bundle.cron_workflows[0]


def add_stored(bundle: Any, wanted: set[tuple[str, str]] | None = None) -> Any:
    """Add the stored (Cluster)WorkflowTemplates the bundle does not define itself: all of them, or
    only `wanted` ((kind, name) pairs) and what those reference in turn. The bundle."""
    tables = {"WorkflowTemplate": bundle.workflow_templates,
              "ClusterWorkflowTemplate": bundle.cluster_workflow_templates}
    todo = sorted(wanted) if wanted is not None else [(k, n) for k in tables for n in names(k)]
    seen: set[tuple[str, str]] = set()
    while todo:
        kind, name = todo.pop()
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        if name in tables[kind]:  # the files define it (their references are in `wanted` already)
            continue
        doc = get(kind, name)
        obj = load(kind, name) if doc is not None else None
        if obj is not None:
            tables[kind][name] = obj
            if wanted is not None:
                todo += sorted(template_refs(doc) - seen)
    return bundle
