"""`localflow lint`: load and validate files, one line per problem; never touches Docker."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from localflow.errors import LocalflowError


def expand_paths(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            out.extend(str(f) for f in sorted(Path(p).rglob("*")) if f.suffix in (".yaml", ".yml", ".json"))
        else:
            out.append(p)
    return out


def lint_report(paths: list[str], templates: list[str], strict: bool = True) -> tuple[list[str], list[str]]:
    """The errors of `paths` (with `templates` for templateRefs; without, the installed templates),
    and when there are none, the warnings (unknown fields ignored when not `strict`, resource_warnings)
    about the same files, each loaded once."""
    from localflow.spec.load import load_documents, load_templates, merge
    from localflow.spec.validate import validate_bundle

    errors: list[str] = []
    files = expand_paths(paths)
    bundles = {}
    for f in files:
        try:
            bundles[f] = load_documents(f, strict)
        except LocalflowError as e:
            errors.append(str(e))
    notices = [f"{os.path.basename(f)}: notice: unknown fields ignored (--strict=false): {', '.join(b.ignored)}"
               for f, b in bundles.items() if b.ignored]
    try:
        extra = [load_templates(t) for t in templates]
    except LocalflowError as e:
        return errors + [str(e)], []
    pool = merge(list(bundles.values()) + extra) if (bundles or extra) else None
    if pool is not None and not templates:
        from localflow.store.templates import add_stored
        add_stored(pool)
    for f, b in bundles.items():
        try:
            validate_bundle(b, file=os.path.basename(f), templates=pool)
        except LocalflowError as e:
            errors.append(str(e))
    if errors:
        return errors, []
    return errors, notices + _resource_warnings(bundles)


def _runs_locally(resource: Any) -> bool:
    """An action localflow runs without a cluster on a kind it models (Workflow, PVC, ConfigMap,
    Secret, Job, Pod); `{{...}}` tags are read as plain values."""
    import re

    import yaml

    from localflow.engine.local_kinds import ACTIONS, local_kind
    if (resource.action or "create") not in ACTIONS:
        return False
    try:
        doc = yaml.safe_load(re.sub(r"\{\{.*?\}\}", "x", resource.manifest or ""))
    except yaml.YAMLError:
        return False
    return isinstance(doc, dict) and local_kind(doc) is not None


def _resource_warnings(bundles: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for f, b in bundles.items():
        for wf in list(b.workflows) + list(b.workflow_templates.values()):
            for i, t in enumerate(wf.spec.templates):
                if t.resource is not None and not _runs_locally(t.resource):
                    out.append(f"{os.path.basename(f)}: spec.templates[{i}].resource: warning: resource templates "
                               "of this kind need a Kubernetes cluster (kubectl with a current context); this one will fail here")
    if not out:
        return out
    import shutil
    import subprocess

    if shutil.which("kubectl") and subprocess.run(["kubectl", "config", "current-context"],
                                                  capture_output=True).returncode == 0:
        return []
    return out
