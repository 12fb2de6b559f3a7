"""Runtime semantics found in Argo's end-to-end workflows, on the fake runtime (scheduling and
substitution); the docker-backed twins are in tests/docker/test_semantics_e2e.py."""

from __future__ import annotations

import re

import pytest

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: s-}\nspec:\n"
LEAVES = """
  - name: say
    container: {image: alpine, command: [echo, hi]}
  - name: echo
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
"""


@pytest.mark.parametrize("fields,message", [
    ('arguments: {parameters: [{name: m, value: "{{=asInt(steps.a.outputs.result)}}"}]}',
     "when 'Skipped == Succeeded' evaluated false"),
    ('withParam: "{{steps.a.outputs.result}}"\n        arguments: {parameters: [{name: m, value: "{{item}}"}]}',
     "Skipped, empty params"),
])
def test_step_when_is_evaluated_before_its_arguments(h, fields, message):
    """steps.go resolveReferences: `when` is resolved and evaluated first; a step that will not run
    returns before its arguments are substituted, so an unresolvable argument is no error. expandStep: a
    withParam that cannot be parsed is no error when `when` is false; the step has no items."""
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: say, when: "false"}
    - - name: b
        template: echo
        when: "{{steps.a.status}} == Succeeded"
        """ + fields + LEAVES)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[1].b"].phase == "Skipped"
    assert nodes["wf[1].b"].message == message


def test_task_when_is_evaluated_before_its_arguments(h):
    """dag.go resolveDependencyReferences: the same for a DAG task."""
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: say, when: "false"}
      - name: b
        depends: a
        template: echo
        when: "{{tasks.a.status}} == Succeeded"
        arguments: {parameters: [{name: m, value: "{{=asInt(tasks.a.outputs.result)}}"}]}
""" + LEAVES)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf.b"].phase == "Skipped"
    assert nodes["wf.b"].message == "when 'Skipped == Succeeded' evaluated false"


def test_template_defaults_apply_by_template_type(h):
    """operator.go mergedTemplateDefaultsInto: the defaults of the other template types are zeroed, so a
    script takes `templateDefaults.script` and a container `.container` (test/e2e/functional/
    template-default-image.yaml)."""
    run = h.run(HEAD + """
  entrypoint: main
  templateDefaults:
    script: {image: python:alpine3.6, command: [sh], workingDir: /src}
    container: {image: alpine:3.7, command: [sh, -c], workingDir: /work}
  templates:
  - name: main
    steps:
    - - {name: s, template: s}
      - {name: c, template: c}
  - name: s
    script: {source: pwd}
  - name: c
    container: {args: [pwd]}
""")
    assert run.phase == "Succeeded"
    pods = {p.template_name: p.main for p in h.runtime.pods}
    assert (pods["s"].image, pods["s"].command, pods["s"].working_dir) == ("python:alpine3.6", ["sh"], "/src")
    assert pods["s"].args == ["/argo/staging/script"]
    assert (pods["c"].image, pods["c"].command, pods["c"].working_dir) == ("alpine:3.7", ["sh", "-c"], "/work")
    assert pods["c"].args == ["pwd"]


def test_script_with_empty_source_runs_as_a_container(h):
    """operator.go executeScript: with an empty `source` nothing is appended to the args (Argo logs
    "'script.source' is empty, suggest change template into 'container'")."""
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    script: {image: alpine:3.7, command: [echo], args: [hello]}
""")
    assert run.phase == "Succeeded"
    assert h.runtime.pods[0].main.command == ["echo"]
    assert h.runtime.pods[0].main.args == ["hello"]


def test_optional_input_artifact_not_supplied_stays_absent_when_passed_on(h):
    """scope.go resolveVar puts the template's own input artifacts in scope (`inputs.artifacts.NAME`, no
    location when not supplied); the child gets it as is, optional, and the executor skips it
    (test/e2e/functional/input-artifact-optional.yaml passes an absent one to a container)."""
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    inputs: {artifacts: [{name: a, optional: true}]}
    dag:
      tasks:
      - name: child
        template: child
        arguments: {artifacts: [{name: a, from: "{{inputs.artifacts.a}}"}]}
  - name: child
    inputs: {artifacts: [{name: a, path: /tmp/a, optional: true}]}
    container: {image: alpine:3.7, command: [sh, -c, "ls /tmp/a || echo absent"]}
""")
    assert run.phase == "Succeeded"
    assert h.runtime.pods[0].main.input_files == []
    assert h.by_name(run)["wf.child"].inputs is None


