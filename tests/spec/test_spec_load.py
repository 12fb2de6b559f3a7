"""Loading files into Bundles."""

from __future__ import annotations

import pytest
from spec_helpers import dedent

from localflow.errors import SpecError
from localflow.spec.load import Bundle, load_documents, load_templates, load_text, merge

WF = dedent(
    """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: hello-
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {image: alpine}
    """
)
WT = dedent(
    """
    apiVersion: argoproj.io/v1alpha1
    kind: WorkflowTemplate
    metadata:
      name: lib
    spec:
      templates:
      - name: hello
        container: {image: alpine}
    """
)
CWT = WT.replace("kind: WorkflowTemplate", "kind: ClusterWorkflowTemplate").replace("name: lib", "name: cluster-lib")
SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: b\n"
CRON = dedent(
    """
    apiVersion: argoproj.io/v1alpha1
    kind: CronWorkflow
    metadata:
      name: c
    spec:
      schedules: ["* * * * *"]
      workflowSpec:
        entrypoint: main
        templates:
        - name: main
          container: {image: alpine}
    """
)


def test_multi_document_bundle():
    bundle = load_text(f"{WF}---\n{WT}---\n{CWT}---\n{SECRET}---\n{CRON}", "all.yaml")
    assert [w.metadata.generate_name for w in bundle.workflows] == ["hello-"]
    assert list(bundle.workflow_templates) == ["lib"]
    assert list(bundle.cluster_workflow_templates) == ["cluster-lib"]
    assert [c.metadata.name for c in bundle.cron_workflows] == ["c"]
    assert bundle.others == [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}}]
    assert bundle.file == "all.yaml"
    assert bundle.workflows[0].source_file == "all.yaml" and bundle.workflows[0].source_index == 0
    assert bundle.workflow_templates["lib"].source_index == 1
    assert bundle.workflow_template("cluster-lib", cluster_scope=True) is bundle.cluster_workflow_templates["cluster-lib"]


def test_json_file(tmp_path):
    path = tmp_path / "wf.json"
    path.write_text('{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "j"}, "spec": {"entrypoint": "m", "parallelism": 2.0}}')
    bundle = load_documents(str(path))
    assert bundle.workflows[0].spec.parallelism == 2
    path.write_text('{"kind": "Workflow", "kind": "Workflow"}')
    with pytest.raises(SpecError, match='duplicate field "kind"'):
        load_documents(str(path))


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "f.yaml: the file is empty"),
        ("apiVersion: v1\nmetadata: {}\n", "f.yaml: kind: missing kind"),
        ("kind: Workflow\nmetadata: {name: a}\n", "f.yaml: apiVersion: apiVersion missing: a Workflow needs apiVersion argoproj.io/v1alpha1"),
        ("apiVersion: argoproj.io/v1alpha1\nkind: Wrokflow\n", 'f.yaml: kind: unknown kind "Wrokflow" (did you mean "Workflow"?)'),
        ("apiVersion: v1\nkind: WorkflowTemplates\n", 'f.yaml: kind: unknown kind "WorkflowTemplates" (did you mean "WorkflowTemplate"?)'),
        ("kind: ConfigMap\nmetadata: {name: a}\n", "f.yaml: apiVersion: missing apiVersion"),
        (WF + "---\n- 1\n", "f.yaml: document 2: expected a mapping"),
        (WF.replace("spec:", "spec:\n  bogus: 1"), 'f.yaml: spec.bogus: unknown field "bogus"'),
        ("\t- x", "f.yaml: invalid YAML at line 1"),
    ],
)
def test_load_errors(text, message):
    with pytest.raises(SpecError) as info:
        load_text(text, "f.yaml")
    assert str(info.value).startswith(message), str(info.value)


def test_workflow_template_with_only_generate_name():
    """Argo accepts a WorkflowTemplate with only generateName (validate_test.go TestWorkflowTemplateLabels);
    no templateRef can name it, and two with the same prefix are not duplicates."""
    text = WT.replace("name: lib", "generateName: lib-")
    bundle = merge([load_text(text, "a.yaml"), load_text(text, "b.yaml")])
    assert len(bundle.workflow_templates) == 2
    assert bundle.workflow_template("lib-") is None and bundle.workflow_template("lib") is None


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_documents(str(tmp_path / "nope.yaml"))
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_documents(str(tmp_path / "bin.yaml"))


def test_load_templates_folder_and_merge(tmp_path):
    (tmp_path / "a.yaml").write_text(WT)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.yml").write_text(CWT)
    (sub / "notes.txt").write_text("not yaml: [")
    bundle = load_templates(tmp_path)
    assert set(bundle.workflow_templates) == {"lib"} and set(bundle.cluster_workflow_templates) == {"cluster-lib"}
    assert load_templates(tmp_path / "a.yaml").workflow_templates["lib"].source_file == str(tmp_path / "a.yaml")
    merged = merge([load_text(WF, "wf.yaml"), bundle])
    assert merged.workflows and "lib" in merged.workflow_templates
    # The same object twice is fine; two different definitions of one name are not.
    assert merge([bundle, bundle]).workflow_templates["lib"] is bundle.workflow_templates["lib"]
    with pytest.raises(SpecError, match="WorkflowTemplate 'lib' is defined more than once"):
        merge([bundle, load_text(WT, "other.yaml")])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SpecError, match="holds no .yaml"):
        load_templates(empty)
    with pytest.raises(SpecError, match="no such file or folder"):
        load_templates(tmp_path / "missing")


def test_bundle_defaults():
    b = Bundle()
    assert b.is_empty() and b.workflows == [] and b.file is None
