from __future__ import annotations

from localflow.runtime.fake import Outcome


DIAMOND = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-}
spec:
  entrypoint: diamond
  templates:
  - name: echo
    inputs: {parameters: [{name: message}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
  - name: diamond
    dag:
      tasks:
      - {name: A, template: echo, arguments: {parameters: [{name: message, value: A}]}}
      - {name: B, dependencies: [A], template: echo, arguments: {parameters: [{name: message, value: B}]}}
      - {name: C, dependencies: [A], template: echo, arguments: {parameters: [{name: message, value: C}]}}
      - {name: D, dependencies: [B, C], template: echo, arguments: {parameters: [{name: message, value: D}]}}
"""


def test_dag_diamond_order_and_names(h):
    run = h.run(DIAMOND)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert set(nodes) == {"wf", "wf.A", "wf.B", "wf.C", "wf.D"}
    order = h.runtime.order
    assert order[0] == "wf.A" and order[-1] == "wf.D"
    assert nodes["wf"].children == [nodes["wf.A"].id]
    assert set(nodes["wf.A"].children) == {nodes["wf.B"].id, nodes["wf.C"].id}


def test_dag_failure_omits_dependants_and_fails(h):
    h.runtime.on("echo", lambda spec, a: Outcome(exit_code=1 if spec.node_name == "wf.B" else 0))
    run = h.run(DIAMOND)
    nodes = h.by_name(run)
    assert run.phase == "Failed"
    assert nodes["wf.B"].phase == "Failed"
    assert "wf.D" not in nodes or nodes["wf.D"].phase == "Omitted"


ENHANCED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: dag-}
spec:
  entrypoint: main
  templates:
  - name: pass
    container: {image: alpine, command: [sh, -c, "exit 0"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "exit 1"]}
  - name: main
    dag:
      tasks:
      - {name: A, template: pass}
      - {name: B, depends: A, template: pass}
      - {name: C, depends: A, template: fail}
      - {name: should-execute-1, depends: "A && (C.Succeeded || C.Failed)", template: pass}
      - {name: should-execute-2, depends: B || C, template: pass}
      - {name: should-not-execute, depends: B && C, template: pass}
      - {name: should-execute-3, depends: should-execute-2.Succeeded || should-not-execute, template: pass}
"""


def test_enhanced_depends_as_argo_example(h):
    h.runtime.on("fail", Outcome(exit_code=1))
    run = h.run(ENHANCED)
    nodes = h.by_name(run)
    assert nodes["wf.should-execute-1"].phase == "Succeeded"
    assert nodes["wf.should-not-execute"].phase == "Omitted"
    assert nodes["wf.should-not-execute"].message == "omitted: depends condition not met"
    assert nodes["wf.should-execute-2"].phase == "Succeeded"
    assert nodes["wf.should-execute-3"].phase == "Succeeded"
    assert run.phase == "Succeeded"  # as Argo's dag-enhanced-depends.yaml


def test_continue_on_failed_target_ignored(h):
    h.runtime.on("fail", Outcome(exit_code=1))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: c-}
    spec:
      entrypoint: main
      templates:
      - name: pass
        container: {image: alpine, command: [sh, -c, "exit 0"]}
      - name: fail
        container: {image: alpine, command: [sh, -c, "exit 1"]}
      - name: main
        dag:
          tasks:
          - {name: A, template: pass}
          - {name: B, depends: A, template: fail, continueOn: {failed: true}}
          - {name: C, depends: B, template: pass}
    """)
    nodes = h.by_name(run)
    assert nodes["wf.C"].phase == "Succeeded"
    assert run.phase == "Succeeded"


def test_retry_children_and_backoff(h):
    h.runtime.on("flaky", lambda spec, attempt: Outcome(exit_code=0 if attempt == 2 else 1))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: r-}
    spec:
      entrypoint: flaky
      templates:
      - name: flaky
        retryStrategy: {limit: "10", retryPolicy: Always, backoff: {duration: "1", factor: 2, maxDuration: 1m}}
        container: {image: alpine, command: [sh, -c, "exit 1"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf"].type == "Retry"
    assert [n for n in nodes if n.startswith("wf(")] == ["wf(0)", "wf(1)", "wf(2)"]
    assert h.clock.sleeps == [1.0, 2.0]


def test_retry_limit_exhausted(h):
    h.runtime.on("flaky", Outcome(exit_code=1))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: r-}
    spec:
      entrypoint: flaky
      templates:
      - name: flaky
        retryStrategy: {limit: 2}
        container: {image: alpine, command: [sh, -c, "exit 1"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Failed"
    assert nodes["wf"].message == "No more retries left"
    assert len([n for n in nodes if n.startswith("wf(")]) == 3


def test_template_parallelism_bounds_running_pods(h):
    h.runtime.on("work", Outcome(duration=1.0))
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: p-}
    spec:
      entrypoint: main
      templates:
      - name: main
        parallelism: 2
        steps:
        - - {name: w, template: work, withSequence: {count: "6"}}
      - name: work
        container: {image: alpine, command: [echo, x]}
    """)
    assert run.phase == "Succeeded"
    assert h.runtime.max_running == 2
    assert "wf[0].w(5:5)" in h.by_name(run)


def test_daemon_stopped_with_scope_and_ip_visible(h):
    run = h.run("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: d-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: server, template: server}
        - - name: client
            template: client
            arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
      - name: server
        daemon: true
        container: {image: nginx}
      - name: client
        inputs: {parameters: [{name: ip}]}
        container: {image: curl, command: [echo, "{{inputs.parameters.ip}}"]}
    """)
    nodes = h.by_name(run)
    assert run.phase == "Succeeded"
    assert nodes["wf[0].server"].daemoned
    assert nodes["wf[0].server"].phase == "Succeeded"
    assert nodes["wf[1].client"].inputs["parameters"][0]["value"] == "10.0.1.1"
    assert h.runtime.stopped_daemons == [nodes["wf[0].server"].id]


def test_retry_of_a_run_reuses_succeeded_nodes(h):
    from localflow.engine.run import WorkflowRun
    from localflow.spec.load import load_text
    import asyncio
    h.runtime.on("echo", lambda spec, a: Outcome(exit_code=1 if spec.node_name == "wf.C" else 0))
    first = h.run(DIAMOND)
    assert first.phase == "Failed"
    ran_before = list(h.runtime.order)
    h.runtime.on("echo", Outcome(exit_code=0))
    h.runtime.order.clear()
    wf = load_text(DIAMOND, "t.yaml").workflows[0]
    second = WorkflowRun(wf, runtime=h.runtime, name="wf", clock=h.clock, previous=first.to_argo())
    asyncio.run(second.execute())
    assert second.phase == "Succeeded"
    assert "wf.A" in ran_before and "wf.B" in ran_before
    assert sorted(h.runtime.order) == ["wf.C", "wf.D"]  # only the failed part runs again
