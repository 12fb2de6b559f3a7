"""Validation beyond the one-line broken variants: templates in other files, CronWorkflows,
WorkflowTemplates on their own, and what Argo accepts that a stricter checker might not."""

from __future__ import annotations

import pytest
from spec_helpers import dedent

from localflow.errors import SpecError
from localflow.spec.cron import schedule_problem
from localflow.spec.load import load_text, merge
from localflow.spec.validate import (
    validate_bundle,
    validate_cron_workflow,
    validate_workflow,
    validate_workflow_template,
)

LIB = dedent(
    """
    apiVersion: argoproj.io/v1alpha1
    kind: WorkflowTemplate
    metadata:
      name: lib
    spec:
      entrypoint: hello
      arguments:
        parameters: [{name: who, value: world}]
      templates:
      - name: hello
        inputs: {parameters: [{name: who}]}
        steps:
        - - name: say
            template: echo
            arguments: {parameters: [{name: m, value: "{{inputs.parameters.who}} {{workflow.parameters.who}}"}]}
      - name: echo
        inputs: {parameters: [{name: m}]}
        container: {image: alpine, args: ["{{inputs.parameters.m}}"]}
    """
)


def workflow(spec: str, meta: str = "generateName: t-") -> str:
    body = "".join("  " + line + "\n" for line in dedent(spec).splitlines())
    return f"apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  {meta}\nspec:\n{body}"


def test_template_ref_into_another_file():
    lib = load_text(LIB, "lib.yaml")
    wf = load_text(
        workflow(
            """
            entrypoint: main
            arguments: {parameters: [{name: who, value: you}]}
            templates:
            - name: main
              steps:
              - - name: call
                  templateRef: {name: lib, template: hello}
                  arguments: {parameters: [{name: who, value: me}]}
            """
        ),
        "wf.yaml",
    )
    assert validate_workflow(wf.workflows[0], templates=lib) == []
    # Errors inside the WorkflowTemplate name its file.
    broken = load_text(LIB.replace("template: echo", "template: ecko"), "lib.yaml")
    with pytest.raises(SpecError) as info:
        validate_workflow(wf.workflows[0], templates=broken)
    assert str(info.value) == 'lib.yaml: spec.templates[0].steps[0][0].template: no template named "ecko" (did you mean "echo"?)'


def test_template_ref_without_argument():
    lib = load_text(LIB, "lib.yaml")
    wf = load_text(
        workflow(
            """
            entrypoint: main
            arguments: {parameters: [{name: who, value: you}]}
            templates:
            - name: main
              steps:
              - - name: call
                  templateRef: {name: lib, template: hello}
            """
        ),
        "wf.yaml",
    )
    with pytest.raises(SpecError, match=r'^lib.yaml: spec.templates\[0\].inputs.parameters\[0\]: input parameter "who" of template "hello" '
                       r'was not supplied: give it in wf.yaml: spec.templates\[0\].steps\[0\]\[0\].arguments.parameters'):
        validate_workflow(wf.workflows[0], templates=lib)


def test_workflow_template_ref():
    lib = load_text(LIB, "lib.yaml")
    wf = load_text(workflow("workflowTemplateRef: {name: lib}\narguments: {parameters: [{name: who, value: x}]}"), "wf.yaml")
    assert validate_workflow(wf.workflows[0], templates=lib) == []
    with pytest.raises(SpecError, match=r'^wf.yaml: spec.workflowTemplateRef.name: no WorkflowTemplate named "lbi" \(did you mean "lib"\?\)'):
        validate_workflow(load_text(workflow("workflowTemplateRef: {name: lbi}"), "wf.yaml").workflows[0], templates=lib)
    with pytest.raises(SpecError, match="must not have templates of its own"):
        text = workflow("workflowTemplateRef: {name: lib}\ntemplates:\n- name: x\n  container: {image: a}")
        validate_workflow(load_text(text, "wf.yaml").workflows[0], templates=lib)


def test_workflow_template_alone_may_lack_values_and_entrypoint():
    text = LIB.replace("  entrypoint: hello\n", "").replace("{name: who, value: world}", "{name: who}")
    assert validate_workflow_template(load_text(text, "lib.yaml").workflow_templates["lib"]) == []


