"""Artifacts through a run: binding inputs, placing them in containers, storing outputs.

Artifacts are Argo-shaped dicts everywhere in the engine (`{"name": .., "s3": {"key": ..}}`,
`{"raw": {"data": ..}}`, `{"http": ..}`, `{"git": ..}`); the store turns them into bytes.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from localflow.spec import model as M

from .interfaces import ArtifactStore, InputFile
from .outputs import ART_MARK
from .scope import StepError, render_tree

if TYPE_CHECKING:
    from . import nodes as N
    from .interfaces import RunContext

SOURCES = ("s3", "http", "git", "raw", "gcs", "oss", "azure", "hdfs", "artifactory", "plugin")


def _located(art: dict) -> bool:
    return any(k in art and art[k] for k in SOURCES) or "local" in art


class ArtifactFlow:
    def __init__(self, run: RunContext, store: ArtifactStore | None):
        self.run = run
        self.store = store  # None, or one without a repository (raw and local inputs only)

    @property
    def repository(self) -> ArtifactStore | None:
        """The store when it has a repository."""
        return self.store if self.store is not None and self.store.repo is not None else None

    def require_store(self) -> ArtifactStore:
        if self.repository is None:
            raise StepError("this workflow passes artifacts, but no artifact repository is configured")
        return self.repository

    # ---- inputs ----
    def bind_input(self, decl: M.Artifact, arg: M.Artifact | None, scope: Any,
                   local_values: dict | None = None) -> dict | None:
        """The artifact an input gets: from an argument (`from`, a location), or the input's own location."""
        values = ChainMap(local_values or {}, scope.flat(), self.run.globals)
        for src in (arg, decl):
            if src is None:
                continue
            if src.from_:
                ref = src.from_.strip()
                inner = ref[2:-2].strip() if ref.startswith("{{") and ref.endswith("}}") else ref
                found = values.get(inner)
                if isinstance(found, dict) and found.get(ART_MARK, 0) is None:
                    return None  # an optional input that was not supplied
                if isinstance(found, dict) and ART_MARK in found:
                    art = dict(found[ART_MARK], name=decl.name)
                    if src.sub_path:
                        art["subPath"] = src.sub_path
                    return art
                if found is None and inner in values:
                    return None  # an optional artifact that was not produced
                raise StepError(f"unable to resolve artifact {ref!r} for inputs.artifacts.{decl.name}")
            if src.from_expression:
                from .outputs import evaluate_expression
                found = evaluate_expression(src.from_expression, values)
                if isinstance(found, dict) and ART_MARK in found:
                    return dict(found[ART_MARK], name=decl.name)
                raise StepError(f"fromExpression of inputs.artifacts.{decl.name} did not give an artifact")
            raw = M.to_dict(src)
            if _located(raw):
                art = {k: v for k, v in raw.items() if k in SOURCES or k in ("archive", "local")}
                art = render_tree(art, values)  # keys and URLs may name parameters and globals
                art["name"] = decl.name
                return art
        local = self.run.local_inputs.get(decl.name)
        if local:
            return {"name": decl.name, "local": local}
        return None

    def describe(self, name: str, src: dict) -> dict:
        d = {k: v for k, v in src.items() if k != "local"}
        d["name"] = name
        if "local" in src:
            d["path"] = src["local"]
        return d

    def input_file(self, decl: M.Artifact, src: dict, node: N.Node) -> InputFile:
        path = decl.path
        mode = decl.mode
        if "raw" not in src and "local" not in src:
            self.require_store()  # at once, before any container starts

        def tar():
            store = self.store or self.require_store()
            return store.input_tar(src, path, mode, sub_path=src.get("subPath") or decl.sub_path)

        return InputFile("/", tar, f"artifact {decl.name}")

    # ---- outputs ----
    def sink(self, node: N.Node, tmpl: M.Template):
        loc = tmpl.archive_location
        logs = bool(loc.archive_logs) if loc is not None and loc.archive_logs is not None \
            else bool(self.run.spec.archive_logs)
        if not logs and (tmpl.outputs is None or not any(a.path for a in tmpl.outputs.artifacts)):
            return None
        decls = {a.name: a for a in tmpl.outputs.artifacts} if tmpl.outputs else {}
        run = self.run

        def save(name: str, path: str, tar_stream: Iterable[bytes]) -> dict:
            store = self.require_store()
            decl = decls.get(name)
            archive = M.to_dict(decl.archive) if decl is not None and decl.archive is not None else None
            if decl is None and name == "main-logs":
                archive = {"none": {}}  # Argo keeps logs as `<run>/<pod>/main.log`
            explicit = M.to_dict(decl.s3) if decl is not None and decl.s3 is not None else None
            art = store.save(f"{run.name}/{node.pod_name}", name, path, tar_stream, archive,
                             key=(explicit or {}).get("key"))
            art["path"] = path
            return art

        return save
