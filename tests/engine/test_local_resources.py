"""Resource templates of the kinds localflow models without a cluster (engine/local_kinds.py), on the
fake runtime: Workflow manifests as child runs, PersistentVolumeClaims as the run's volumes,
ConfigMaps/Secrets as the run's resources, batch/v1 Jobs and Pods as child runs with Kubernetes'
status fields. Expected phases are Argo's for its own examples (workflow-of-workflows.yaml and
k8s-wait-wf.yaml end Succeeded on Argo when the children succeed; a failing child fails the step
through `failureCondition: status.phase in (Failed, Error)`)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from localflow.engine.run import WorkflowRun
from localflow.runtime.fake import Outcome
from localflow.spec.load import load_documents, load_text, merge
from workflow_texts import CONFIG_MAP_STEPS

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "argo-examples"


def run_with(h, text_or_path, templates=None, name="wf") -> WorkflowRun:
    bundle = load_documents(str(text_or_path)) if isinstance(text_or_path, Path) else \
        load_text(textwrap.dedent(text_or_path), "test.yaml")
    pool = merge([bundle, load_documents(str(templates))]) if templates else bundle
    run = WorkflowRun(bundle.workflows[0], runtime=h.runtime, templates=pool, name=name, clock=h.clock)
    asyncio.run(run.execute())
    return run


def test_workflow_of_workflows_runs_two_children_to_success(h):
    run = run_with(h, EXAMPLES / "workflow-of-workflows.yaml", EXAMPLES / "workflow-template" / "templates.yaml")
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    children = list(run.children.runs.values())
    assert [c.name[:len("workflow-of-workflows-1-")] for c in children] == [
        "workflow-of-workflows-1-", "workflow-of-workflows-2-"]
    assert all(c.phase == "Succeeded" for c in children)
    # the second child got the message argument over the template's default
    assert children[1].globals["workflow.parameters.message"] == "Welcome Argo"
    assert len(h.runtime.pods) == 2


def test_workflow_of_workflows_fails_when_a_child_fails(h):
    h.runtime.on("print-message", Outcome(exit_code=1))
    run = run_with(h, EXAMPLES / "workflow-of-workflows.yaml", EXAMPLES / "workflow-template" / "templates.yaml")
    assert run.phase == "Failed"
    step = h.by_name(run)["wf[0].workflow1"]
    assert step.message == "failure condition 'status.phase in (Failed, Error)' matched"


def test_k8s_wait_wf_waits_for_the_child_by_name(h):
    run = run_with(h, EXAMPLES / "k8s-wait-wf.yaml")
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    nodes = h.by_name(run)
    child = next(iter(run.children.runs.values()))
    assert child.name.startswith("sleep-") and child.phase == "Succeeded"
    assert nodes["wf[0].create-wf"].outputs == {"parameters": [{"name": "wf-name", "value": child.name}]}
    assert nodes["wf[1].wait-wf"].phase == "Succeeded"


def test_get_of_an_unknown_workflow_fails_the_node(h):
    run = run_with(h, """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: w-}
        spec:
          entrypoint: get
          templates:
          - name: get
            resource:
              action: get
              manifest: |
                apiVersion: argoproj.io/v1alpha1
                kind: Workflow
                metadata: {name: nope}
        """)
    assert run.phase == "Failed"
    assert h.by_name(run)["wf"].message == 'workflows.argoproj.io "nope" not found'


VOLUME_OP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: volumeop-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make-pvc, template: make-pvc}
    - - name: use
        template: use
        arguments:
          parameters: [{name: claim, value: "{{steps.make-pvc.outputs.parameters.name}}"}]
  - name: make-pvc
    resource:
      action: create
      setOwnerReference: true
      manifest: |
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: '{{workflow.name}}-my-pvc'}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
    outputs:
      parameters:
      - name: name
        valueFrom: {jsonPath: '{.metadata.name}'}
      - name: size
        valueFrom: {jsonPath: '{.status.capacity.storage}'}
  - name: use
    inputs: {parameters: [{name: claim}]}
    volumes:
    - name: data
      persistentVolumeClaim: {claimName: '{{inputs.parameters.claim}}'}
    container:
      image: alpine:3.7
      command: [sh, -c, "echo hi > /mnt/data/f"]
      volumeMounts: [{name: data, mountPath: /mnt/data}]
"""


