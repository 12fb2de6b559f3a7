"""Resource templates through kubectl (a stand-in kubectl on PATH) for kinds localflow does not model
(here a custom resource named Job in another API group), and their condition language."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localflow.engine.resource_template import condition_holds
from localflow.engine.scope import StepError

FAKE = Path(__file__).parent / "fakekube"

JOB = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: k8s-jobs-}
spec:
  entrypoint: job
  templates:
  - name: job
    resource:
      action: create
      successCondition: status.succeeded > 0
      failureCondition: status.failed > 3
      manifest: |
        apiVersion: example.com/v1
        kind: Job
        metadata:
          generateName: NAME-
        spec:
          template:
            spec:
              containers: [{name: pi, image: perl, command: [perl]}]
              restartPolicy: Never
    outputs:
      parameters:
      - name: job-name
        valueFrom: {jsonPath: '{.metadata.name}'}
"""


@pytest.fixture
def kube(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{FAKE}{os.pathsep}{os.environ['PATH']}")
    state = tmp_path / "cluster.json"
    monkeypatch.setenv("FAKE_KUBE_STATE", str(state))
    return state


def test_create_waits_for_success_condition_and_reads_outputs(h, kube):
    run = h.run(JOB.replace("NAME", "pi-job"))
    node = h.by_name(run)["wf"]
    assert run.phase == "Succeeded", node.message
    assert node.outputs["parameters"] == [{"name": "job-name", "value": "pi-job-abcde"}]
    calls = json.loads(kube.read_text())["calls"]
    assert calls[1][0] == "create" and ["get", "Job/pi-job-abcde", "-n", "default", "-o", "json"] in calls


def test_failure_condition_fails_the_node(h, kube):
    run = h.run(JOB.replace("NAME", "fail-job").replace("status.failed > 3", "status.failed > 0"))
    node = h.by_name(run)["wf"]
    assert run.phase == "Failed"
    assert node.message == "failure condition 'status.failed > 0' matched"


def test_without_a_cluster_the_node_says_what_it_needs(h, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no kubectl at all
    run = h.run(JOB.replace("NAME", "pi"))
    node = h.by_name(run)["wf"]
    assert run.phase == "Error"
    assert node.message.startswith("resource templates need a Kubernetes cluster")


@pytest.mark.parametrize("cond,obj,want", [
    ("status.phase == Succeeded", {"status": {"phase": "Succeeded"}}, True),
    ("status.phase = Succeeded", {"status": {"phase": "Running"}}, False),
    ("status.succeeded > 0", {"status": {"succeeded": 2}}, True),
    ("status.succeeded > 0,status.failed < 1", {"status": {"succeeded": 1, "failed": 1}}, False),
    ("status.phase in (Succeeded, Completed)", {"status": {"phase": "Completed"}}, True),
    ("status.phase notin (Failed)", {"status": {"phase": "Running"}}, True),
    ("status.ready", {"status": {"ready": True}}, True),
    ("!status.error", {"status": {}}, True),
])
def test_conditions(cond, obj, want):
    assert condition_holds(cond, obj) is want


def test_bad_condition_is_a_clear_error():
    with pytest.raises(StepError, match="cannot parse condition"):
        condition_holds("status.phase ==", {})
