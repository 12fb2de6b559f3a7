"""`synchronization`: mutexes and semaphores at template and workflow level, on the fake runtime."""

from __future__ import annotations

import asyncio
import textwrap

from localflow.engine.resources import Resources
from localflow.engine.run import WorkflowRun
from localflow.engine.sync import InMemoryLocks
from localflow.runtime.fake import FakeClock, FakeRuntime, Outcome
from localflow.spec.load import load_text
from localflow.store.locks import FileLocks


class Seen:
    """Events that remember every node message and the run's phase/message at each change."""

    def __init__(self):
        self.messages: list[tuple[str, str, str]] = []
        self.run_states: list[tuple[str, str]] = []

    def node_changed(self, run, node):
        self.messages.append((node.name, node.phase, node.message))
        self.run_states.append((run.phase, run.message))

    def log(self, run, display, container, line):
        pass

    def notice(self, run, message):
        pass


def make(text: str, runtime: FakeRuntime, clock: FakeClock, locks, name: str, config_maps=None) -> tuple[WorkflowRun, Seen]:
    bundle = load_text(textwrap.dedent(text), "test.yaml")
    seen = Seen()
    run = WorkflowRun(bundle.workflows[0], runtime=runtime, templates=bundle, name=name, clock=clock,
                      events=seen, resources=Resources(config_maps=config_maps or {}), locks=locks)
    return run, seen


def run_one(text: str, *, config_maps=None, behaviours=None):
    clock = FakeClock()
    rt = FakeRuntime(clock)
    for t, out in (behaviours or {}).items():
        rt.on(t, out)
    locks = InMemoryLocks()
    run, seen = make(text, rt, clock, locks, "wf", config_maps)
    asyncio.run(run.execute())
    return run, seen, rt, locks


LOOP = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: sync-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: work
        template: locked
        withItems: [1, 2, 3, 4]
  - name: locked
    synchronization:
      %s
    container: {image: alpine, command: [echo, hi]}
"""


def test_template_mutex_never_overlaps_and_waiters_are_pending_with_argos_message():
    run, seen, rt, locks = run_one(LOOP % "mutexes: [{name: welcome}]", behaviours={"locked": Outcome(duration=5)})
    assert run.phase == "Succeeded"
    assert len(rt.pods) == 4
    assert rt.max_running == 1
    waiting = [m for m in seen.messages if m[2].startswith("Waiting for")]
    assert waiting and all(p == "Pending" for _n, p, _m in waiting)
    assert waiting[0][2] == "Waiting for default/Mutex/welcome lock. Lock status: 0/1"
    for n in run.nodes.values():  # nothing is left waiting, and every lock is free again
        assert n.synchronization_status is None and not n.message
    assert locks.holders["default/Mutex/welcome"] == []


def test_singular_forms_removed_in_argo_v4_are_rejected_with_the_plural_named():
    import pytest

    from localflow.errors import SpecError
    for singular, plural in (("mutex: {name: welcome}", "mutexes"),
                             ("semaphore: {configMapKeyRef: {name: c, key: k}}", "semaphores")):
        with pytest.raises(SpecError, match=f'did you mean "{plural}"'):
            load_text(textwrap.dedent(LOOP % singular), "test.yaml")


def test_semaphore_limit_from_config_map_two_of_four():
    text = LOOP % "semaphores: [{configMapKeyRef: {name: my-config, key: template}}]"
    run, seen, rt, locks = run_one(text, config_maps={"my-config": {"template": "2"}},
                                   behaviours={"locked": Outcome(duration=5)})
    assert run.phase == "Succeeded"
    assert rt.max_running == 2
    assert locks.max_held["default/ConfigMap/my-config/template"] == 2
    assert any(m[2] == "Waiting for default/ConfigMap/my-config/template lock. Lock status: 0/2"
               for m in seen.messages)


def test_missing_config_map_key_is_an_error_of_the_node():
    text = LOOP % "semaphores: [{configMapKeyRef: {name: my-config, key: nope}}]"
    run, _seen, rt, _locks = run_one(text, config_maps={"my-config": {"template": "2"}})
    assert run.phase in ("Failed", "Error")
    bad = [n for n in run.nodes.values() if n.type == "Pod"]
    assert bad and all(n.phase == "Error" for n in bad)
    assert "Sync configuration key 'nope' not found in ConfigMap" in bad[0].message
    assert rt.pods == []


def test_lock_is_released_when_the_holder_fails():
    run, _seen, rt, locks = run_one(LOOP % "mutexes: [{name: m}]", behaviours={"locked": Outcome(exit_code=1)})
    assert run.phase == "Failed"
    assert len(rt.pods) == 4  # each failed holder let the next one in
    assert locks.holders["default/Mutex/m"] == []


def test_steps_template_holds_the_lock_while_its_children_run():
    text = """
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: sync-}
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: a, template: inner}
          - {name: b, template: inner}
      - name: inner
        synchronization: {mutexes: [{name: inner}]}
        steps:
        - - {name: one, template: leaf}
        - - {name: two, template: leaf}
      - name: leaf
        container: {image: alpine, command: [echo, hi]}
    """
    run, _seen, rt, _locks = run_one(text, behaviours={"leaf": Outcome(duration=3)})
    assert run.phase == "Succeeded"
    assert rt.max_running == 1
    # one inner steps node ran both of its children before the other started any
    assert [p.node_name.split(".")[1] for p in rt.pods][:2] in (["a[0]", "a[1]"], ["b[0]", "b[1]"])


WF_LEVEL = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: wf-level-}
spec:
  entrypoint: hello
  synchronization:
    %s
  templates:
  - name: hello
    container: {image: busybox, command: [echo, hello]}
"""