def test_downward_api_answers_what_argo_puts_on_the_pod(h):
    """workflowpod.go createWorkflowPod/addMetadata: Argo's labels and annotations, spec.podMetadata, then
    the template's metadata; Kubernetes answers fieldRef from that pod (Kubeflow Pipelines v1 reads
    WORKFLOW_ID from the workflow label)."""
    run = h.run(HEAD + """
  entrypoint: main
  podMetadata: {labels: {team: data, tier: low}}
  templates:
  - name: main
    metadata:
      labels: {tier: high, "pipelines.kubeflow.org/cache_enabled": "true"}
      annotations: {note: "{{workflow.name}}"}
    container:
      image: alpine:3.7
      command: [env]
      env:
      - {name: WORKFLOW_ID, valueFrom: {fieldRef: {fieldPath: "metadata.labels['workflows.argoproj.io/workflow']"}}}
      - {name: CACHE, valueFrom: {fieldRef: {fieldPath: "metadata.labels['pipelines.kubeflow.org/cache_enabled']"}}}
      - {name: TEAM, valueFrom: {fieldRef: {fieldPath: "metadata.labels['team']"}}}
      - {name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
      - {name: NOTE, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['note']"}}}
      - {name: NODE, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['workflows.argoproj.io/node-name']"}}}
      - {name: ABSENT, valueFrom: {fieldRef: {fieldPath: "metadata.labels['nope']"}}}
      - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
      - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
      - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
""")
    assert run.phase == "Succeeded"
    env = h.runtime.pods[0].main.env
    assert env["WORKFLOW_ID"] == "wf" and env["CACHE"] == "true"
    assert env["TEAM"] == "data" and env["TIER"] == "high"  # the template's metadata wins
    assert env["NOTE"] == "wf" and env["NODE"] == "wf" and env["ABSENT"] == ""
    assert env["POD"] == h.runtime.pods[0].pod_name and env["NS"] == "default"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", env["UID"])


def test_pod_metadata_is_not_reported_as_ignored():
    """Since fieldRef reads them, podMetadata and a template's metadata have an effect."""
    from localflow.engine.preflight import ignored_fields
    from localflow.spec.load import load_text
    wf = load_text(HEAD + """
  entrypoint: main
  podMetadata: {labels: {a: b}}
  templates:
  - name: main
    metadata: {labels: {a: c}}
    nodeSelector: {disk: ssd}
    container: {image: alpine:3.7}
""", "t.yaml").workflows[0]
    assert ignored_fields(wf.spec) == ["spec.templates[0].nodeSelector"]


def test_container_set_retry_strategy_reaches_the_pod(h):
    """ContainerSetTemplate.GetRetryStrategy: wait.Backoff{Steps: retries, Duration: duration}; the retries
    happen inside the pod (one node, no Retry node)."""
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    containerSet:
      retryStrategy: {retries: 3, duration: 300ms}
      containers: [{name: main, image: alpine:3.7, command: [echo, hi]}]
""")
    assert run.phase == "Succeeded"
    pod = h.runtime.pods[0]
    assert (pod.container_attempts, pod.container_retry_delay) == (3, 0.3)
    assert [n.type for n in run.nodes.values()] == ["Pod"]


def test_exit_handler_pods_carry_the_on_exit_label(h):
    """workflowpod.go: a pod run for an exit handler (executeTemplate's onExitTemplate, inherited by the
    handler's children) is labelled workflows.argoproj.io/on-exit=true; other pods are not."""
    run = h.run(HEAD + """
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    container: &c
      image: alpine:3.7
      command: [echo]
      env: [{name: ON_EXIT, valueFrom: {fieldRef: {fieldPath: "metadata.labels['workflows.argoproj.io/on-exit']"}}}]
  - name: bye
    steps: [[{name: say, template: main}]]
""")
    assert run.phase == "Succeeded"
    by_node = {p.node_name: p.main.env["ON_EXIT"] for p in h.runtime.pods}
    assert by_node == {"wf": "", "wf.onExit[0].say": "true"}
