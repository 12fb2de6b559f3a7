"""Node ids as Argo computes them (`<wf>-<FNV-1a 32 of the node name>`), and no node lost when two
names hash alike. Expected hashes come from the FNV-1a definition below and Argo's own test value,
never from localflow."""

from __future__ import annotations

from localflow.engine import nodes as N


def fnv1a_32(text: str) -> int:
    """FNV-1a, 32 bits (offset basis 2166136261, prime 16777619), as Go's hash/fnv New32a."""
    h = 2166136261
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) % 2**32
    return h


# two DAG task node names of workflow "collide" whose FNV-1a hashes are equal (found by a search over
# random six-letter task names; the assertion below checks it against the definition)
FIRST, SECOND = "collide.pezbeh", "collide.qxozsc"

COLLIDING = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: collide}
spec:
  entrypoint: main
  templates:
  - name: say
    inputs: {parameters: [{name: m}]}
    outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
  - name: main
    dag:
      tasks:
      - {name: pezbeh, template: say, arguments: {parameters: [{name: m, value: one}]}}
      - {name: qxozsc, depends: pezbeh, template: say, arguments: {parameters: [{name: m, value: two}]}}
      - name: both
        depends: pezbeh && qxozsc
        template: say
        arguments:
          parameters:
          - {name: m, value: "{{tasks.pezbeh.outputs.parameters.out}}+{{tasks.qxozsc.outputs.parameters.out}}"}
"""


def test_fnv32a_is_go_fnv_new32a():
    assert fnv1a_32("hello") == 1335831723  # Argo's ui/src pod-name test: createFNVHash('hello')
    assert fnv1a_32("world") == 933488787
    for text in ("hello", "world", "wf.A", FIRST, "wf[0].step(12:{\"a\":1})", "ünïcode"):
        assert N.fnv32a(text) == fnv1a_32(text)


def test_argo_ids_where_unique(h):
    run = h.run(COLLIDING.replace("qxozsc", "other"), name="collide")
    for node in run.nodes.values():
        expected = "collide" if node.name == "collide" else f"collide-{fnv1a_32(node.name)}"
        assert node.id == expected
    assert h.notices == []


def test_colliding_names_keep_both_nodes(h):
    from localflow.runtime.fake import Outcome
    assert fnv1a_32(FIRST) == fnv1a_32(SECOND)
    h.runtime.on("say", lambda spec, a: Outcome(files={"/tmp/out": spec.node_name.split(".")[-1]}))
    run = h.run(COLLIDING, name="collide")
    by_name = h.by_name(run)
    assert set(by_name) == {"collide", FIRST, SECOND, "collide.both"}
    assert run.phase == "Succeeded" and all(n.phase == "Succeeded" for n in by_name.values())
    argo_id = f"collide-{fnv1a_32(FIRST)}"
    assert by_name[FIRST].id == argo_id  # created first: Argo's id
    assert by_name[SECOND].id == f"{argo_id}-1"  # the later one: disambiguated
    assert len({n.pod_name for n in by_name.values() if n.pod_name}) == 3
    assert by_name[SECOND].pod_name == f"collide-say-{fnv1a_32(SECOND)}-1"
    assert by_name["collide.both"].inputs["parameters"][0]["value"] == "pezbeh+qxozsc"
    assert set(by_name["collide"].children) == {argo_id}
    assert set(by_name[FIRST].children) == {f"{argo_id}-1", by_name["collide.both"].id}
    warnings = [m for m in h.notices if "collision" in m]
    assert len(warnings) == 1 and FIRST in warnings[0] and SECOND in warnings[0]


def test_retry_keeps_the_ids_and_warns_no_more(h):
    import asyncio

    from localflow.engine.run import WorkflowRun
    from localflow.runtime.fake import Outcome
    from localflow.spec.load import load_text
    h.runtime.on("say", lambda spec, a: Outcome(exit_code=1 if spec.node_name == SECOND else 0,
                                                files={"/tmp/out": "x"}))
    first = h.run(COLLIDING, name="collide")
    assert first.phase == "Failed" and len(h.notices) == 1
    h.runtime.on("say", Outcome(files={"/tmp/out": "x"}))
    h.runtime.order.clear()
    wf = load_text(COLLIDING, "t.yaml").workflows[0]
    notices = []
    events = type("E", (), {"node_changed": lambda *a: None, "log": lambda *a: None,
                            "notice": lambda self, run, m: notices.append(m)})()
    second = WorkflowRun(wf, runtime=h.runtime, name="collide", clock=h.clock, previous=first.to_argo(),
                         events=events)
    asyncio.run(second.execute())
    assert second.phase == "Succeeded"
    assert sorted(h.runtime.order) == ["collide.both", SECOND]  # the first of the pair is reused
    by_name = h.by_name(second)
    assert by_name[FIRST].id == f"collide-{fnv1a_32(FIRST)}" and by_name[SECOND].id == f"collide-{fnv1a_32(FIRST)}-1"
    assert notices == []
