"""Broken workflows: each is rejected with one line naming the file and the field path."""

from __future__ import annotations

import pytest
from spec_helpers import dedent

from localflow.errors import SpecError
from localflow.spec.load import load_text
from localflow.spec.validate import validate_workflow


HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: t-
spec:
"""

WT = """\
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
  - name: hello
    container: {image: alpine}
"""


def wf(body: str) -> str:
    """A Workflow whose spec is `body` (YAML written at column 0)."""
    return HEAD + "".join("  " + line + "\n" for line in dedent(body).splitlines())


def check(text: str, **kwargs) -> str:
    bundle = load_text(text, "t.yaml")
    for workflow in bundle.workflows:
        validate_workflow(workflow, file="t.yaml", templates=bundle, **kwargs)
    return "ok"


ECHO = """\
- name: echo
  inputs: {parameters: [{name: m}]}
  container: {image: alpine, args: ["{{inputs.parameters.m}}"]}
- name: gen
  script: {image: alpine, command: [sh], source: "echo hi"}
"""

CASES = [
    pytest.param(
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: x\n spec: {}\n",
        {},
        "t.yaml: invalid YAML at line 5, column 2:",
        id="malformed-yaml",
    ),
    pytest.param("\n  \n", {}, "t.yaml: the file is empty", id="empty-file"),
    pytest.param("# only a comment\n---\n", {}, "t.yaml: the file holds no YAML documents", id="only-comments"),
    pytest.param("- a\n- b\n", {}, "t.yaml: expected a mapping (an object with apiVersion, kind, metadata and spec), got a list", id="not-a-mapping"),
    pytest.param(
        HEAD.replace("kind: Workflow", "kind: Workflw") + "  entrypoint: a\n",
        {},
        't.yaml: kind: unknown kind "Workflw" (did you mean "Workflow"?)',
        id="wrong-kind",
    ),
    pytest.param(
        HEAD.replace("argoproj.io/v1alpha1", "argoproj.io/v1") + "  entrypoint: a\n",
        {},
        't.yaml: apiVersion: apiVersion "argoproj.io/v1" is not supported: a Workflow needs apiVersion argoproj.io/v1alpha1',
        id="wrong-apiversion",
    ),
    pytest.param(
        HEAD + "  entrypoint: a\n  entrypoint: b\n",
        {},
        't.yaml: invalid YAML at line 7, column 3: duplicate key "entrypoint"',
        id="duplicate-key",
    ),
    pytest.param(
        wf("templates:\n- name: main\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.entrypoint: an entrypoint is required",
        id="missing-entrypoint",
    ),
    pytest.param(
        wf("entrypoint: mian\ntemplates:\n- name: main\n  container: {image: alpine}\n"),
        {},
        't.yaml: spec.entrypoint: no template named "mian" (did you mean "main"?)',
        id="unknown-entrypoint",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - name: a\n      template: whalesy\n"
            "- name: whalesay\n  container: {image: docker/whalesay}\n"
        ),
        {},
        't.yaml: spec.templates[0].steps[0][0].template: no template named "whalesy" (did you mean "whalesay"?)',
        id="unknown-template",
    ),
    pytest.param(
        wf("entrypoitn: main\ntemplates:\n- name: main\n  container: {image: alpine}\n"),
        {},
        't.yaml: spec.entrypoitn: unknown field "entrypoitn" (did you mean "entrypoint"?)',
        id="unknown-field",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, commnd: [sh]}\n"),
        {},
        't.yaml: spec.templates[0].container.commnd: unknown field "commnd" (did you mean "command"?)',
        id="unknown-nested-field",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine}\n  script: {image: alpine, source: x}\n"),
        {},
        't.yaml: spec.templates[0]: template "main" has several types (container, script); a template has exactly one',
        id="two-template-types",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  inputs: {}\n"),
        {},
        't.yaml: spec.templates[0]: template "main" has no type: give it one of container, script, steps',
        id="no-template-type",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: a}\n- name: main\n  container: {image: b}\n"),
        {},
        "t.yaml: spec.templates[1].name: name 'main' is used more than once",
        id="duplicate-template",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: e}\n  - - {name: a, template: e}\n"
            "- name: e\n  container: {image: alpine}\n"
        ),
        {},
        "t.yaml: spec.templates[0].steps[1][0].name: step name 'a' is used more than once in template \"main\"",
        id="duplicate-step",
    ),
    pytest.param(
        wf("entrypoint: my_tmpl\ntemplates:\n- name: my_tmpl\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].name: name 'my_tmpl' is invalid: use letters, digits and '-'",
        id="underscore-template-name",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: step_one, template: e}\n"
            "- name: e\n  container: {image: alpine}\n"
        ),
        {},
        "t.yaml: spec.templates[0].steps[0][0].name: name 'step_one' is invalid",
        id="underscore-step-name",
    ),
    pytest.param(
        HEAD.replace("generateName: t-", "name: Hello") + "  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine}\n",
        {},
        "t.yaml: metadata.name: name 'Hello' is invalid: use lowercase letters",
        id="uppercase-workflow-name",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: e, depends: b}\n"
            "    - {name: b, template: e, depends: a}\n- name: e\n  container: {image: alpine}\n"
        ),
        {},
        "t.yaml: spec.templates[0].dag.tasks: dependency cycle: a->b->a",
        id="dag-cycle",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: e}\n"
            "    - {name: b, template: e, dependencies: [c]}\n- name: e\n  container: {image: alpine}\n"
        ),
        {},
        't.yaml: spec.templates[0].dag.tasks[1].dependencies: dependency "c" is not a task of this DAG',
        id="unknown-dependency",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: e}\n"
            "    - {name: b, template: e, depends: a}\n    - {name: c, template: e, dependencies: [a]}\n"
            "- name: e\n  container: {image: alpine}\n"
        ),
        {},
        "t.yaml: spec.templates[0].dag.tasks[2].dependencies: this DAG uses depends, so it cannot also use dependencies",
        id="depends-and-dependencies",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: e}\n"
            '    - {name: b, template: e, depends: "a &&"}\n- name: e\n  container: {image: alpine}\n'
        ),
        {},
        "t.yaml: spec.templates[0].dag.tasks[1].depends: ",
        id="bad-depends-syntax"
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: e}\n"
            '    - {name: b, template: e, depends: "a.Succeded"}\n- name: e\n  container: {image: alpine}\n'
        ),
        {},
        "t.yaml: spec.templates[0].dag.tasks[1].depends: ",
        id="bad-task-result",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: e, when: '{{workflow.name}} == == x'}\n"
            "- name: e\n  container: {image: alpine}\n"
        ),
        {},
        "t.yaml: spec.templates[0].steps[0][0].when: ",
        id="bad-when-syntax"
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: ['{{=1 +* 2}}']}\n"),
        {},
        "t.yaml: spec.templates[0].container.args[0]: invalid expression {{=1 +* 2}}: ",
        id="bad-expression-tag"
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: ['{{inputs.parameters.x']}\n"),
        {},
        "t.yaml: spec.templates[0].container.args[0]: {{ without a closing }}",
        id="unterminated-tag",
    ),
    pytest.param(
        wf("entrypoint: main\narguments: {parameters: [{name: message}]}\ntemplates:\n- name: main\n  container: {image: alpine}\n"),
        {},
        't.yaml: spec.arguments.parameters[0]: parameter "message" needs a value (give it with -p message=...)',
        id="missing-parameter-value",
    ),
    pytest.param(
        wf("entrypoint: main\narguments: {parameters: [{name: size, value: s, enum: [s, m]}]}\ntemplates:\n- name: main\n  container: {image: alpine}\n"),
        {"parameters": {"size": "xl"}},
        "t.yaml: spec.arguments.parameters[0].value: value 'xl' of parameter \"size\" is not one of its enum values: s, m",
        id="enum-violation",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  inputs: {parameters: [{name: msg, value: hi}]}\n  container: {image: alpine, args: ['{{inputs.parameters.mesage}}']}\n"),
        {},
        't.yaml: spec.templates[0].container.args[0]: cannot resolve {{inputs.parameters.mesage}}: template "main" has no input parameter "mesage" (did you mean "msg"?)',
        id="unknown-input-reference",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: gen}\n"
            "  - - {name: b, template: echo, arguments: {parameters: [{name: m, value: '{{steps.aa.outputs.result}}'}]}}\n" + ECHO
        ),
        {},
        't.yaml: spec.templates[0].steps[1][0].arguments.parameters[0].value: cannot resolve {{steps.aa.outputs.result}}: template "main" has no step named "aa" (did you mean "a"?)',
        id="unknown-steps-reference",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: gen}\n"
            "    - {name: b, template: echo, arguments: {parameters: [{name: m, value: '{{steps.a.outputs.result}}'}]}}\n" + ECHO
        ),
        {},
        't.yaml: spec.templates[0].steps[0][1].arguments.parameters[0].value: cannot resolve {{steps.a.outputs.result}}: step "a" does not run before this one',
        id="same-group-steps-reference",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: a, template: gen}\n"
            "    - {name: b, template: echo, arguments: {parameters: [{name: m, value: '{{tasks.a.outputs.result}}'}]}}\n" + ECHO
        ),
        {},
        't.yaml: spec.templates[0].dag.tasks[1].arguments.parameters[0].value: cannot resolve {{tasks.a.outputs.result}}: task "a" is not a dependency of this task',
        id="tasks-reference-without-dependency",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: echo}\n" + ECHO),
        {},
        't.yaml: spec.templates[1].inputs.parameters[0]: input parameter "m" of template "echo" was not supplied: '
        'give it in spec.templates[0].steps[0][0].arguments.parameters',
        id="missing-step-argument",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: ['{{workflow.parameters.nope}}']}\n"),
        {},
        't.yaml: spec.templates[0].container.args[0]: cannot resolve {{workflow.parameters.nope}}: the workflow has no parameter "nope"',
        id="unknown-workflow-parameter",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: ['{{item.name}}']}\n"),
        {},
        "t.yaml: spec.templates[0].container.args[0]: cannot resolve {{item.name}}: it is used outside a loop",
        id="item-outside-loop",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  timeout: 1d\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].timeout: invalid duration '1d': unknown unit 'd'",
        id="bad-duration",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  timeout: '30'\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].timeout: timeout '30' needs a unit, e.g. 30s",
        id="timeout-without-unit",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  retryStrategy: {limit: 2, backoff: {duration: 5x}}\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].retryStrategy.backoff.duration: invalid duration '5x'",
        id="bad-backoff-duration",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, resources: {limits: {memory: 32Mx}}}\n"),
        {},
        "t.yaml: spec.templates[0].container.resources.limits.memory: '32Mx' is not a valid quantity",
        id="bad-quantity",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: echo hi}\n"),
        {},
        "t.yaml: spec.templates[0].container.args: expected a list, got a string ('echo hi')",
        id="string-where-list",
    ),
    pytest.param(
        wf("entrypoint: main\nparallelism: '2'\ntemplates:\n- name: main\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.parallelism: expected an integer, got a string ('2')",
        id="string-where-integer",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - name: a\n      templateRef: {name: nope, template: hello}\n"),
        {},
        't.yaml: spec.templates[0].steps[0][0].templateRef.name: no WorkflowTemplate named "nope"',
        id="missing-workflowtemplate",
    ),
    pytest.param(
        WT + "---\n" + wf("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - name: a\n      templateRef: {name: lib, template: helo}\n"),
        {},
        't.yaml: spec.templates[0].steps[0][0].templateRef.template: WorkflowTemplate "lib" has no template named "helo" (did you mean "hello"?)',
        id="missing-template-in-workflowtemplate",
    ),
    pytest.param(
        wf(
            "entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine}\n  outputs:\n    parameters:\n"
            "    - {name: o, valueFrom: {path: /tmp/o, expression: 'x'}}\n"
        ),
        {},
        "t.yaml: spec.templates[0].outputs.parameters[0].valueFrom: valueFrom has several sources (path, expression); choose one",
        id="two-valuefrom-sources",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  inputs: {artifacts: [{name: a, path: /a, from: '{{x}}'}]}\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].inputs.artifacts[0].from: from is only valid in arguments, not in inputs",
        id="from-in-inputs",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  retryStrategy: {retryPolicy: Sometimes}\n  container: {image: alpine}\n"),
        {},
        "t.yaml: spec.templates[0].retryStrategy.retryPolicy: 'Sometimes' is not a valid retryPolicy",
        id="bad-retry-policy",
    ),
    pytest.param(
        wf("entrypoint: main\ntemplates:\n- name: main\n  container: {args: [hi]}\n"),
        {},
        't.yaml: spec.templates[0].container.image: template "main" needs a container image',
        id="missing-image",
    ),
]


@pytest.mark.parametrize("text, kwargs, expected", CASES)
def test_broken(text, kwargs, expected):
    with pytest.raises(SpecError) as info:
        check(text, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(expected), message


def test_enough_cases():
    assert len(CASES) >= 25


def test_enum_passes_with_allowed_value():
    text = wf("entrypoint: main\narguments: {parameters: [{name: size, value: s, enum: [s, m]}]}\ntemplates:\n- name: main\n  container: {image: alpine}\n")
    assert check(text, parameters={"size": "m"}) == "ok"


def test_missing_value_given_with_p():
    text = wf("entrypoint: main\narguments: {parameters: [{name: message}]}\ntemplates:\n- name: main\n  container: {image: alpine}\n")
    assert check(text, parameters={"message": "hello"}) == "ok"
    assert check(text, lint=True) == "ok"


def test_undeclared_p_is_a_warning():
    text = wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine}\n")
    bundle = load_text(text, "t.yaml")
    warnings = validate_workflow(bundle.workflows[0], file="t.yaml", parameters={"extra": "1"})
    assert warnings == ['t.yaml: spec.arguments.parameters: parameter "extra" given with -p is not declared by the workflow']


def test_entrypoint_override():
    text = wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine}\n- name: other\n  container: {image: alpine}\n")
    assert check(text, entrypoint="other") == "ok"
    with pytest.raises(SpecError, match='no template named "nope"'):
        check(text, entrypoint="nope")


def test_item_without_loop_is_a_warning():
    text = wf("entrypoint: main\ntemplates:\n- name: main\n  container: {image: alpine, args: ['{{item}}']}\n")
    bundle = load_text(text, "t.yaml")
    warnings = validate_workflow(bundle.workflows[0], file="t.yaml")
    assert warnings and "{{item}} is used outside a loop" in warnings[0]
