"""Loading files of Argo objects: multi-document YAML (or JSON) into a Bundle of typed objects.

Argo's own kinds (Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow) become model
objects; anything else that looks like a Kubernetes object (Secret, ConfigMap,
PersistentVolumeClaim, WorkflowEventBinding, ...) is kept as a dict in `Bundle.others`. Every
loaded object remembers where it came from in `source_file` (and `source_index`, the document's
position in its file).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localflow.errors import SpecError
from localflow.spec.model import (
    API_VERSION,
    ClusterWorkflowTemplate,
    CronWorkflow,
    Workflow,
    WorkflowTemplate,
    from_dict,
)
from localflow.spec.model.convert import go_json_field_names
from localflow.spec.yamlgo import load_all

__all__ = ["ARGO_KINDS", "Bundle", "load_documents", "load_templates", "load_text", "merge"]

ARGO_KINDS: dict[str, type] = {
    "Workflow": Workflow,
    "WorkflowTemplate": WorkflowTemplate,
    "ClusterWorkflowTemplate": ClusterWorkflowTemplate,
    "CronWorkflow": CronWorkflow,
}
# Argo kinds that localflow does not run; they are kept in Bundle.others.
OTHER_ARGO_KINDS = (
    "WorkflowEventBinding",
    "WorkflowTaskSet",
    "WorkflowTaskResult",
    "WorkflowArtifactGCTask",
)
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Bundle:
    """What one or more files hold. WorkflowTemplates are keyed by `metadata.name`."""

    workflows: list[Workflow] = field(default_factory=list)
    workflow_templates: dict[str, WorkflowTemplate] = field(default_factory=dict)
    cluster_workflow_templates: dict[str, ClusterWorkflowTemplate] = field(default_factory=dict)
    cron_workflows: list[CronWorkflow] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)
    file: str | None = None
    ignored: list[str] = field(default_factory=list)  # unknown fields dropped by --strict=false

    def is_empty(self) -> bool:
        return not (
            self.workflows
            or self.workflow_templates
            or self.cluster_workflow_templates
            or self.cron_workflows
            or self.others
        )

    def workflow_template(self, name: str, cluster_scope: bool = False) -> WorkflowTemplate | ClusterWorkflowTemplate | None:
        table = self.cluster_workflow_templates if cluster_scope else self.workflow_templates
        return table.get(name)

    @staticmethod
    def _generated_key(table: dict[str, Any], obj: Any) -> str:
        """A template with only generateName (Argo accepts one) is kept under `PREFIX*`, a key no
        templateRef can name; `PREFIX*2`, ... when several share the prefix."""
        base = f"{obj.metadata.generate_name or ''}*"
        key, n = base, 1
        while table.get(key) is not None and table[key] is not obj:
            n += 1
            key = f"{base}{n}"
        return key

    def add(self, obj: Any) -> None:
        """Add a loaded object (a model object, or a dict for other kinds)."""
        if isinstance(obj, Workflow):
            self.workflows.append(obj)
        elif isinstance(obj, CronWorkflow):
            self.cron_workflows.append(obj)
        elif isinstance(obj, (WorkflowTemplate, ClusterWorkflowTemplate)):
            table = self.workflow_templates if isinstance(obj, WorkflowTemplate) else self.cluster_workflow_templates
            key = obj.metadata.name or self._generated_key(table, obj)
            old = table.get(key)
            if old is not None and old is not obj:
                old_file = getattr(old, "source_file", None)
                new_file = getattr(obj, "source_file", None)
                same_place = old_file == new_file and getattr(old, "source_index", None) == getattr(obj, "source_index", None)
                if not same_place:
                    where = f"{old_file} and {new_file}" if old_file != new_file else f"twice in {new_file}"
                    raise SpecError(f"{type(obj).__name__} {key!r} is defined more than once ({where})", file=new_file, path="metadata.name")
            table[key] = obj
        else:
            self.others.append(obj)


def _json_documents(text: str, file: str | None) -> list[Any] | None:
    """A JSON file as one document, or None when the text is not JSON (then it is read as YAML)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise SpecError(f'invalid JSON: duplicate field "{key}"', file=file)
            out[key] = value
        return out

    def reject(name: str) -> Any:
        raise SpecError(f"invalid JSON: {name} is not a number", file=file)

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=reject)
    except json.JSONDecodeError:
        return None
    return [_integral(value)]


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    return value


