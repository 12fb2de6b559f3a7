"""scripts/conformance.py: its pure parts (skip reasons, expected phases, stated checks, comparison),
and one docker-backed run over Argo's hello-world examples."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO.parent / "shared" / "argo-examples"

_spec = importlib.util.spec_from_file_location("conformance", REPO / "scripts" / "conformance.py")
C = importlib.util.module_from_spec(_spec)
sys.modules["conformance"] = C
_spec.loader.exec_module(C)


def wf(text: str) -> dict:
    return yaml.safe_load(text)


def example(text: str, rel: str = "x.yaml") -> "C.Example":
    return C.Example(rel, 0, wf(text), text)


HELLO = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hi]}
"""


# ---------------------------------------------------------------- skip reasons

def test_plain_workflow_is_not_skipped():
    assert C.skip_reason(wf(HELLO), {"busybox:latest"}) is None


def test_resource_template_needs_kubernetes():
    doc = wf("""
spec:
  entrypoint: main
  templates:
  - name: main
    resource: {action: create, manifest: "kind: ConfigMap"}
""")
    cat, why = C.skip_reason(doc)
    assert cat == C.K8S and "resource template `main`" in why and "create" in why


def test_kubectl_in_a_container_needs_kubernetes():
    doc = wf("""
spec:
  templates:
  - name: main
    script: {image: busybox, command: [sh], source: "kubectl get pods"}
""")
    assert C.skip_reason(doc)[0] == C.K8S


def test_cloud_artifacts_are_skipped():
    for kind in ("gcs", "azure", "oss", "hdfs", "artifactory"):
        doc = wf(f"""
spec:
  templates:
  - name: main
    inputs:
      artifacts:
      - name: a
        path: /a
        {kind}: {{bucket: b, key: k}}
    container: {{image: busybox}}
""")
        cat, why = C.skip_reason(doc)
        assert cat == C.CLOUD and kind in why


def test_s3_with_a_remote_endpoint_is_a_cloud_bucket_but_the_default_repository_is_not():
    remote = wf("""
spec:
  templates:
  - name: main
    outputs:
      artifacts:
      - {name: a, path: /a, s3: {endpoint: s3.amazonaws.com, bucket: b, key: k}}
    container: {image: busybox}
""")
    assert C.skip_reason(remote)[0] == C.CLOUD
    cluster = wf("""
spec:
  templates:
  - name: main
    outputs:
      artifacts:
      - {name: a, path: /a, s3: {endpoint: "minio:9000", bucket: b, key: k}}
    container: {image: busybox}
""")
    assert "cluster's MinIO" in C.skip_reason(cluster)[1]
    default = wf("""
spec:
  templates:
  - name: main
    outputs:
      artifacts:
      - {name: a, path: /a, s3: {key: k}}
    container: {image: busybox}
""")
    assert C.skip_reason(default, {"busybox:latest"}) is None


def test_internet_git_http_and_package_installs():
    git = wf("""
spec:
  templates:
  - name: main
    inputs:
      artifacts:
      - {name: src, path: /src, git: {repo: "https://github.com/argoproj/argo-workflows.git"}}
    container: {image: busybox}
""")
    assert C.skip_reason(git)[0] == C.INTERNET
    http = wf("""
spec:
  templates:
  - name: main
    http: {url: "https://httpbin.org/status/201"}
""")
    cat, why = C.skip_reason(http)
    assert cat == C.INTERNET and "httpbin.org" in why
    pip = wf("""
spec:
  templates:
  - name: main
    container: {image: python, command: [sh, -c], args: ["pip install requests && python x.py"]}
""")
    assert C.skip_reason(pip)[0] == C.INTERNET


def test_local_urls_are_fine():
    doc = wf("""
spec:
  templates:
  - name: main
    container:
      image: curlimages/curl:latest
      command: [sh, -c]
      args: ["curl http://127.0.0.1/ && curl 'http://{{steps.influx.ip}}:8086/query'"]
""")
    assert C.skip_reason(doc, {"curlimages/curl:latest"}) is None


def test_missing_images_count_as_internet_only_when_known_statically():
    doc = wf("""
spec:
  templates:
  - name: a
    container: {image: "golang:1.18"}
  - name: b
    container: {image: "{{inputs.parameters.image}}:{{inputs.parameters.tag}}"}
""")
    cat, why = C.skip_reason(doc, {"busybox:latest"})
    assert cat == C.INTERNET and "golang:1.18" in why
    assert C.skip_reason(doc, None) is None          # images unknown (no docker): not judged


def test_windows_is_skipped_first_and_other_reasons_are_appended():
    doc = wf("""
spec:
  templates:
  - name: main
    nodeSelector: {kubernetes.io/os: windows}
    container: {image: "mcr.microsoft.com/windows/nanoserver:1809", command: [cmd, /c, echo]}
""")
    cat, why = C.skip_reason(doc, set())
    assert cat == C.WINDOWS and "also internet" in why


