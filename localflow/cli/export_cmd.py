"""`localflow export FILE -o DIR`: the manifests a cluster needs to run the same file with
`kubectl apply -f DIR` then `argo submit DIR/workflow.yaml`: the workflow (as written), the
(Cluster)WorkflowTemplates it references (transitively; from the file, `--templates` or the installed
ones), the ConfigMaps and PersistentVolumeClaims it uses (from the file or the local stores; a claim
known nowhere gets a minimal 1Gi ReadWriteOnce manifest), and the Secrets only with
`--include-secrets` (otherwise `secrets-to-create.txt` lists them, without values).

(No `from __future__ import annotations`: typer reads the Annotated help texts at definition.)
"""

import os
from typing import Annotated, Any

import typer

from . import output as O

REF_KEYS = {"configMapKeyRef": "ConfigMap", "configMapRef": "ConfigMap", "configMap": "ConfigMap",
            "secretKeyRef": "Secret", "secretRef": "Secret"}


def references(doc: Any, out: dict[str, set[str]]) -> None:
    """Names of the ConfigMaps, Secrets, claims and templates a workflow's JSON refers to."""
    if isinstance(doc, list):
        for v in doc:
            references(v, out)
        return
    if not isinstance(doc, dict):
        return
    for key, value in doc.items():
        if not isinstance(value, dict):
            references(value, out)
            continue
        name = value.get("name")
        if key in REF_KEYS and isinstance(name, str):
            out[REF_KEYS[key]].add(name)
        elif key == "secret" and isinstance(value.get("secretName"), str):
            out["Secret"].add(value["secretName"])
        elif key == "persistentVolumeClaim" and isinstance(value.get("claimName"), str):
            out["PersistentVolumeClaim"].add(value["claimName"])
        elif key in ("templateRef", "workflowTemplateRef") and isinstance(name, str):
            out["ClusterWorkflowTemplate" if value.get("clusterScope") else "WorkflowTemplate"].add(name)
        elif key == "artifactRepositoryRef":  # Argo's default config map name when none is given
            out["ConfigMap"].add(str(value.get("configMap") or "artifact-repositories"))
        references(value, out)


def collect(workflow: dict[str, Any], templates: dict[str, dict[str, dict]]) -> dict[str, set[str]]:
    """Everything `workflow` needs, following templateRefs into the templates it names."""
    out: dict[str, set[str]] = {k: set() for k in ("ConfigMap", "Secret", "PersistentVolumeClaim",
                                                    "WorkflowTemplate", "ClusterWorkflowTemplate")}
    references(workflow, out)
    seen: set[tuple[str, str]] = set()
    while True:
        todo = [(k, n) for k in ("WorkflowTemplate", "ClusterWorkflowTemplate") for n in out[k]
                if (k, n) not in seen and n in templates[k]]
        if not todo:
            return out
        for kind, name in todo:
            seen.add((kind, name))
            references(templates[kind][name], out)


def _raw_documents(path: str) -> list[dict[str, Any]]:
    from .manifests import read_documents
    return [d for d, _ in read_documents([path])]


