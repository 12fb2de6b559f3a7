"""Rules lint takes from Argo's and Kubernetes' code beyond the cases of Argo's validation tests:
podGC.labelSelector (apimachinery's LabelSelectorAsSelector and labels.NewRequirement), executor
plugins (WorkflowSpec.AsExecutorPluginSpec, plugins/spec Sidecar.Validate), tags nested in tags
(util/template simpleReplaceStrict) and dag.target's variables (validateDAG)."""

from __future__ import annotations

import pytest
from spec_helpers import dedent

from localflow.errors import SpecError
from localflow.spec.load import load_text
from localflow.spec.validate import validate_workflow

MAIN = "  templates:\n  - name: main\n    container: {image: alpine}\n"


def lint(spec: str) -> str:
    """'ok', or the error of a Workflow whose spec is `spec` (indented two spaces)."""
    text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: t-}\nspec:\n" + spec
    try:
        validate_workflow(load_text(text, "t.yaml").workflows[0], file="t.yaml", lint=True)
    except SpecError as err:
        return str(err)
    return "ok"


def indent(text: str) -> str:
    return "".join("  " + line + "\n" for line in text.splitlines())


def pod_gc(selector: str) -> str:
    return lint(f"  entrypoint: main\n  podGC:\n    strategy: OnPodSuccess\n    labelSelector: {selector}\n" + MAIN)


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("{matchLabels: {app: x}, matchExpressions: [{key: example.com/tier, operator: NotIn, values: [a]}]}", "ok"),
        ("{matchExpressions: [{key: app, operator: Exists}, {key: app, operator: DoesNotExist}]}", "ok"),
        ("{matchExpressions: [{key: app, operator: Equals, values: [a]}]}",
         't.yaml: spec.podGC.labelSelector.matchExpressions[0].operator: "Equals" is not a valid label selector operator'),
        ("{matchExpressions: [{key: app, operator: In, values: []}]}",
         "t.yaml: spec.podGC.labelSelector.matchExpressions[0].values: for 'in', 'notin' operators, values set can't be empty"),
        ("{matchExpressions: [{key: app, operator: Exists, values: [a]}]}",
         "t.yaml: spec.podGC.labelSelector.matchExpressions[0].values: values set must be empty for exists and does not exist"),
        ("{matchExpressions: [{key: 'bad key', operator: Exists}]}",
         "t.yaml: spec.podGC.labelSelector.matchExpressions[0].key: label key 'bad key' is invalid"),
        ("{matchLabels: {app: 'not ok!'}}", "t.yaml: spec.podGC.labelSelector.matchLabels.app: label value 'not ok!' is invalid"),
        ("{matchLabels: {" + "a" * 64 + ": x}}", "t.yaml: spec.podGC.labelSelector.matchLabels." + "a" * 64 + ": label key"),
    ],
)
def test_pod_gc_label_selector(selector, expected):
    assert pod_gc(selector).startswith(expected), pod_gc(selector)


PLUGIN = """\
  executorPlugins:
  - metadata: {name: hello}
    spec:
      sidecar:
        container:
          name: hello
          image: python:alpine3.23
          ports: [{containerPort: 4355}]
          resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}
          securityContext: {runAsNonRoot: true}
"""


@pytest.mark.parametrize(
    "drop, expected",
    [
        (None, "ok"),
        ("          ports:", "t.yaml: spec.executorPlugins[0].spec.sidecar.container.ports: at least one port is mandatory"),
        ("          resources:", "t.yaml: spec.executorPlugins[0].spec.sidecar.container.resources.requests: resources requests are mandatory"),
        ("          securityContext:", "t.yaml: spec.executorPlugins[0].spec.sidecar.container.securityContext: security context is mandatory"),
        ("  - metadata:", "t.yaml: spec.executorPlugins[0].metadata.name: executor plugin metadata name is mandatory"),
    ],
)
def test_executor_plugin_sidecar(drop, expected):
    lines = PLUGIN.splitlines(keepends=True)
    if drop == "  - metadata:":
        text = "".join(lines).replace("  - metadata: {name: hello}\n    spec:", "  - spec:")
    elif drop == "          resources:":
        text = "".join(lines).replace("requests: {cpu: 100m}, ", "")
    else:
        text = "".join(line for line in lines if not drop or not line.startswith(drop))
    assert lint("  entrypoint: main\n" + text + MAIN).startswith(expected)


