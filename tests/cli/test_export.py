"""`localflow export`: every document written is checked against Argo's JSON schema
(../shared/argo-truth/argo-schema.json, Argo's api/jsonschema/schema.json) or, for ConfigMaps and
Secrets (not in that schema), Kubernetes' core/v1 shapes; what is exported follows the workflow's
references (templateRef, configMapKeyRef, secretKeyRef, persistentVolumeClaim)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SCHEMA = SHARED / "argo-truth" / "argo-schema.json"
EXAMPLES = SHARED / "argo-examples"
DEFINITIONS = {"Workflow": "io.argoproj.workflow.v1alpha1.Workflow",
               "WorkflowTemplate": "io.argoproj.workflow.v1alpha1.WorkflowTemplate",
               "ClusterWorkflowTemplate": "io.argoproj.workflow.v1alpha1.ClusterWorkflowTemplate",
               "CronWorkflow": "io.argoproj.workflow.v1alpha1.CronWorkflow",
               "PersistentVolumeClaim": "io.k8s.api.core.v1.PersistentVolumeClaim"}


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SCHEMA} is needed in CI")
        pytest.skip("../shared/argo-truth is absent")
    return json.loads(SCHEMA.read_text())


def check(doc: dict, schema: dict) -> None:
    import jsonschema
    kind = doc["kind"]
    if kind in ("ConfigMap", "Secret"):  # core/v1 shapes: string maps, base64 data for Secrets
        assert doc["apiVersion"] == "v1" and doc["metadata"]["name"]
        assert set(doc) <= {"apiVersion", "kind", "metadata", "data", "stringData", "binaryData", "type", "immutable"}
        for key, value in (doc.get("data") or {}).items():
            assert isinstance(key, str) and isinstance(value, str)
            if kind == "Secret":
                base64.b64decode(value, validate=True)
        return
    definition = DEFINITIONS.get(kind)
    assert definition in schema["definitions"], kind
    validator = jsonschema.Draft202012Validator({"$ref": f"#/definitions/{definition}",
                                                 "definitions": schema["definitions"]})
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, f"{kind}: {errors[0].message} at {list(errors[0].absolute_path)}"
    assert doc["apiVersion"] in ("argoproj.io/v1alpha1", "v1")


def test_the_schema_check_can_fail(schema):
    with pytest.raises(AssertionError):
        check({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "x"},
               "spec": {"templates": "not a list"}}, schema)


def lf(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, LOCALFLOW_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def exported(outdir: Path) -> dict[str, dict]:
    return {str(p.relative_to(outdir)): yaml.safe_load(p.read_text()) for p in sorted(outdir.rglob("*.yaml"))}


def test_templates_and_the_workflow_pass_argos_schema(tmp_path, schema):
    home = tmp_path / "home"
    assert lf(home, "template", "create", str(EXAMPLES / "workflow-template" / "templates.yaml")).returncode == 0
    out = lf(home, "export", str(EXAMPLES / "workflow-template" / "steps.yaml"), "-o", str(tmp_path / "k8s"))
    assert out.returncode == 0, out.stderr
    docs = exported(tmp_path / "k8s")
    assert set(docs) == {"workflow.yaml", "workflowtemplates/workflow-template-inner-steps.yaml",
                         "workflowtemplates/workflow-template-print-message.yaml"}
    for doc in docs.values():
        check(doc, schema)
    assert "creationTimestamp" not in docs["workflowtemplates/workflow-template-print-message.yaml"]["metadata"]


SECRETS_AND_CLAIMS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: uses-}
spec:
  entrypoint: main
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: shared-data}
  - name: creds
    secret: {secretName: db-creds}
  artifactRepositoryRef: {key: my-repo}
  templates:
  - name: main
    container:
      image: alpine:3.7
      command: [env]
      env:
      - name: COLOUR
        valueFrom: {configMapKeyRef: {name: settings, key: colour}}
      - name: TOKEN
        valueFrom: {secretKeyRef: {name: api-token, key: token}}
      volumeMounts: [{name: data, mountPath: /data}, {name: creds, mountPath: /creds}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {colour: blue}
"""


def test_config_maps_claims_and_secrets(tmp_path, schema):
    home = tmp_path / "home"
    assert lf(home, "secret", "create", "api-token", "--from-literal=token=s3cret").returncode == 0
    wf = tmp_path / "uses.yaml"
    wf.write_text(SECRETS_AND_CLAIMS)
    out = lf(home, "export", str(wf), "-o", str(tmp_path / "plain"))
    assert out.returncode == 0, out.stderr
    docs = exported(tmp_path / "plain")
    assert set(docs) == {"workflow.yaml", "configmaps/settings.yaml", "persistentvolumeclaims/shared-data.yaml"}
    assert "ConfigMap artifact-repositories is referenced but known nowhere here" in out.stderr  # Argo's default name
    listing = (tmp_path / "plain" / "secrets-to-create.txt").read_text()
    assert "kubectl create secret generic api-token --from-literal=token=..." in listing
    assert "db-creds" in listing and "s3cret" not in listing
    for doc in docs.values():
        check(doc, schema)
    out = lf(home, "export", str(wf), "-o", str(tmp_path / "all"), "--include-secrets")
    docs = exported(tmp_path / "all")
    assert base64.b64decode(docs["secrets/api-token.yaml"]["data"]["token"]) == b"s3cret"
    for doc in docs.values():
        check(doc, schema)
    assert "db-creds" in (tmp_path / "all" / "secrets-to-create.txt").read_text()  # known nowhere here


def test_a_file_without_a_workflow_is_refused(tmp_path):
    out = lf(tmp_path / "home", "export", str(EXAMPLES / "workflow-template" / "templates.yaml"), "-o", str(tmp_path))
    assert out.returncode == 2 and "no Workflow or CronWorkflow in the file" in out.stderr