def test_a_pvc_made_by_a_resource_template_is_a_run_volume_mounted_later(h):
    run = run_with(h, VOLUME_OP)
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    outputs = h.by_name(run)["wf[0].make-pvc"].outputs["parameters"]
    # Kubeflow Pipelines v1's VolumeOp reads these two (a bound claim's capacity is what it requested)
    assert outputs == [{"name": "name", "value": "wf-my-pvc"}, {"name": "size", "value": "1Gi"}]
    mount = h.runtime.pods[0].main.mounts[0]
    assert (mount.source, mount.auto) == ("wf-my-pvc", "run")  # labelled with the run: removed with it



def test_a_config_map_made_by_a_resource_template_is_read_by_a_later_step(h):
    run = run_with(h, CONFIG_MAP_STEPS)
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    assert h.runtime.pods[0].main.env["COLOUR"] == "blue"
    assert run.resources.config_maps["settings"] == {"colour": "blue"}


def test_k8s_jobs_example_counts_succeeded_pods(h):
    run = run_with(h, EXAMPLES / "k8s-jobs.yaml")
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    node = h.by_name(run)["wf"]
    params = {p["name"]: p["value"] for p in node.outputs["parameters"]}
    assert params["job-name"].startswith("rand-num-")
    assert '"succeeded":3' in params["job-obj"] and '"kind":"Job"' in params["job-obj"]
    assert len(h.runtime.pods) == 3  # completions: 3


def test_a_failing_job_meets_the_failure_condition(h):
    h.runtime.on("pod", Outcome(exit_code=1))
    run = run_with(h, EXAMPLES / "k8s-jobs.yaml")
    assert run.phase == "Failed"
    assert h.by_name(run)["wf"].message == "failure condition 'status.failed > 1' matched"


@pytest.mark.parametrize("action", ["patch"])
def test_actions_without_a_local_meaning_say_so(h, action):
    run = run_with(h, CONFIG_MAP_STEPS.replace("action: apply", f"action: {action}"))
    node = h.by_name(run)["wf[0].make"]
    assert node.phase == "Error" and "needs a Kubernetes cluster" in node.message


# The shape Kubeflow Pipelines v1 compiles dsl.VolumeOp(name="create-pvc", resource_name="my-pvc",
# size=size) and a ContainerOp with pvolumes={"/mnt": vop.volume} to (kfp 1.x volumeop_basic).
KFP_VOLUME_OP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: volumeop-basic-}
spec:
  arguments:
    parameters:
    - {name: size, value: 1Gi}
  entrypoint: volumeop-basic
  serviceAccountName: pipeline-runner
  templates:
  - name: cop
    container:
      args: [echo foo > /mnt/file1]
      command: [sh, -c]
      image: library/bash:4.4.23
      volumeMounts:
      - {mountPath: /mnt, name: create-pvc}
    inputs:
      parameters:
      - {name: create-pvc-name}
    volumes:
    - name: create-pvc
      persistentVolumeClaim: {claimName: '{{inputs.parameters.create-pvc-name}}'}
  - name: create-pvc
    inputs:
      parameters:
      - {name: size}
    outputs:
      parameters:
      - name: create-pvc-manifest
        valueFrom: {jsonPath: '{}'}
      - name: create-pvc-name
        valueFrom: {jsonPath: '{.metadata.name}'}
      - name: create-pvc-size
        valueFrom: {jsonPath: '{.status.capacity.storage}'}
    resource:
      action: create
      manifest: |
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: '{{workflow.name}}-my-pvc'
        spec:
          accessModes:
          - ReadWriteOnce
          resources:
            requests:
              storage: '{{inputs.parameters.size}}'
  - name: volumeop-basic
    dag:
      tasks:
      - name: cop
        template: cop
        dependencies: [create-pvc]
        arguments:
          parameters:
          - {name: create-pvc-name, value: '{{tasks.create-pvc.outputs.parameters.create-pvc-name}}'}
      - name: create-pvc
        template: create-pvc
        arguments:
          parameters:
          - {name: size, value: '{{workflow.parameters.size}}'}
"""


def test_kubeflow_volume_op_runs_unchanged(h):
    import json
    run = run_with(h, KFP_VOLUME_OP)
    assert run.phase == "Succeeded", [(n.name, n.message) for n in run.nodes.values()]
    outputs = {p["name"]: p["value"] for p in h.by_name(run)["wf.create-pvc"].outputs["parameters"]}
    assert outputs["create-pvc-name"] == "wf-my-pvc" and outputs["create-pvc-size"] == "1Gi"
    manifest = json.loads(outputs["create-pvc-manifest"])
    assert manifest["kind"] == "PersistentVolumeClaim" and manifest["status"]["phase"] == "Bound"
    assert h.runtime.pods[0].main.mounts[0].source == "wf-my-pvc"
