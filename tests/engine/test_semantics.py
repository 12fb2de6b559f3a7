"""More of Argo's rules on the fake runtime: sequences, continueOn, defaults, deadlines, hooks, errors."""

from __future__ import annotations

from localflow.runtime.fake import Outcome

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: s-}\nspec:\n"


def test_sequence_counts_down_and_formats(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: down, template: say, withSequence: {start: "5", end: "3"}}
      - {name: fmt, template: say, withSequence: {count: "2", format: "node-%02d"}}
  - name: say
    container: {image: alpine, command: [echo, "{{item}}"]}
""")
    names = set(h.by_name(run))
    assert {"wf[0].down(0:5)", "wf[0].down(1:4)", "wf[0].down(2:3)"} <= names
    assert {"wf[0].fmt(0:node-00)", "wf[0].fmt(1:node-01)"} <= names


def test_continue_on_failed_in_steps_keeps_going(h):
    h.runtime.on("fail", Outcome(exit_code=1))
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: bad, template: fail, continueOn: {failed: true}}
    - - {name: after, template: ok, arguments: {parameters: [{name: s, value: "{{steps.bad.status}}"}]}}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
  - name: ok
    inputs: {parameters: [{name: s}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.s}}"]}
""")
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[1].after"].inputs["parameters"][0]["value"] == "Failed"


def test_template_defaults_apply_and_template_wins(h):
    h.runtime.on("flaky", lambda spec, attempt: Outcome(exit_code=0 if attempt == 1 else 1))
    run = h.run(HEAD + """
  entrypoint: flaky
  templateDefaults:
    retryStrategy: {limit: "2"}
    container: {image: alpine, env: [{name: FROM_DEFAULTS, value: "yes"}]}
  templates:
  - name: flaky
    container: {image: busybox, command: [sh, -c, "exit 1"]}
""")
    assert run.phase == "Succeeded"
    pods = [p for p in h.runtime.pods if p.template_name == "flaky"]
    assert len(pods) == 2  # retried thanks to the defaults
    assert pods[0].main.image == "busybox" and pods[0].main.env["FROM_DEFAULTS"] == "yes"


def test_suspend_duration_resumes_by_itself(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: wait, template: wait}
    - - {name: go, template: say}
  - name: wait
    suspend: {duration: "20s"}
  - name: say
    container: {image: alpine, command: [echo, go]}
""")
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[0].wait"].type == "Suspend"
    assert sum(h.clock.sleeps) >= 20


def test_active_deadline_fails_pod_with_argos_message(h):
    h.runtime.on("slow", Outcome(duration=60))
    run = h.run(HEAD + """
  entrypoint: slow
  templates:
  - name: slow
    activeDeadlineSeconds: 10
    container: {image: alpine, command: [sleep, "60"]}
""")
    assert run.phase == "Failed"
    assert h.by_name(run)["wf"].message == "Pod was active on the node longer than the specified deadline"


def test_bad_when_errors_the_node(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: odd, template: say, when: "foo bar ==="}
  - name: say
    container: {image: alpine, command: [echo, x]}
""")
    node = h.by_name(run)["wf[0].odd"]
    assert node.phase == "Error"
    assert "when" in node.message
    assert run.phase == "Failed"


def test_step_exit_hook_and_expression_hook(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: work
        template: say
        hooks:
          exit: {template: say}
          done: {template: say, expression: "steps.work.status == 'Succeeded'"}
          never: {template: say, expression: "steps.work.status == 'Failed'"}
  - name: say
    container: {image: alpine, command: [echo, x]}
""")
    names = set(h.by_name(run))
    assert "wf[0].work.onExit" in names
    assert "wf[0].work.hooks.done" in names
    assert "wf[0].work.hooks.never" not in names


def test_unresolvable_step_reference_is_an_error(h):
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: a, template: say}
    - - name: b
        template: use
        arguments: {parameters: [{name: p, value: "{{steps.a.outputs.parameters.nope}}"}]}
  - name: say
    container: {image: alpine, command: [echo, x]}
  - name: use
    inputs: {parameters: [{name: p}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.p}}"]}
""")
    node = h.by_name(run)["wf[1].b"]
    assert node.phase == "Error"
    assert "steps.a.outputs.parameters.nope" in node.message


def test_expression_tags_and_loop_aggregate_of_parameters(h):
    h.runtime.on("gen", lambda spec, a: Outcome(files={"/tmp/o": spec.main.args[0]}))
    run = h.run(HEAD + """
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: gen
        template: gen
        arguments: {parameters: [{name: v, value: "{{=asInt(item) * 10}}"}]}
        withItems: [1, 2]
    - - name: sum
        template: say
        arguments: {parameters: [{name: m, value: "{{steps.gen.outputs.parameters.o}}"}]}
  - name: gen
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, args: ["{{inputs.parameters.v}}"]}
    outputs: {parameters: [{name: o, valueFrom: {path: /tmp/o}}]}
  - name: say
    inputs: {parameters: [{name: m}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
""")
    assert run.phase == "Succeeded", run.message
    assert h.by_name(run)["wf[1].sum"].inputs["parameters"][0]["value"] == '["10","20"]'


def test_workflow_parallelism_bounds_pods(h):
    h.runtime.on("work", Outcome(duration=1.0))
    run = h.run(HEAD + """
  entrypoint: main
  parallelism: 3
  templates:
  - name: main
    dag:
      tasks:
      - {name: w, template: work, withSequence: {count: "9"}}
  - name: work
    container: {image: alpine, command: [echo, x]}
""")
    assert run.phase == "Succeeded"
    assert h.runtime.max_running == 3
    assert h.by_name(run)["wf.w"].type == "TaskGroup"