def test_workflow_level_mutex_serialises_two_runs_and_the_waiting_run_is_pending():
    clock = FakeClock()
    rt = FakeRuntime(clock)
    rt.on("hello", Outcome(duration=10))
    locks = InMemoryLocks()
    a, _ = make(WF_LEVEL % "mutexes: [{name: test}]", rt, clock, locks, "wf-a")
    b, _ = make(WF_LEVEL % "mutexes: [{name: test}]", rt, clock, locks, "wf-b")
    states: list[tuple[str, str]] = []

    async def watch():
        while a.finished_at is None or b.finished_at is None:
            states.append((b.phase, b.message))
            await asyncio.sleep(0)

    async def both():
        await asyncio.gather(a.execute(), b.execute(), watch())

    asyncio.run(both())
    assert a.phase == b.phase == "Succeeded"
    assert rt.max_running == 1
    assert ("Pending", "Waiting for default/Mutex/test lock. Lock status: 0/1") in states
    assert not b.message
    assert locks.holders["default/Mutex/test"] == []


def test_workflow_level_semaphore_limit_two_of_four_runs():
    clock = FakeClock()
    rt = FakeRuntime(clock)
    rt.on("hello", Outcome(duration=10))
    locks = InMemoryLocks()
    cms = {"my-config": {"workflow": "2"}}
    text = WF_LEVEL % "semaphores: [{configMapKeyRef: {name: my-config, key: workflow}}]"
    runs = [make(text, rt, clock, locks, f"wf-{i}", cms)[0] for i in range(4)]

    async def all_runs():
        await asyncio.gather(*(r.execute() for r in runs))

    asyncio.run(all_runs())
    assert [r.phase for r in runs] == ["Succeeded"] * 4
    assert rt.max_running == 2


def test_workflow_level_missing_config_map_fails_the_run():
    run, _seen, rt, _locks = run_one(WF_LEVEL % "semaphores: [{configMapKeyRef: {name: nope, key: workflow}}]")
    assert run.phase == "Failed"
    assert run.message.startswith("Failed to acquire the synchronization lock. ")
    assert rt.pods == []


def test_a_run_stopped_while_waiting_ends_cleanly_and_holds_nothing():
    clock = FakeClock()
    locks = InMemoryLocks()
    rt_a, rt_b = FakeRuntime(clock), FakeRuntime(clock)
    rt_a.on("hello", Outcome(duration=100))
    a, _ = make(WF_LEVEL % "mutexes: [{name: test}]", rt_a, clock, locks, "wf-a")
    b, _ = make(WF_LEVEL % "mutexes: [{name: test}]", rt_b, clock, locks, "wf-b")

    async def scenario():
        ta = asyncio.ensure_future(a.execute())
        tb = asyncio.ensure_future(b.execute())
        while b.message == "" or a.phase != "Running":
            await asyncio.sleep(0)
        assert b.phase == "Pending"
        await b.request_stop(terminate=True)
        await tb
        await ta

    asyncio.run(scenario())
    assert b.phase == "Failed" and b.message == "Stopped with strategy 'Terminate'"
    assert rt_b.pods == [] and b.nodes == {}
    assert a.phase == "Succeeded"
    assert locks.holders["default/Mutex/test"] == []


def test_a_node_stopped_while_waiting_fails_with_the_stop_message():
    clock = FakeClock()
    rt = FakeRuntime(clock)
    rt.on("locked", Outcome(duration=50))
    locks = InMemoryLocks()
    run, _ = make(LOOP % "mutexes: [{name: welcome}]", rt, clock, locks, "wf")

    async def scenario():
        t = asyncio.ensure_future(run.execute())
        while not any(n.message.startswith("Waiting") for n in run.nodes.values()):
            await asyncio.sleep(0)
        await run.request_stop()
        await t

    asyncio.run(scenario())
    assert run.phase == "Failed"
    stopped = [n for n in run.nodes.values() if n.type == "Pod" and n.message == "Stopped with strategy 'Stop'"]
    assert stopped and all(n.synchronization_status is None for n in stopped)
    assert locks.holders["default/Mutex/welcome"] == []


def test_database_mutex_is_a_local_lock_of_its_own_kind():
    run, seen, rt, locks = run_one(LOOP % "mutexes: [{name: welcome, database: true}]",
                                   behaviours={"locked": Outcome(duration=5)})
    assert run.phase == "Succeeded"
    assert rt.max_running == 1
    assert "default/Database/welcome" in locks.holders


def test_database_semaphore_reads_its_limit_from_localflow_sync_limits():
    text = LOOP % "semaphores: [{database: {key: template}}]"
    run, _seen, rt, _locks = run_one(text, config_maps={"localflow-sync-limits": {"template": "2"}},
                                     behaviours={"locked": Outcome(duration=5)})
    assert run.phase == "Succeeded"
    assert rt.max_running == 2
    run, _seen, rt, _locks = run_one(text)
    pods = [n for n in run.nodes.values() if n.type == "Pod"]
    assert pods[0].phase == "Error" and "localflow configmap create localflow-sync-limits" in pods[0].message


def test_file_locks_conflict_between_providers_and_free_on_release(tmp_path):
    one, two = FileLocks(tmp_path), FileLocks(tmp_path)  # as two processes would
    assert one.try_acquire("default/Mutex/m", 1, "a")
    assert not two.try_acquire("default/Mutex/m", 1, "b")
    assert two.try_acquire("default/ConfigMap/c/k", 2, "b")
    assert one.try_acquire("default/ConfigMap/c/k", 2, "c")
    assert not two.try_acquire("default/ConfigMap/c/k", 2, "d")
    one.release("default/Mutex/m", "a")
    assert two.try_acquire("default/Mutex/m", 1, "b")
    two.release_all()
    assert one.try_acquire("default/Mutex/m", 1, "e")
    one.release_all()