def _kind_name(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(type(value), type(value).__name__)


_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _drop(doc: Any, path: str) -> bool:
    """Remove the field at `path` (as SpecError names it: `spec.templates[0].foo`); False if absent."""
    parts = [int(i) if i else key for i, key in _PATH_PART.findall(path)]
    cur = doc
    for part in parts[:-1]:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(cur, dict) or parts[-1] not in cur:
        return False
    del cur[parts[-1]]
    return True


def _decode(cls: type, doc: dict[str, Any], file: str | None, ignored: list[str] | None) -> Any:
    """`from_dict`, or with `ignored` (argo's --strict=false) a lenient decode: every unknown field
    is dropped and its path appended to `ignored`."""
    if ignored is None:
        return from_dict(cls, doc, "", file)
    doc = copy.deepcopy(doc)
    while True:
        try:
            return from_dict(cls, doc, "", file)
        except SpecError as e:
            if not e.detail.startswith("unknown field ") or not e.path or not _drop(doc, e.path):
                raise
            ignored.append(e.path)


def _object(doc: dict[str, Any], index: int, count: int, file: str | None,
            ignored: list[str] | None = None) -> Any:
    where = f"document {index + 1}: " if count > 1 else ""
    kind = doc.get("kind")
    api_version = doc.get("apiVersion")
    known = ", ".join(ARGO_KINDS)
    if kind is None or kind == "":
        raise SpecError(f"{where}missing kind (expected one of {known}, or another Kubernetes kind)", file=file, path="kind")
    if not isinstance(kind, str):
        raise SpecError(f"{where}expected a string, got {_kind_name(kind)}", file=file, path="kind")
    if api_version is not None and not isinstance(api_version, str):
        raise SpecError(f"{where}expected a string, got {_kind_name(api_version)}", file=file, path="apiVersion")
    argo_group = isinstance(api_version, str) and api_version.split("/")[0] == "argoproj.io"
    cls = ARGO_KINDS.get(kind)
    if cls is None:
        if argo_group and kind not in OTHER_ARGO_KINDS:
            close = difflib.get_close_matches(kind, [*ARGO_KINDS, *OTHER_ARGO_KINDS], n=1, cutoff=0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else f" (expected one of {known})"
            raise SpecError(f'{where}unknown kind "{kind}"{hint}', file=file, path="kind")
        if not argo_group:
            # Another Kubernetes kind, unless it is a misspelt Argo kind.
            close = difflib.get_close_matches(kind, list(ARGO_KINDS), n=1, cutoff=0.8)
            if close:
                raise SpecError(f'{where}unknown kind "{kind}" (did you mean "{close[0]}"?)', file=file, path="kind")
        if not api_version:
            raise SpecError(f"{where}missing apiVersion", file=file, path="apiVersion")
        return dict(doc)
    if api_version != API_VERSION:
        shown = "missing" if not api_version else f'"{api_version}" is not supported'
        raise SpecError(f"{where}apiVersion {shown}: a {kind} needs apiVersion {API_VERSION}", file=file, path="apiVersion")
    return _decode(cls, doc, file, ignored)


def load_text(text: str, file: str, strict: bool = True, *, json_fold_case: bool = False) -> Bundle:
    """Load every document of `text` (YAML or JSON). `file` names the source in errors. Not
    `strict` (argo's --strict=false): unknown fields are dropped and listed in `Bundle.ignored`.
    `json_fold_case`: field names of a JSON file match case-insensitively, as `argo submit` decodes
    JSON (see model.convert.from_dict); YAML and `argo lint` match them exactly."""
    if not text.strip():
        raise SpecError("the file is empty", file=file)
    docs = None
    if text.lstrip().startswith("{"):
        docs = _json_documents(text, file)
    fold_case = json_fold_case and docs is not None
    if docs is None:
        docs = load_all(text, file)
    docs_present = [d for d in docs if d is not None]
    if not docs_present:
        raise SpecError("the file holds no YAML documents (only comments or separators)", file=file)
    bundle = Bundle(file=file)
    count = len(docs)
    for index, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            where = f"document {index + 1}: " if count > 1 else ""
            raise SpecError(
                f"{where}expected a mapping (an object with apiVersion, kind, metadata and spec), got {_kind_name(doc)}",
                file=file,
            )
        with go_json_field_names() if fold_case else contextlib.nullcontext():
            obj = _object(doc, index, count, file, None if strict else bundle.ignored)
        if not isinstance(obj, dict):
            object.__setattr__(obj, "source_file", file)
            object.__setattr__(obj, "source_index", index)
        bundle.add(obj)
    return bundle


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise SpecError("no such file", file=path) from None
    except IsADirectoryError:
        raise SpecError("is a folder, not a file", file=path) from None
    except UnicodeDecodeError as err:
        raise SpecError(f"not UTF-8 text ({err.reason} at byte {err.start})", file=path) from None
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror or err}", file=path) from None


def load_documents(path: str, strict: bool = True, *, json_fold_case: bool = False) -> Bundle:
    """Load one file (a path, or "-" is not supported here: read the text and use load_text)."""
    return load_text(_read(path), str(path), strict, json_fold_case=json_fold_case)


def merge(bundles: Iterable[Bundle]) -> Bundle:
    """One Bundle holding everything; a WorkflowTemplate defined in two places is an error."""
    out = Bundle()
    files = []
    for bundle in bundles:
        if bundle.file:
            files.append(bundle.file)
        for wf in bundle.workflows:
            out.add(wf)
        for wft in bundle.workflow_templates.values():
            out.add(wft)
        for cwft in bundle.cluster_workflow_templates.values():
            out.add(cwft)
        for cron in bundle.cron_workflows:
            out.add(cron)
        out.others.extend(bundle.others)
        out.ignored.extend(bundle.ignored)
    out.file = files[0] if len(files) == 1 else None
    return out


def load_templates(path_or_dir: str | os.PathLike[str]) -> Bundle:
    """`--templates`: a file, or a folder whose *.yaml, *.yml and *.json files (recursively) are
    loaded and merged. Files without Argo objects are fine here; an empty folder is an error."""
    root = Path(path_or_dir)
    if not root.exists():
        raise SpecError("no such file or folder", file=str(root))
    if root.is_file():
        bundle = load_documents(str(root))
        bundle.file = str(root)
        return bundle
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in TEMPLATE_SUFFIXES)
    if not files:
        raise SpecError("the folder holds no .yaml, .yml or .json files", file=str(root))
    bundle = merge(load_documents(str(p)) for p in files)
    bundle.file = str(root)
    return bundle