def test_normalise_image():
    assert C.normalise_image("busybox") == "busybox:latest"
    assert C.normalise_image("alpine:3.23") == "alpine:3.23"
    assert C.normalise_image("localhost:5000/x") == "localhost:5000/x:latest"
    assert C.normalise_image("quay.io/argoproj/argoexec:latest") == "quay.io/argoproj/argoexec:latest"


# ---------------------------------------------------------------- expected phases and checks

def test_default_expectation_is_succeeded():
    assert C.expected_phases(example(HELLO))[0] == {"Succeeded"}


def test_expected_failure_label_means_failed():
    text = HELLO.replace("metadata: {generateName: hello-}",
                         "metadata:\n  generateName: hello-\n  labels:\n    workflows.argoproj.io/no-test: expected-failure")
    phases, why = C.expected_phases(example(text))
    assert phases == {"Failed"} and "expected-failure" in why


def test_other_no_test_labels_still_expect_succeeded():
    text = HELLO.replace("metadata: {generateName: hello-}",
                         "metadata:\n  generateName: hello-\n  labels:\n    workflows.argoproj.io/no-test: environment")
    phases, why = C.expected_phases(example(text))
    assert phases == {"Succeeded"} and "environment" in why


def test_verify_annotation_is_honoured():
    text = HELLO.replace("metadata: {generateName: hello-}", """metadata:
  generateName: hello-
  annotations:
    workflows.argoproj.io/verify.py: |
      assert status["phase"] == "Failed"
""")
    assert C.expected_phases(example(text))[0] == {"Failed"}


def test_expectations_table_overrides_the_label():
    text = HELLO.replace("metadata: {generateName: hello-}",
                         "metadata:\n  generateName: hello-\n  labels:\n    workflows.argoproj.io/no-test: expected-failure")
    phases, why = C.expected_phases(example(text, rel="continue-on-fail.yaml"))
    assert phases == {"Succeeded"} and "TestContinueOnFail" in why


def test_expected_comments_become_checks():
    text = ("# Expected: consumer logs \"consumer got: [x]\".\n"
            "# Expected: the workflow's output parameter `result` resolves to \"expr-fallback\".\n" + HELLO)
    checks = C.stated_checks(example(text))
    assert [(c.kind, c.node, c.value) for c in checks] == [
        ("logs", "consumer", "consumer got: [x]"), ("output", "result", "expr-fallback")]


def status(phase: str, nodes: list[dict], **extra) -> dict:
    return {"metadata": {"name": "w"}, "status": dict(phase=phase, nodes={n["id"]: n for n in nodes}, **extra)}


def test_compare_phase_and_checks():
    plan = C.Plan(example(HELLO), expect={"Succeeded"},
                  checks=[C.Check("phase", "C", "Failed"), C.Check("absent", "B"),
                          C.Check("output", "result", "ok"), C.Check("logs", "consumer", "hello")])
    good = status("Succeeded", [
        {"id": "w", "displayName": "w", "phase": "Succeeded", "outputs": {"parameters": [{"name": "result", "value": "ok"}]}},
        {"id": "w-1", "displayName": "C", "phase": "Failed", "type": "Pod", "message": "main: Error (exit code 1)"}])
    r = C.compare(plan, "Succeeded", good, {"consumer": "hello\n"}, "")
    assert r.status == "matches", r.detail
    bad = status("Error", [
        {"id": "w", "displayName": "w", "phase": "Error", "outputs": {}},
        {"id": "w-2", "displayName": "B", "phase": "Succeeded", "type": "Pod"},
        {"id": "w-3", "displayName": "consumer", "phase": "Error", "type": "Pod",
         "message": "failed to resolve {{tasks.producer.outputs.parameters.msg}}"}], message="child failed")
    r = C.compare(plan, "Error", bad, {"consumer": ""}, "localflow: something odd\n")
    assert r.status == "differs"
    assert "expected Succeeded, got Error" in r.detail
    assert "expected node C Failed, got no such node" in r.detail
    assert "expected no node B" in r.detail
    assert "output parameter result" in r.detail
    assert "workflow: child failed" in r.errors
    assert any("failed to resolve" in e for e in r.errors)
    assert "localflow: something odd" in r.errors


def test_random_examples_accept_either_phase():
    plan = C.Plan(example(HELLO), expect={"Succeeded", "Failed"})
    assert C.compare(plan, "Failed", status("Failed", []), {}, "").status == "matches"
    assert C.compare(plan, "Error", status("Error", []), {}, "").status == "differs"