def dynamic_steps(when: str) -> str:
    return lint(indent(dedent(f"""
          entrypoint: main
          arguments: {{parameters: [{{name: d, value: "2024"}}]}}
          templates:
          - name: main
            steps:
            - - {{name: day, template: day, arguments: {{parameters: [{{name: d, value: "{{{{workflow.parameters.d}}}}"}}]}}}}
          - name: day
            inputs: {{parameters: [{{name: d}}]}}
            steps:
            - - {{name: "run-{{{{inputs.parameters.d}}}}", template: work}}
            - - name: check
                template: work
                when: "{when}"
          - name: work
            container: {{image: alpine}}
        """)))


@pytest.mark.parametrize(
    "when, expected",
    [
        # Argo substitutes the inner tag first (its exact name is an input), then resolves the outer one.
        ("{{steps.run-{{inputs.parameters.d}}.status}} != Succeeded", "ok"),
        # The inner name is looked up untrimmed: with spaces it is not substituted, and the outer tag fails.
        ("{{steps.run-{{ inputs.parameters.d }}.status}} != Succeeded",
         't.yaml: spec.templates[1].steps[1][0].when: cannot resolve {{steps.run-{{ inputs.parameters.d}}'),
        # An inner name Argo does not substitute leaves the outer tag unresolved.
        ("{{steps.run-{{inputs.parameters.nope}}.status}} != Succeeded",
         't.yaml: spec.templates[1].steps[1][0].when: cannot resolve {{steps.run-{{inputs.parameters.nope}}'),
    ],
)
def test_nested_tag_in_when(when, expected):
    assert dynamic_steps(when).startswith(expected), dynamic_steps(when)


def test_dag_target_from_an_input():
    spec = indent(dedent("""
          entrypoint: main
          arguments: {parameters: [{name: t, value: A}]}
          templates:
          - name: main
            steps:
            - - {name: d, template: dag, arguments: {parameters: [{name: t, value: A}]}}
          - name: dag
            inputs: {parameters: [{name: t}]}
            dag:
              target: "{{inputs.parameters.t}} B"
              tasks:
              - {name: A, template: work}
              - {name: B, template: work}
          - name: work
            container: {image: alpine}
        """))
    assert lint(spec) == "ok"
    broken = spec.replace('"{{inputs.parameters.t}} B"', '"{{inputs.parameters.x}} B"')
    assert lint(broken).startswith(
        't.yaml: spec.templates[1].dag.target: cannot resolve {{inputs.parameters.x}}: template "dag" has no input parameter "x"')


@pytest.mark.parametrize(
    "plugins, expected",
    [
        ("[{metadata: foo}]", "t.yaml: spec.executorPlugins[0].metadata: expected a mapping, got a string ('foo')"),
        ("[{metadata: {name: a}, spec: 5}]", "t.yaml: spec.executorPlugins[0].spec: expected a mapping, got a number (5)"),
        ("[{metadata: {name: a}, spec: {sidecar: {container: {ports: 3}}}}]",
         "t.yaml: spec.executorPlugins[0].spec.sidecar.container.ports: expected a list, got a number (3)"),
        # Go decodes `requests: {}` into an empty, non-nil map: Sidecar.Validate accepts it.
        ("[{metadata: {name: a}, spec: {sidecar: {container: {ports: [{containerPort: 1}], resources: {requests: {}, limits: {}},"
         " securityContext: {}}}}}]", "ok"),
    ],
)
def test_executor_plugin_malformed(plugins, expected):
    """A plugin of the wrong shape is one line naming the field (Argo's JSON decoding refuses it)."""
    assert lint(f"  entrypoint: main\n  executorPlugins: {plugins}\n" + MAIN) == expected