def test_cron_workflow():
    text = dedent(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: nightly}
        spec:
          schedules: ["0 2 * * *", "@every 1h"]
          timezone: UTC
          concurrencyPolicy: Forbid
          workflowSpec:
            entrypoint: main
            templates:
            - name: main
              container: {image: alpine}
        """
    )
    cron = load_text(text, "c.yaml").cron_workflows[0]
    assert validate_cron_workflow(cron) == []
    for old, new, message in [
        ('"0 2 * * *"', '"0 25 * * *"', "c.yaml: spec.schedules[0]: cron schedule '0 25 * * *' is malformed: hour '25' is out of range"),
        ("concurrencyPolicy: Forbid", "concurrencyPolicy: Never", "c.yaml: spec.concurrencyPolicy: 'Never' is not a valid concurrencyPolicy"),
        ("timezone: UTC", "timezone: Mars/Olympus", "c.yaml: spec.timezone: unknown timezone 'Mars/Olympus'"),
        ("name: nightly", "name: " + "n" * 53, "c.yaml: metadata.name: name '" + "n" * 53 + "' must not be more than 52 characters long"),
        ("entrypoint: main", "entrypoint: mian", 'c.yaml: spec.workflowSpec.entrypoint: no template named "mian"'),
    ]:
        with pytest.raises(SpecError) as info:
            validate_cron_workflow(load_text(text.replace(old, new), "c.yaml").cron_workflows[0])
        assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    "schedule, ok",
    [("* * * * *", True), ("*/5 1-3 * JAN-JUN MON,FRI", True), ("@hourly", True), ("@every 90s", True), ("* * * *", False), ("@sometimes", False), ("0 0 32 * *", False)],
)
def test_schedules(schedule, ok):
    assert (schedule_problem(schedule) is None) is ok


def test_bundle_with_everything():
    text = LIB + "---\n" + workflow("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - name: a\n      templateRef: {name: lib, template: echo}\n      arguments: {parameters: [{name: m, value: x}]}")
    bundle = load_text(text, "all.yaml")
    assert validate_bundle(bundle) == []
    assert validate_bundle(bundle, templates=merge([bundle])) == []


ACCEPTED = [
    # withParam loops may use any item key.
    ("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: e, withParam: '[1]', arguments: {parameters: [{name: m, value: '{{item.anything}}'}]}}\n"
    "- name: e\n  inputs: {parameters: [{name: m}]}\n  container: {image: alpine}"),
    # withItems maps give their keys.
    ("entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: e, withItems: [{os: x}], arguments: {parameters: [{name: m, value: '{{item.os}}'}]}}\n"
    "- name: e\n  inputs: {parameters: [{name: m}]}\n  container: {image: alpine}"),
    # Aggregated outputs of a loop, exit-handler variables, global outputs.
    ("entrypoint: main\nonExit: bye\ntemplates:\n- name: main\n  steps:\n  - - {name: a, template: g, withItems: [1, 2]}\n"
    "  - - {name: b, template: e, arguments: {parameters: [{name: m, value: '{{steps.a.outputs.parameters}} {{steps.a.outputs.result}}'}]}}\n"
    "- name: g\n  script: {image: alpine, source: x}\n  outputs: {parameters: [{name: o, globalName: out, valueFrom: {path: /o}}]}\n"
    "- name: e\n  inputs: {parameters: [{name: m}]}\n  container: {image: alpine}\n"
    "- name: bye\n  container: {image: alpine, args: ['{{workflow.status}} {{workflow.failures}} {{workflow.outputs.parameters.out}} {{workflow.duration}}']}"),
    # A daemon's ip, a DAG's outputs from any task, expression tags left to run time.
    ("entrypoint: main\ntemplates:\n- name: main\n  dag:\n    tasks:\n    - {name: db, template: d}\n"
    "    - {name: c, template: e, depends: db, arguments: {parameters: [{name: m, value: '{{tasks.db.ip}} {{=tasks.db.ip}}'}]}}\n"
    "  outputs: {parameters: [{name: r, valueFrom: {parameter: '{{tasks.c.outputs.result}}'}}]}\n"
    "- name: d\n  daemon: true\n  container: {image: redis}\n"
    "- name: e\n  inputs: {parameters: [{name: m}]}\n  container: {image: alpine}"),
    # Labels, annotations and the priority are workflow variables; {{item}} outside a loop is left alone.
    ("entrypoint: main\npriority: 3\nworkflowMetadata: {labels: {team: a}}\ntemplates:\n- name: main\n"
    "  container: {image: alpine, args: ['{{workflow.labels.team}} {{workflow.priority}} {{foo}} {{item}}']}"),
    # Recursion.
    "entrypoint: main\ntemplates:\n- name: main\n  steps:\n  - - {name: again, template: main, when: '1 == 2'}",
    # A hook whose template is missing is only a warning (Argo does not look before it runs).
    "entrypoint: main\nhooks: {exit: {template: gone}}\ntemplates:\n- name: main\n  container: {image: alpine}",
]


@pytest.mark.parametrize("spec", ACCEPTED)
def test_accepted(spec):
    bundle = load_text(workflow(spec), "ok.yaml")
    validate_workflow(bundle.workflows[0], templates=bundle)


def test_missing_hook_template_warns():
    bundle = load_text(workflow(ACCEPTED[-1]), "ok.yaml")
    warnings = validate_workflow(bundle.workflows[0], templates=bundle)
    assert any('no template named "gone"' in w for w in warnings)


def test_missing_name_is_a_warning():
    bundle = load_text(workflow("entrypoint: main\ntemplates:\n- name: main\n  container: {image: a}", meta="labels: {a: b}"), "n.yaml")
    assert validate_workflow(bundle.workflows[0]) == ["n.yaml: metadata: the Workflow has neither name nor generateName (Kubernetes would refuse it)"]


@pytest.mark.parametrize("seed", range(40))
def test_cycles_and_ancestors_as_networkx_finds_them(seed):
    import random

    import networkx as nx

    from localflow.spec.validate_flow import _ancestors, cycle_chain

    r = random.Random(seed)
    nodes = [f"n{i}" for i in range(r.randint(1, 12))]
    edges = [(r.choice(nodes), r.choice(nodes)) for _ in range(r.randint(0, 20))]
    if seed % 2:  # half of them without cycles: edges only forward
        edges = [(a, b) for a, b in edges if nodes.index(a) < nodes.index(b)]
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    try:
        cycle = nx.find_cycle(graph)
        expected = "->".join([cycle[0][0], *[edge[1] for edge in cycle]])
    except nx.NetworkXNoCycle:
        expected = None
    assert cycle_chain(nodes, edges) == expected
    if expected is None:
        before: dict[str, list[str]] = {}
        for a, b in edges:
            before.setdefault(b, []).append(a)
        for n in nodes:
            assert _ancestors(before, n) == nx.ancestors(graph, n)
