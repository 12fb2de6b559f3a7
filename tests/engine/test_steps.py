from __future__ import annotations

import json
import re

from localflow.engine import nodes as N
from localflow.runtime.fake import Outcome


STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: steps-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: hello1
        template: say
        arguments: {parameters: [{name: message, value: hello1}]}
    - - name: hello2a
        template: say
        arguments: {parameters: [{name: message, value: hello2a}]}
      - name: hello2b
        template: say
        arguments: {parameters: [{name: message, value: hello2b}]}
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
"""


def test_steps_run_in_groups_with_argo_node_names(h):
    run = h.run(STEPS)
    assert run.phase == "Succeeded"
    nodes = h.by_name(run)
    assert set(nodes) == {"wf", "wf[0]", "wf[0].hello1", "wf[1]", "wf[1].hello2a", "wf[1].hello2b"}
    assert nodes["wf"].type == "Steps"
    assert nodes["wf[0]"].type == "StepGroup"
    assert nodes["wf[0].hello1"].type == "Pod"
    assert nodes["wf[1].hello2a"].boundary_id == nodes["wf"].id
    # group 0 ran before group 1
    assert h.runtime.order[0] == "wf[0].hello1"
    assert set(h.runtime.order[1:]) == {"wf[1].hello2a", "wf[1].hello2b"}
    assert nodes["wf[1].hello2b"].inputs == {"parameters": [{"name": "message", "value": "hello2b"}]}


def test_failed_step_fails_group_and_workflow_and_stops_later_groups(h):
    h.runtime.on("say", lambda spec, attempt: Outcome(exit_code=1 if "hello1" in spec.node_name else 0))
    run = h.run(STEPS)
    nodes = h.by_name(run)
    assert run.phase == "Failed"
    assert nodes["wf[0].hello1"].phase == "Failed"
    assert nodes["wf[0].hello1"].message == "main: Error (exit code 1)"
    assert nodes["wf[0]"].message == f"child '{nodes['wf[0].hello1'].id}' failed"
    assert "wf[1]" not in nodes


def test_when_skips_with_argo_message_and_result_feeds_it(h):
    h.runtime.on("flip", Outcome(stdout="heads"))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: coinflip-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: flip, template: flip}
        - - {name: heads, template: say, when: "{{steps.flip.outputs.result}} == heads"}
          - {name: tails, template: say, when: "{{steps.flip.outputs.result}} == tails"}
      - name: flip
        script: {image: python, command: [python], source: "print('heads')"}
      - name: say
        container: {image: alpine, command: [echo, hi]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[1].heads"].phase == "Succeeded"
    assert nodes["wf[1].tails"].phase == "Skipped"
    assert nodes["wf[1].tails"].type == "Skipped"
    assert nodes["wf[1].tails"].message == "when 'heads == tails' evaluated false"
    # the script was staged and appended as the last argument, as Argo does
    flip = next(p for p in h.runtime.pods if p.template_name == "flip")
    assert flip.main.args[-1] == "/argo/staging/script"


def test_loops_name_children_and_aggregate_results(h):
    h.runtime.on("gen", Outcome(stdout=json.dumps([1, 2, 3])))
    h.runtime.on("sq", lambda spec, a: Outcome(stdout=str(int(spec.main.args[0]) ** 2)))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: loops-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: gen, template: gen}
        - - name: sq
            template: sq
            arguments: {parameters: [{name: num, value: "{{item}}"}]}
            withParam: "{{steps.gen.outputs.result}}"
        - - name: total
            template: say
            arguments: {parameters: [{name: m, value: "{{steps.sq.outputs.result}}"}]}
        - - name: maps
            template: say
            arguments: {parameters: [{name: m, value: "{{item.os}}-{{item.v}}"}]}
            withItems: [{os: debian, v: "9.1"}, {os: alpine, v: "3.6"}]
      - name: gen
        script: {image: python, command: [python], source: "x"}
      - name: sq
        inputs: {parameters: [{name: num}]}
        container: {image: alpine, args: ["{{inputs.parameters.num}}"]}
      - name: say
        inputs: {parameters: [{name: m}]}
        container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded", run.message
    assert "wf[1].sq(0:1)" in nodes and "wf[1].sq(2:3)" in nodes
    assert nodes["wf[2].total"].inputs["parameters"][0]["value"] == "[1,4,9]"
    assert "wf[3].maps(0:os:debian,v:9.1)" in nodes
    assert nodes["wf[3].maps(1:os:alpine,v:3.6)"].inputs["parameters"][0]["value"] == "alpine-3.6"


def test_empty_loop_is_skipped(h):
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: empty-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: none, template: say, withParam: "[]"}
      - name: say
        container: {image: alpine, command: [echo, hi]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[0].none"].phase == "Skipped"
    assert nodes["wf[0].none"].message == "Skipped, empty params"


def test_output_parameters_and_global_outputs(h):
    h.runtime.on("gen", Outcome(files={"/tmp/out.txt": "hello world\n"}))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: out-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: gen, template: gen}
        - - name: use
            template: say
            arguments: {parameters: [{name: m, value: "{{steps.gen.outputs.parameters.p}}"}]}
        outputs:
          parameters:
          - name: final
            valueFrom: {parameter: "{{steps.gen.outputs.parameters.p}}"}
      - name: gen
        container: {image: alpine, command: [sh, -c, "echo hello world > /tmp/out.txt"]}
        outputs:
          parameters:
          - name: p
            globalName: g
            valueFrom: {path: /tmp/out.txt}
          - name: missing
            valueFrom: {path: /tmp/nope, default: fallback}
      - name: say
        inputs: {parameters: [{name: m}]}
        container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded", run.message
    assert nodes["wf[1].use"].inputs["parameters"][0]["value"] == "hello world"
    assert {"name": "missing", "value": "fallback"} in nodes["wf[0].gen"].outputs["parameters"]
    assert nodes["wf"].outputs["parameters"] == [{"name": "final", "value": "hello world"}]
    assert run.to_argo()["status"]["outputs"]["parameters"] == [{"name": "g", "value": "hello world"}]


def test_recursion_is_bounded(h):
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: rec-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: again, template: main}
    """)
    assert run.phase in ("Failed", "Error")
    assert any("maximum recursion depth" in n.message for n in run.nodes.values())


