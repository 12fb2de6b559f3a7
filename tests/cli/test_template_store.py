"""`localflow template|cluster-template` and `apply -f` for Argo kinds, `--strict=false`, argo's
submit flags: through the CLI as a user runs it, in a private LOCALFLOW_HOME, without Docker.

Expected shapes come from argo's CLI (cmd/argo/commands/template: `NAME` table, `Name:`/`Namespace:`/
`Created:` with %-20s, "WorkflowTemplate 'x' deleted") and Argo's examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_texts import TYPO

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "argo-examples"
WFT = EXAMPLES / "workflow-template"


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def lf(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, LOCALFLOW_HOME=str(home), PYTHONPATH=str(REPO))
    env.pop("LOCALFLOW_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120, cwd=str(REPO))


def test_examples_are_there():
    assert (WFT / "templates.yaml").is_file(), "../shared/argo-examples is needed by these tests"


def test_templates_resolve_from_the_store_after_create(home):
    before = lf(home, "lint", str(WFT / "hello-world.yaml"))
    assert before.returncode == 2 and "workflow-template-print-message" in before.stderr
    created = lf(home, "template", "create", str(WFT / "templates.yaml"))
    assert created.returncode == 0, created.stderr
    assert "Name:                workflow-template-print-message" in created.stdout.splitlines()
    assert "Namespace:           default" in created.stdout.splitlines()
    listed = lf(home, "template", "list")
    assert listed.stdout.splitlines()[0] == "NAME"
    assert "workflow-template-inner-dag" in listed.stdout.splitlines()
    for name in ("hello-world.yaml", "steps.yaml", "dag.yaml", "workflow-template-ref.yaml"):
        after = lf(home, "lint", str(WFT / name))
        assert after.returncode == 0, after.stderr


def test_create_twice_is_refused_and_apply_configures(home):
    assert lf(home, "template", "create", str(WFT / "templates.yaml")).returncode == 0
    again = lf(home, "template", "create", str(WFT / "templates.yaml"))
    assert again.returncode == 1 and "already exists" in again.stderr
    applied = lf(home, "apply", "-f", str(WFT / "templates.yaml"))
    assert applied.returncode == 0, applied.stderr
    assert "workflowtemplate.argoproj.io/workflow-template-print-message configured" in applied.stdout


def test_get_name_json_yaml_and_delete(home):
    lf(home, "template", "create", str(WFT / "templates.yaml"))
    assert lf(home, "template", "get", "workflow-template-submittable", "-o", "name").stdout == \
        "workflow-template-submittable\n"
    doc = json.loads(lf(home, "template", "get", "workflow-template-submittable", "-o", "json").stdout)
    source = [d for d in yaml.safe_load_all((WFT / "templates.yaml").read_text())
              if d["metadata"]["name"] == "workflow-template-submittable"][0]
    assert doc["spec"] == source["spec"] and doc["kind"] == "WorkflowTemplate"
    assert doc["metadata"]["creationTimestamp"].endswith("Z")
    deleted = lf(home, "template", "delete", "workflow-template-submittable")
    assert deleted.stdout == "WorkflowTemplate 'workflow-template-submittable' deleted\n"
    missing = lf(home, "template", "get", "workflow-template-submittable")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_an_invalid_template_is_not_installed(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: bad}\n"
                   "spec:\n  templates:\n  - name: a\n    contianer: {image: alpine}\n")
    out = lf(home, "template", "create", str(bad))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        'localflow: bad.yaml: spec.templates[0].contianer: unknown field "contianer" (did you mean "container"?)']
    assert lf(home, "template", "list").stdout == "NAME\n"


def test_cluster_templates_are_a_separate_store(home):
    created = lf(home, "cluster-template", "create", str(EXAMPLES / "cluster-workflow-template" /
                                                          "clustertemplates.yaml"))
    assert created.returncode == 0, created.stderr
    assert "cluster-workflow-template-print-message" in lf(home, "cluster-template", "list").stdout
    assert lf(home, "template", "list").stdout == "NAME\n"
    ok = lf(home, "lint", str(EXAMPLES / "cluster-workflow-template" / "cluster-wftmpl-dag.yaml"))
    assert ok.returncode == 0, ok.stderr


def test_submit_from_needs_a_known_template(home):
    out = lf(home, "submit", "--from", "workflowtemplate/nope")
    assert out.returncode == 2 and "--from workflowtemplate/nope: no such template" in out.stderr
    out = lf(home, "submit", "--from", "cronwf/nope")
    assert out.returncode == 2 and "no CronWorkflow named 'nope'" in out.stderr
    out = lf(home, "submit")
    assert out.returncode == 2 and "give a workflow file" in out.stderr



def test_strict_false_ignores_unknown_fields_with_a_notice(home, tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text(TYPO)
    strict = lf(home, "lint", str(f))
    assert strict.returncode == 2 and 'metadata.label: unknown field "label"' in strict.stderr
    f2 = tmp_path / "typo2.yaml"
    f2.write_text(TYPO.replace("    container:", "    foo: 1\n    container:"))
    lenient = lf(home, "lint", "--strict=false", str(f), str(f2))
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stderr.splitlines() == [  # one notice per file, naming every field
        "typo.yaml: notice: unknown fields ignored (--strict=false): metadata.label",
        "typo2.yaml: notice: unknown fields ignored (--strict=false): metadata.label, spec.templates[0].foo"]
    refused = lf(home, "submit", str(f), "--strict=true")
    assert refused.returncode == 2 and "metadata.label" in refused.stderr


def test_lint_warns_only_for_resource_templates_that_need_a_cluster(home):
    env = dict(os.environ, LOCALFLOW_HOME=str(home), PYTHONPATH=str(REPO), PATH="")  # no kubectl
    files = [str(EXAMPLES / n) for n in ("k8s-wait-wf.yaml", "workflow-of-workflows.yaml", "k8s-jobs.yaml",
                                         "k8s-patch-pod.yaml")]
    out = subprocess.run([sys.executable, "-m", "localflow", "lint", *files], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    warned = [line.split(":")[0] for line in out.stderr.splitlines() if "warning" in line]
    assert warned == ["k8s-patch-pod.yaml"]  # a patch needs a cluster; the others run here


def test_a_run_gets_only_the_installed_templates_it_references(home, monkeypatch):
    """A bundle with outside templates makes a run read pod IPs (a network of its own, slower starts):
    an unrelated installed template must not join a run."""
    assert lf(home, "template", "create", str(WFT / "templates.yaml")).returncode == 0
    monkeypatch.setenv("LOCALFLOW_HOME", str(home))
    from localflow.cli.submit_flags import add_referenced_templates
    from localflow.spec.load import load_documents
    plain = load_documents(str(EXAMPLES / "hello-world.yaml"))
    add_referenced_templates(plain, None)
    assert plain.workflow_templates == {}
    steps = load_documents(str(WFT / "steps.yaml"))  # inner-steps calls print-message in turn
    add_referenced_templates(steps, None)
    assert sorted(steps.workflow_templates) == ["workflow-template-inner-steps", "workflow-template-print-message"]
    from_ref = load_documents(str(EXAMPLES / "hello-world.yaml"))
    add_referenced_templates(from_ref, "workflowtemplate/workflow-template-submittable")
    assert sorted(from_ref.workflow_templates) == ["workflow-template-submittable"]
