"""Argo's variables where Argo sets them (operator.go setGlobalParameters, setGlobalRuntimeParameters,
executeTemplate's localParams), on the fake runtime."""

from __future__ import annotations

from localflow.runtime.fake import Outcome

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: v-}\nspec:\n"


def two_steps(first: str, then: str, templates: str, top: str = "") -> str:
    """A workflow whose entrypoint runs template `first`, then `then` (steps named as the templates)."""
    return HEAD + top + f"""
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {{name: {first}, template: {first}}}
    - - {{name: {then}, template: {then}}}
""" + templates


def argv(h, template: str) -> list[list[str]]:
    return [list(p.main.command or []) + list(p.main.args or []) for p in h.runtime.pods if p.template_name == template]


def test_steps_name_and_tasks_name_are_the_callers_name(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: first, template: say}
      - {name: loop, template: say, withItems: [a]}
    - - name: pass-on
        template: take
        arguments: {parameters: [{name: p, value: "[{{steps.name}}]"}]}
    - - {name: graph, template: graph}
  - name: graph
    dag:
      tasks:
      - {name: t1, template: say-task}
      - {name: t2, template: say-task, withParam: '["x"]', depends: t1}
  - name: say
    container: {image: alpine, command: [echo, "{{steps.name}}"]}
  - name: say-task
    container: {image: alpine, command: [echo, "{{tasks.name}}", "{{steps.name}}"]}
  - name: take
    inputs: {parameters: [{name: p}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.p}}"]}
""")
    assert run.phase == "Succeeded", run.message
    assert sorted(argv(h, "say")) == [["echo", "first"], ["echo", "loop(0:a)"]]
    # a step's own arguments are substituted with its caller's: the entrypoint is an unnamed step
    assert argv(h, "take") == [["echo", "[]"]]
    # a template a task calls has tasks.name (the expanded name for a loop item) and no steps.name
    assert sorted(argv(h, "say-task")) == [["echo", "t1", "{{steps.name}}"], ["echo", "t2(0:x)", "{{steps.name}}"]]


def test_labels_annotations_and_scheduled_time(h):
    run = h.run("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: v-
  labels: {tier: example, app: demo}
  annotations:
    workflows.argoproj.io/scheduled-time: "2026-04-29T00:00:00Z"
    note: "a<b"
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: alpine
      command: [echo, "{{workflow.labels}}", "{{workflow.labels.json}}", "{{workflow.labels.app}}",
                "{{workflow.annotations.json}}", "{{workflow.annotations.note}}", "{{workflow.scheduledTime}}"]
""")
    assert run.phase == "Succeeded", run.message
    annotations = '{"note":"a\\u003cb","workflows.argoproj.io/scheduled-time":"2026-04-29T00:00:00Z"}'
    assert argv(h, "main") == [["echo", '{"app":"demo","tier":"example"}', '{"app":"demo","tier":"example"}', "demo",
                                annotations, "a<b", "2026-04-29T00:00:00Z"]]


def test_without_labels_or_schedule(h):
    h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, "{{workflow.labels.json}}", "{{workflow.annotations}}", "{{workflow.scheduledTime}}"]}
""")
    # nil maps marshal as null; workflow.scheduledTime exists only for a CronWorkflow's workflows
    assert argv(h, "main") == [["echo", "null", "null", "{{workflow.scheduledTime}}"]]


def test_workflow_status_and_duration_while_running_and_on_exit(h):
    h.runtime.on("slow", Outcome(duration=5))
    h.runtime.on("bad", Outcome(exit_code=1))
    run = h.run(two_steps("slow", "bad", top="  onExit: report", templates="""
  - name: slow
    container: {image: alpine, command: [echo, "{{workflow.status}}", "{{workflow.duration}}"]}
  - name: bad
    container: {image: alpine, command: [sh, -c, "{{workflow.status}} {{workflow.duration}}"]}
  - name: report
    container: {image: alpine, command: [echo, "{{workflow.status}}", "{{workflow.duration}}"]}
"""))
    assert run.phase == "Failed"
    assert argv(h, "slow") == [["echo", "Running", "0.000000"]]
    status, duration = argv(h, "bad")[0][2].split()
    assert status == "Running" and float(duration) >= 5
    [[_, final, total]] = argv(h, "report")
    assert final == "Failed" and float(total) >= 5


def test_input_defaults_with_expressions_over_globals(h):
    # expression-destructure-json.yaml, expression-reusing-verbose-snippets.yaml
    run = h.run(HEAD + """
  arguments: {parameters: [{name: config, value: '{"a": "1", "e": [{"n": "x", "age": 43}, {"n": "y", "age": 7}]}'}]}
  entrypoint: main
  templates:
  - name: main
    inputs:
      parameters:
      - {name: a, value: "{{=jsonpath(workflow.parameters.config, '$.a')}}"}
      - {name: old, value: "{{=jsonpath(workflow.parameters.config, '$.e[?(@.age>42 && @.n==\\"x\\")].n')}}"}
      - {name: both, value: "{{inputs.parameters.a}}-{{=jsonpath(inputs.parameters['old'], '$[0]')}}"}
    container: {image: alpine, command: [echo, "{{inputs.parameters.a}}", "{{inputs.parameters.old}}",
                                         "{{inputs.parameters.both}}"]}
""")
    assert run.phase == "Succeeded", run.message
    assert argv(h, "main") == [["echo", "1", '["x"]', "1-x"]]


def test_global_output_parameter_seen_by_a_later_step(h):
    # global-outputs.yaml
    h.runtime.on("gen", Outcome(files={"/tmp/p": "hello"}))
    run = h.run(two_steps("gen", "use", templates="""
  - name: gen
    container: {image: alpine, command: ["true"]}
    outputs: {parameters: [{name: p, globalName: my-global-param, valueFrom: {path: /tmp/p}}]}
  - name: use
    container: {image: alpine, command: [echo, "{{workflow.outputs.parameters.my-global-param}}"]}
"""))
    assert run.phase == "Succeeded", run.message
    assert argv(h, "use") == [["echo", "hello"]]