def test_exit_handler_sees_status_and_failures(h):
    h.runtime.on("fail", Outcome(exit_code=1))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: exit-}
    spec:
      entrypoint: fail
      onExit: handler
      templates:
      - name: fail
        container: {image: alpine, command: [sh, -c, "exit 1"]}
      - name: handler
        steps:
        - - {name: celebrate, template: say, when: "{{workflow.status}} == Succeeded"}
          - {name: cry, template: say, when: "{{workflow.status}} != Succeeded"}
      - name: say
        container: {image: alpine, command: [echo, "{{workflow.status}}"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Failed"
    assert nodes["wf.onExit"].phase == "Succeeded"
    assert nodes["wf.onExit[0].cry"].phase == "Succeeded"
    assert nodes["wf.onExit[0].celebrate"].phase == "Skipped"
    assert ("cry", "Failed") in h.logs


def _failures_seen(h, text: str, name: str) -> str:
    h.run(text, name=name)
    seen = [line for display, line in h.logs if display == f"{name}.onExit"]
    assert len(seen) == 1, h.logs
    return seen[0]


EXIT_REPORT = """
      - name: report
        container: {image: alpine, command: [echo, "{{workflow.failures}}"]}
"""


def test_workflow_failures_is_argos_quoted_json_of_failed_nodes(h):
    """Argo's TestStepsOnExitFailures (operator_test.go): a workflow `exit-handlers` whose entrypoint, the
    container template `intentional-fail`, fails; the exit handler's value starts
    `"[{\"displayName\":\"exit-handlers\",\"message\":...,\"templateName\":\"intentional-fail\",
    \"phase\":\"Failed\",\"podName\":\"exit-handlers\"` (Argo's operator: strconv.Quote of
    json.Marshal, fields in that order, then finishedAt)."""
    h.runtime.on("intentional-fail", Outcome(exit_code=1))
    value = _failures_seen(h, """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: exit-handlers}
    spec:
      entrypoint: intentional-fail
      onExit: report
      templates:
      - name: intentional-fail
        container: {image: alpine, command: [sh, -c, "exit 1"]}
    """ + EXIT_REPORT, "exit-handlers")
    assert value.startswith('"[{\\"displayName\\":\\"exit-handlers\\",\\"message\\":\\"'), value
    entries = json.loads(json.loads(value))  # quoted once by strconv.Quote, then JSON
    assert len(entries) == 1
    assert list(entries[0]) == ["displayName", "message", "templateName", "phase", "podName", "finishedAt"]
    assert entries[0]["templateName"] == "intentional-fail" and entries[0]["phase"] == "Failed"
    assert entries[0]["podName"] == "exit-handlers" and entries[0]["message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entries[0]["finishedAt"])


def test_workflow_failures_lists_failed_nodes_of_every_type(h):
    """Argo lists every node Failed or Error (operator.go: no filter on the type): the pod, its step group
    and the steps node that failed with it; templateName is GetTemplateFromNode's (empty for a step
    group) and podName GeneratePodName's v2 for any node."""
    h.runtime.on("boom", Outcome(exit_code=1))
    value = _failures_seen(h, """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: fails}
    spec:
      entrypoint: main
      onExit: report
      templates:
      - name: main
        steps:
        - - {name: ok, template: fine}
          - {name: bad, template: boom}
      - name: fine
        container: {image: alpine, command: [echo, fine]}
      - name: boom
        container: {image: alpine, command: [sh, -c, "exit 1"]}
    """ + EXIT_REPORT, "fails")
    entries = {e["displayName"]: e for e in json.loads(json.loads(value))}
    assert set(entries) == {"fails", "[0]", "bad"}
    assert entries["bad"]["templateName"] == "boom"
    assert entries["bad"]["podName"] == f"fails-boom-{N.fnv32a('fails[0].bad')}"
    assert entries["[0]"]["templateName"] == "" and entries["[0]"]["podName"] == f"fails-{N.fnv32a('fails[0]')}"
    assert entries["fails"]["templateName"] == "main" and entries["fails"]["podName"] == "fails"


def test_workflow_failures_without_a_failure_is_the_quoted_null(h):
    """util/variables/keys/globals.go: 'When no nodes have failed, the value is the literal 6-character
    string "null" (with quotes)'."""
    value = _failures_seen(h, """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {name: fine}
    spec:
      entrypoint: ok
      onExit: report
      templates:
      - name: ok
        container: {image: alpine, command: [echo, fine]}
    """ + EXIT_REPORT, "fine")
    assert value == '"null"'


def test_parameters_from_cli_override_defaults(h):
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: p-}
    spec:
      entrypoint: say
      arguments: {parameters: [{name: message, value: hello world}]}
      templates:
      - name: say
        inputs: {parameters: [{name: message}]}
        container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
    """, parameters={"message": "goodbye world"})
    assert run.phase == "Succeeded"
    assert ("wf", "goodbye world") in h.logs