def test_referenced_templates_are_found_transitively():
    index = {("WorkflowTemplate", "outer"): "a.yaml", ("WorkflowTemplate", "inner"): "b.yaml",
             ("ClusterWorkflowTemplate", "outer"): "c.yaml", ("PersistentVolumeClaim", "vol"): "pvc.yaml"}
    texts = {"a.yaml": [wf("""
kind: WorkflowTemplate
metadata: {name: outer}
spec:
  templates:
  - name: t
    steps: [[{name: s, templateRef: {name: inner, template: x}}]]
""")], "b.yaml": [wf("kind: WorkflowTemplate\nmetadata: {name: inner}\nspec: {templates: []}")]}
    doc = wf("""
spec:
  volumes: [{name: w, persistentVolumeClaim: {claimName: vol}}]
  templates:
  - name: main
    dag:
      tasks: [{name: a, templateRef: {name: outer, template: t}}]
""")
    assert sorted(C.referenced(doc, index, texts)) == ["a.yaml", "b.yaml", "pvc.yaml"]
    doc = wf("spec: {workflowTemplateRef: {name: outer, clusterScope: true}}")
    assert C.referenced(doc, index, texts) == ["c.yaml"]


def test_parse_json_tolerates_leading_noise():
    assert C.parse_json('note\n{"status": {"phase": "Succeeded"}}\n') == {"status": {"phase": "Succeeded"}}
    assert C.parse_json("no json here") is None


@pytest.mark.need("shared")
def test_every_example_in_the_folder_gets_a_plan():
    examples, index, _ = C.discover(EXAMPLES)
    assert len(examples) > 100
    texts = {rel: [d for d in C.load_yaml_docs((EXAMPLES / rel).read_text()) if isinstance(d, dict)]
             for rel in set(index.values())}
    plans = {p.example.label: p for p in (C.make_plan(e, index, texts, None) for e in examples)}
    assert plans["hello-world.yaml"].skip is None
    assert plans["k8s-patch-pod.yaml"].skip[0] == C.K8S  # a patch needs a cluster
    assert plans["k8s-jobs.yaml"].skip is None  # a batch/v1 Job runs here (engine/local_kinds.py)
    assert plans["workflow-of-workflows.yaml"].templates == ["workflow-template/templates.yaml"]
    assert plans["input-artifact-gcs.yaml"].skip[0] == C.CLOUD
    assert plans["input-artifact-git.yaml"].skip[0] == C.INTERNET
    assert plans["hello-windows.yaml"].skip[0] == C.WINDOWS
    assert plans["exit-handlers.yaml"].expect == {"Failed"}
    assert plans["volumes-existing.yaml"].templates == ["testvolume.yaml"]
    assert "workflow-template/templates.yaml" in plans["workflow-template/steps.yaml"].templates
    assert plans["forever.yaml"].stop_after


def test_absent_examples_folder_exits_zero(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "conformance.py"), "--examples",
                        str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "absent" in r.stdout


@pytest.mark.docker
@pytest.mark.need("shared")
def test_run_hello_world_through_the_script(tmp_path):
    doc = tmp_path / "conformance.md"
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "conformance.py"), "--only", "hello-world",
                        "--jobs", "2", "--doc", str(doc)], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    text = doc.read_text()
    assert "| `hello-world.yaml` | matches | Succeeded | Succeeded |" in text
    assert "| `http-hello-world.yaml` | skipped |" in text
    assert "matches: **2**" in text


def test_generic_checks_message_format_and_unexpected_errors():
    plan = C.Plan(example(HELLO), expect={"Failed"})
    wf_ = status("Failed", [
        {"id": "w-1", "displayName": "a", "type": "Pod", "phase": "Failed", "message": "Error (exit code 1)"},
        {"id": "w-2", "displayName": "b", "type": "Pod", "phase": "Failed", "message": "main: Error (exit code 1)"},
        {"id": "w-3", "displayName": "c", "type": "Pod", "phase": "Error",
         "message": "unable to resolve artifact '{{steps.x.outputs.artifacts.y}}'"}])
    out = C.generic_failures(plan, wf_)
    assert any("lacks the container name" in f and "a: 'Error (exit code 1)'" in f and "b:" not in f for f in out)
    assert any(f.startswith("node c ended Error: unable to resolve") for f in out)
    assert C.compare(plan, "Failed", wf_, {}, "").status == "differs"
    # an Error the example expects is not reported
    plan = C.Plan(example(HELLO), expect={"Error"})
    assert not [f for f in C.generic_failures(plan, wf_) if "ended Error" in f]


def test_unresolved_tags_in_container_output():
    text = HELLO.replace("[echo, hi]", "[echo, '{{workflow.outputs.parameters.p}} {{lastRetry.status}}']")
    plan = C.Plan(example(text))
    out = C.unresolved_in_logs(plan, "main: {{workflow.outputs.parameters.p}} {{lastRetry.status}} {{not.mine}}\n")
    assert out == ["unresolved in container output: {{workflow.outputs.parameters.p}}"]
    assert C.unresolved_in_logs(plan, "main: hello world\n") == []
    wf_ = status("Succeeded", [])
    r = C.compare(plan, "Succeeded", wf_, {C.ALL_LOGS: "main: {{workflow.outputs.parameters.p}}"}, "")
    assert r.status == "differs" and "unresolved" in r.detail