def _templates_pool(docs: list[dict], extra: list[str]) -> dict[str, dict[str, dict]]:
    from localflow.store import templates as T

    from .manifests import read_documents
    pool: dict[str, dict[str, dict]] = {"WorkflowTemplate": {}, "ClusterWorkflowTemplate": {}}
    sources = list(docs)
    for t in extra:
        from localflow.cli.lint import expand_paths
        sources += [d for d, _ in read_documents(expand_paths([t]))]
    for d in sources:
        if d.get("kind") in pool:
            pool[d["kind"]].setdefault(d["metadata"]["name"], d)
    if not extra:
        for kind in pool:
            for name in T.names(kind):
                pool[kind].setdefault(name, T.get(kind, name))
    return pool


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as `kubectl apply` wants it: no status, no server-set metadata."""
    out = {k: v for k, v in doc.items() if k != "status"}
    meta = {k: v for k, v in (doc.get("metadata") or {}).items()
            if k not in ("creationTimestamp", "uid", "resourceVersion", "generation")}
    out["metadata"] = meta
    return out


def _claim(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


def export(path: str, outdir: str, include_secrets: bool, templates: list[str]) -> list[str]:
    """Write the manifests; the files written (relative to `outdir`)."""
    import yaml

    from localflow.errors import SpecError
    from localflow.store import secrets as S
    docs = _raw_documents(path)
    workflows = [d for d in docs if d.get("kind") in ("Workflow", "CronWorkflow")]
    if not workflows:
        raise SpecError("no Workflow or CronWorkflow in the file", file=os.path.basename(path))
    pool = _templates_pool(docs, templates)
    needed = collect(workflows[0], pool)
    own = {(d.get("kind"), (d.get("metadata") or {}).get("name")): d for d in docs}
    files: dict[str, dict[str, Any]] = {"workflow.yaml": workflows[0]}
    missing: list[str] = []
    for kind in ("WorkflowTemplate", "ClusterWorkflowTemplate"):
        for name in sorted(needed[kind]):
            if name in pool[kind]:
                files[f"{kind.lower()}s/{name}.yaml"] = _clean(pool[kind][name])
            else:
                missing.append(f"{kind} {name}")
    for name in sorted(needed["ConfigMap"]):
        doc = own.get(("ConfigMap", name)) or S.get("ConfigMap", name)
        if doc is None:
            missing.append(f"ConfigMap {name}")
        else:
            files[f"configmaps/{name}.yaml"] = _clean(doc)
    for name in sorted(needed["PersistentVolumeClaim"]):
        files[f"persistentvolumeclaims/{name}.yaml"] = _clean(own.get(("PersistentVolumeClaim", name)) or _claim(name))
    secret_lines = []
    for name in sorted(needed["Secret"]):
        doc = own.get(("Secret", name)) or S.get("Secret", name)
        if include_secrets and doc is not None:
            files[f"secrets/{name}.yaml"] = _clean(doc)
        else:
            keys = sorted(set((doc or {}).get("data") or {}) | set((doc or {}).get("stringData") or {}))
            literal = " ".join(f"--from-literal={k}=..." for k in keys) or "--from-literal=KEY=..."
            secret_lines.append(f"kubectl create secret generic {name} {literal}")
    os.makedirs(outdir, exist_ok=True)
    for rel, doc in files.items():
        target = os.path.join(outdir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
    written = list(files)
    if secret_lines:
        with open(os.path.join(outdir, "secrets-to-create.txt"), "w", encoding="utf-8") as f:
            f.write("# Secrets the workflow reads; create them in the cluster (values are not exported):\n")
            f.write("\n".join(secret_lines) + "\n")
        written.append("secrets-to-create.txt")
    for m in missing:
        O.err(f"localflow: notice: {m} is referenced but known nowhere here: create it in the cluster too")
    return written


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        file: Annotated[str, typer.Argument(help="the workflow file")],
        output_dir: Annotated[str, typer.Option("--output-dir", "-o", help="folder to write the manifests to")],
        include_secrets: Annotated[bool, typer.Option("--include-secrets", help="write Secrets too (with values)")] = False,
        templates: Annotated[list[str] | None, typer.Option("--templates", help="WorkflowTemplate files or folders "
                                                           "(default: the installed ones)")] = None,
    ) -> None:
        """Write what a cluster needs to run this file: then `kubectl apply -R -f DIR` and
        `argo submit DIR/workflow.yaml`.

        Example: localflow export wf.yaml -o k8s/
        """
        from localflow.errors import LocalflowError
        try:
            for rel in export(file, output_dir, include_secrets, list(templates or [])):
                O.out(os.path.join(output_dir, rel))
        except LocalflowError as e:
            O.err(f"localflow: {e}")
            raise typer.Exit(getattr(e, "exit_code", 1)) from None
