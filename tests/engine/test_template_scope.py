"""The fields Argo records on a node about its template (initializeNode: templateName or templateRef of
the step or task, templateScope of the template the caller is in), against Argo's own tables:
workflow/controller/operator_template_scope_test.go (TestTemplateScope, TestTemplateScopeDAG,
TestTemplateClusterScope) over its testdata/operator_template_scope/*.yaml (the workflows below are
those files; the cluster one is workflow.yaml with `clusterScope: true` and the template made a
ClusterWorkflowTemplate, as cluster-scope-workflow*.yaml are)."""

from __future__ import annotations

import pytest

HELLO = """  - name: hello
    script:
      image: python:alpine3.6
      command: [python]
      source: |
        print("hello world")
"""
WORKFLOW = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: test-template-scope, namespace: default}
spec:
  entrypoint: entry
  templates:
  - name: entry
    steps:
      - - name: step
          templateRef: {name: test-template-scope-1, template: steps%(ref)s}
---
apiVersion: argoproj.io/v1alpha1
kind: %(kind)s
metadata: {name: test-template-scope-1, namespace: default}
spec:
  templates:
  - name: steps
    steps:
    - - name: hello
        template: hello
      - name: other-wftmpl
        templateRef: {name: test-template-scope-2, template: steps}
%(hello)s---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: test-template-scope-2, namespace: default}
spec:
  templates:
  - name: steps
    steps:
    - - name: hello
        template: hello
%(hello)s"""

DAG = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: test-template-scope-dag, namespace: default}
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: step
            templateRef: {name: test-template-scope-dag-1, template: main}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: test-template-scope-dag-1, namespace: default}
spec:
  templates:
    - name: main
      dag:
        tasks:
        - name: A
          template: print-string
          arguments:
            parameters:
            - name: letter
              value: 'A'
        - name: B
          template: print-string
          arguments:
            parameters:
            - name: letter
              value: '{{item}}'
          withParam: '["x", "y", "z"]'
    - name: print-string
      inputs:
        parameters:
         - name: letter
      container:
        image: alpine:3.23
        command: [sh, -c]
        args: ["echo {{inputs.parameters.letter}}"]
"""


def _nodes(h, text: str, name: str) -> dict:
    run = h.run(text, name=name)
    assert run.phase == "Succeeded"
    return {n.name: n.to_argo() for n in run.nodes.values()}


@pytest.mark.parametrize("cluster", [False, True], ids=["TestTemplateScope", "TestTemplateClusterScope"])
def test_template_scope_as_argos_tests(h, cluster):
    kind = "ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"
    nodes = _nodes(h, WORKFLOW % {"ref": ", clusterScope: true" if cluster else "", "kind": kind, "hello": HELLO},
                   "test-template-scope")
    first = "cluster/test-template-scope-1" if cluster else "namespaced/test-template-scope-1"
    expected = {  # node name: (type, templateScope), as Argo's test asserts them
        "test-template-scope[0].step": ("Steps", "local/test-template-scope"),
        "test-template-scope[0].step[0]": ("StepGroup", first),
        "test-template-scope[0].step[0].hello": ("Pod", first),
        "test-template-scope[0].step[0].other-wftmpl": ("Steps", first),
        "test-template-scope[0].step[0].other-wftmpl[0]": ("StepGroup", "namespaced/test-template-scope-2"),
        "test-template-scope[0].step[0].other-wftmpl[0].hello": ("Pod", "namespaced/test-template-scope-2"),
    }
    assert {k: (nodes[k]["type"], nodes[k].get("templateScope")) for k in expected} == expected
    # initializeNode: the step's templateRef (clusterScope only when true) and no templateName
    step = nodes["test-template-scope[0].step"]
    ref = {"name": "test-template-scope-1", "template": "steps", **({"clusterScope": True} if cluster else {})}
    assert step.get("templateRef") == ref and "templateName" not in step
    assert nodes["test-template-scope[0].step[0].hello"].get("templateName") == "hello"
    assert "templateName" not in nodes["test-template-scope[0].step[0]"]  # a step group: WorkflowStep{}
    assert nodes["test-template-scope"]["templateScope"] == "local/test-template-scope"


def test_template_scope_dag_as_argos_test(h):
    nodes = _nodes(h, DAG, "test-template-scope-dag")
    inner = "namespaced/test-template-scope-dag-1"
    expected = {
        "test-template-scope-dag[0].step": ("DAG", "local/test-template-scope-dag"),
        "test-template-scope-dag[0].step.A": ("Pod", inner),
        "test-template-scope-dag[0].step.B": ("TaskGroup", inner),
        "test-template-scope-dag[0].step.B(0:x)": ("Pod", inner),
        "test-template-scope-dag[0].step.B(1:y)": ("Pod", inner),
        "test-template-scope-dag[0].step.B(2:z)": ("Pod", inner),
    }
    assert {k: (nodes[k]["type"], nodes[k].get("templateScope")) for k in expected} == expected
