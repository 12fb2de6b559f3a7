"""The Recorder (engine events -> history), StoreControl (requests -> engine) and orphan reaping."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest

from localflow.engine import nodes as N
from localflow.store import logs as L
from localflow.store.recorder import (
    ORPHAN_MESSAGE,
    UNFINISHED_MESSAGE,
    Recorder,
    RunExists,
    StoreControl,
    reap_orphans,
    watch_requests,
)


class CountingStore:
    """A Store whose put_nodes calls are counted."""

    def __init__(self, store):
        self._s = store
        self.put_calls: list[int] = []

    def put_nodes(self, run, nodes):
        nodes = list(nodes)
        self.put_calls.append(len(nodes))
        return self._s.put_nodes(run, nodes)

    def __getattr__(self, name):
        return getattr(self._s, name)


def test_started_records_the_row_with_what_resubmit_needs(store, fake_run, tmp_path):
    run = fake_run()
    rec = Recorder(store, None, "wf.yaml", ["submit", "wf.yaml", "-p", "message=hi"], interval=3600)
    rec.started(run)
    try:
        row = store.run_row(run.name)
        assert row["phase"] == "Pending"
        assert row["file"] == os.path.abspath("wf.yaml") and row["cwd"] == os.getcwd()
        assert row["argv"] == ["submit", "wf.yaml", "-p", "message=hi"]
        assert row["pid"] == os.getpid() and row["host"] == socket.gethostname()
        assert row["parameters"] == [{"name": "message", "value": "hi"}]
        assert row["entrypoint"] == "main"
        assert row["workflow"]["metadata"]["name"] == run.name
    finally:
        rec.close()


def test_many_changes_are_flushed_as_one_batch(store, fake_run):
    counting = CountingStore(store)
    run = fake_run()
    rec = Recorder(counting, run.name, None, [], interval=3600)  # the thread never flushes by itself
    rec.started(run)
    nodes = [run.add(f"wf[0].s{i}", f"s{i}") for i in range(10)]
    for phase in (N.PENDING, N.RUNNING, N.SUCCEEDED):
        for n in nodes:
            n.phase = phase
            rec.node_changed(run, n)
    run.phase = N.RUNNING
    assert counting.put_calls == []
    assert rec.flush() is True
    assert counting.put_calls == [10]
    assert {n["phase"] for n in store.nodes(run.name).values()} == {N.SUCCEEDED}
    assert store.phase(run.name) == N.RUNNING
    assert rec.flush() is False  # nothing changed: no write at all
    assert counting.put_calls == [10]
    rec.close()


def test_the_writer_thread_flushes_by_itself(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=0.05)
    rec.started(run)
    try:
        n = run.add("wf[0].a", "a", phase=N.RUNNING)
        rec.node_changed(run, n)
        run.phase = N.RUNNING
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (store.phase(run.name) != N.RUNNING or not store.nodes(run.name)):
            time.sleep(0.02)
        assert store.phase(run.name) == N.RUNNING
        assert store.nodes(run.name)[n.id]["phase"] == N.RUNNING
    finally:
        rec.close()


def test_nodes_are_written_as_they_were_when_reported(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    n = run.add("wf[0].a", "a", phase=N.RUNNING)
    rec.node_changed(run, n)
    n.phase = N.FAILED  # not reported: the writer must not read live engine objects
    rec.flush()
    assert store.nodes(run.name)[n.id]["phase"] == N.RUNNING
    rec.close()


def test_children_added_without_reporting_the_parent_are_written(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    root = run.add(run.name, run.name, ntype=N.STEPS, phase=N.RUNNING)
    rec.node_changed(run, root)
    rec.flush()
    child = run.add("wf[0]", "[0]", ntype=N.STEP_GROUP, parent=root)  # as WorkflowRun.new_node does
    rec.node_changed(run, child)
    rec.flush()
    assert store.nodes(run.name)[root.id]["children"] == [child.id]
    assert store.nodes(run.name)[root.id]["phase"] == N.RUNNING
    rec.close()


def test_finished_writes_the_whole_document_and_notices(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    root = run.add(run.name, run.name, ntype=N.STEPS, phase=N.FAILED)
    run.add("wf[0].a", "a", phase=N.FAILED, parent=root).message = "Error (exit code 1)"  # never reported
    rec.notice(run, "pulling image alpine")
    rec.notice(run, "")
    run.phase, run.message = N.FAILED, "child failed"
    run.started_at, run.finished_at = 1_700_000_000.0, 1_700_000_005.0
    rec.finished(run)
    rec.close()
    wf = store.get_run(run.name)
    assert wf["status"]["phase"] == N.FAILED and wf["status"]["message"] == "child failed"
    assert wf["status"]["finishedAt"] == "2023-11-14T22:13:25Z"
    assert {n["displayName"]: n["phase"] for n in wf["status"]["nodes"].values()} == {run.name: N.FAILED,
                                                                                       "a": N.FAILED}
    assert [m for _, m in store.run_row(run.name)["notices"]] == ["pulling image alpine"]


def test_close_without_finished_records_an_error(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    run.phase = N.RUNNING
    rec.close()
    row = store.run_row(run.name)
    assert row["phase"] == N.ERROR and row["message"] == UNFINISHED_MESSAGE and row["finished"] is not None


def test_a_name_cannot_be_recorded_twice(store, fake_run):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    rec.finished(run)
    with pytest.raises(RunExists) as e:
        Recorder(store, run.name, None, []).started(fake_run())
    assert e.value.exit_code == 2
    again = Recorder(store, run.name, None, [], interval=3600, allow_existing=True)  # retry reuses the name
    again.started(fake_run())
    again.close()


def test_logs_go_to_the_running_pod_of_that_display_name(store, fake_run, home):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600)
    rec.started(run)
    done = run.add("wf[0].d1.A", "A", phase=N.SUCCEEDED)
    running = run.add("wf[0].d2.A", "A", phase=N.RUNNING)
    pending = run.add("wf[0].d3.A", "A", phase=N.PENDING)
    for n in (done, running, pending):
        rec.node_changed(run, n)
    rec.log(run, "A", "main", "from the running A")
    rec.log(run, "nobody", "main", "unknown node")
    run.phase = N.SUCCEEDED
    rec.finished(run)
    rec.close()
    assert [x[2] for x in L.read(run.name, node=running.id)] == ["from the running A"]
    assert list(L.read(run.name, node=done.id)) == [] and list(L.read(run.name, node=pending.id)) == []
    assert ("nobody", "main", "unknown node") in list(L.read(run.name))
    assert (home / "logs" / run.name / f"{running.id}.main.log").exists()


def test_store_control_applies_requests_once(store, fake_run):
    run = fake_run()
    store.upsert_run(run.name, phase="Running")
    approve = run.add("wf[1].approve", "approve", ntype=N.SUSPEND, phase=N.RUNNING)
    other = run.add("wf[1].other", "other", ntype=N.SUSPEND, phase=N.RUNNING)
    ctl = StoreControl(store, run.name, min_interval=0)
    ids = [store.add_request(run.name, "suspend"),
           store.add_request(run.name, "resume", node="approve", parameters={"ok": "yes"}),
           store.add_request(run.name, "stop")]
    asyncio.run(ctl.poll(run))
    assert ctl.suspended is True
    assert ctl.resumed == {approve.name}
    assert ctl.supplied == {"ok": "yes"}
    assert run.stops == [False]
    assert all(store.request(i)["handled"] and store.request(i)["result"] is None for i in ids)
    store.add_request(run.name, "terminate")
    store.add_request(run.name, "resume")  # every suspended node, and the run
    asyncio.run(ctl.poll(run))
    asyncio.run(ctl.poll(run))
    assert run.stops == [False, True]
    assert ctl.resumed == {approve.name, other.name} and ctl.suspended is False


def test_resume_refuses_what_is_not_suspended(store, fake_run):
    run = fake_run()
    store.upsert_run(run.name, phase="Running")
    run.add("wf[0].done", "done", ntype=N.SUSPEND, phase=N.SUCCEEDED)
    ctl = StoreControl(store, run.name, min_interval=0)
    a = store.add_request(run.name, "resume", node="done", parameters={"ok": "no"})
    b = store.add_request(run.name, "resume")
    asyncio.run(ctl.poll(run))
    assert store.request(a)["result"] == 'no suspended node matches "done"'
    assert store.request(b)["result"] == "nothing is suspended"
    assert ctl.resumed == set() and ctl.supplied == {}  # nothing lingers to resume a later node at once


def test_watch_requests_sees_a_stop_while_nothing_is_suspended(store, fake_run):
    run = fake_run()
    store.upsert_run(run.name, phase="Running")
    ctl = StoreControl(store, run.name, min_interval=0)

    async def main() -> None:
        task = asyncio.ensure_future(watch_requests(run, ctl, interval=0.01))
        await asyncio.sleep(0.05)
        store.add_request(run.name, "stop")
        for _ in range(200):
            if run.stops:
                break
            await asyncio.sleep(0.01)
        run.finished_at = time.time()
        await asyncio.wait_for(task, 2)

    asyncio.run(main())
    assert run.stops == [False]


class FakeDocker:
    """Records the label filters cleanup asks for."""

    def __init__(self):
        self.filters: list[dict] = []
        outer = self

        class Coll:
            def list(self, all=False, filters=None):
                outer.filters.append(filters)
                return []

        self.containers = self.networks = self.volumes = Coll()

        class Api:  # the low-level API that cleanup uses
            def containers(self, all=False, filters=None):
                outer.filters.append(filters)
                return []

            def networks(self, filters=None):
                outer.filters.append(filters)
                return []

            def volumes(self, filters=None):
                outer.filters.append(filters)
                return {"Volumes": []}

        self.api = Api()


def test_reap_orphans_marks_error_and_cleans_by_label(store, fake_run):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    host = socket.gethostname()
    store.upsert_run("gone", phase="Running", pid=p.pid, host=host)
    store.put_nodes("gone", [{"id": "gone-1", "name": "gone[0].a", "type": "Pod", "phase": "Running"},
                             {"id": "gone-2", "name": "gone[0].b", "type": "Pod", "phase": "Succeeded"}])
    store.upsert_run("mine", phase="Running", pid=os.getpid(), host=host)
    docker = FakeDocker()
    assert reap_orphans(store, docker) == ["gone"]
    wf = store.get_run("gone")
    assert wf["status"]["phase"] == "Error" and wf["status"]["message"] == ORPHAN_MESSAGE
    assert wf["status"]["nodes"]["gone-1"]["phase"] == "Error"
    assert wf["status"]["nodes"]["gone-2"]["phase"] == "Succeeded"
    assert store.phase("mine") == "Running"
    assert docker.filters and all(f == {"label": "localflow.run=gone"} for f in docker.filters)
    assert reap_orphans(store, docker) == []


def test_log_lines_and_notices_are_masked_before_they_are_stored(store, fake_run, home):
    run = fake_run()
    rec = Recorder(store, run.name, None, [], interval=3600, mask=lambda t: t.replace("hunter2", "***"))
    rec.started(run)
    pod = run.add("wf[0].a", "a", phase=N.RUNNING)
    rec.node_changed(run, pod)
    rec.log(run, "a", "main", "password is hunter2")
    rec.notice(run, "bad hunter2")
    rec.finished(run)
    rec.close()
    raw = (home / "logs" / run.name / f"{pod.id}.main.log").read_text()
    assert "hunter2" not in raw and raw.endswith(" password is ***\n")
    assert [m for _, m in store.run_row(run.name)["notices"]] == ["bad ***"]
