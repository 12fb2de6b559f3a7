"""The history database: schema, upserts, @latest, listing, requests, deletion, concurrency."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from localflow.store.db import NoSuchRun, Store, StoreError, pid_alive


def test_database_is_in_home_with_wal_and_private(store, home):
    assert store.path == home / "localflow.db"
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"


def test_upsert_updates_only_given_columns_and_decodes_json(store):
    store.upsert_run("a", phase="Running", file="/x/wf.yaml", argv=["submit", "wf.yaml"], parameters=[{"name": "p",
                     "value": "1"}], created=100.0)
    store.upsert_run("a", phase="Succeeded", finished=200.0)
    row = store.run_row("a")
    assert row["phase"] == "Succeeded"
    assert row["file"] == "/x/wf.yaml"
    assert row["argv"] == ["submit", "wf.yaml"]
    assert row["parameters"] == [{"name": "p", "value": "1"}]
    assert row["created"] == 100.0 and row["finished"] == 200.0
    with pytest.raises(TypeError):
        store.upsert_run("a", colour="red")


def test_latest_is_the_newest_run_and_unknown_names_exit_2(store):
    with pytest.raises(NoSuchRun) as e:
        store.resolve("@latest")
    assert e.value.exit_code == 2
    store.upsert_run("new", created=200.0)  # written first: creation time decides, not the insertion order
    store.upsert_run("old", created=100.0)
    store.upsert_run("old", phase="Failed")  # an update does not make it newer
    assert store.resolve("@latest") == "new"
    assert store.resolve("old") == "old"
    with pytest.raises(NoSuchRun) as e:
        store.resolve("nope")
    assert str(e.value) == 'no run named "nope"'
    assert store.get_run("@latest")["metadata"]["name"] == "new"


def test_list_filters_by_state_and_prefix_newest_first(store):
    store.upsert_run("build_1", phase="Running", created=1.0)
    store.upsert_run("build-2", phase="Succeeded", created=2.0)
    store.upsert_run("buildx3", phase="Failed", created=3.0)
    store.upsert_run("test-1", phase="Pending", created=4.0)
    assert [r["name"] for r in store.list_runs()] == ["test-1", "buildx3", "build-2", "build_1"]
    assert [r["name"] for r in store.list_runs(running=True)] == ["test-1", "build_1"]
    assert [r["name"] for r in store.list_runs(completed=True)] == ["buildx3", "build-2"]
    assert [r["name"] for r in store.list_runs(prefix="build_")] == ["build_1"]  # `_` is not a wildcard
    assert [r["name"] for r in store.list_runs(prefix="build", completed=True)] == ["buildx3", "build-2"]
    assert "workflow" not in store.list_runs()[0]
    assert store.list_runs(completed=True, columns=("phase", "created")) == [
        {"name": "buildx3", "phase": "Failed", "created": 3.0}, {"name": "build-2", "phase": "Succeeded", "created": 2.0}]


def test_get_run_merges_document_row_and_node_table(store):
    doc = {"metadata": {"name": "w", "namespace": "default"}, "spec": {"entrypoint": "main"},
           "status": {"phase": "Pending", "nodes": {"w": {"id": "w", "name": "w", "displayName": "w",
                                                           "type": "Steps", "phase": "Pending"}}}}
    store.upsert_run("w", phase="Running", started=1_700_000_000.0, workflow=doc)
    store.put_nodes("w", [{"id": "w", "name": "w", "displayName": "w", "type": "Steps", "phase": "Running",
                           "children": ["w-1"]},
                          {"id": "w-1", "name": "w[0].a", "displayName": "a", "type": "Pod", "phase": "Running",
                           "startedAt": "2023-11-14T22:13:20Z"}])
    wf = store.get_run("w")
    assert wf["kind"] == "Workflow" and wf["spec"]["entrypoint"] == "main"
    assert wf["status"]["phase"] == "Running"
    assert wf["status"]["startedAt"] == "2023-11-14T22:13:20Z"
    assert set(wf["status"]["nodes"]) == {"w", "w-1"}
    assert wf["status"]["nodes"]["w"]["phase"] == "Running"
    row = store.conn.execute("SELECT started, display_name FROM nodes WHERE id = 'w-1'").fetchone()
    assert row["started"] == 1_700_000_000.0 and row["display_name"] == "a"


def test_get_run_tree_only_has_what_the_tree_shows(store):
    art = {"name": "out", "size": 3, "s3": {"key": "w/w-1/out.tgz"}}
    nodes = [{"id": "w", "name": "w", "displayName": "w", "type": "Steps", "phase": "Failed", "message": "child failed",
              "templateName": "main", "startedAt": "2023-11-14T22:13:20Z", "finishedAt": "2023-11-14T22:14:30Z",
              "children": ["w-1", "w-2"], "inputs": {"parameters": [{"name": "p", "value": "v"}]}},
             {"id": "w-1", "name": "w[0].a", "displayName": "a", "type": "Pod", "phase": "Succeeded",
              "templateName": "t", "startedAt": "2023-11-14T22:13:20Z", "finishedAt": "2023-11-14T22:13:21Z",
              "outputs": {"result": "x", "artifacts": [art]}, "podIP": "10.0.0.9"},
             {"id": "w-2", "name": "w[0].b", "displayName": "b", "type": "Pod", "phase": "Pending"}]
    store.upsert_run("w", phase="Failed", workflow={"metadata": {"name": "w"}, "status": {"nodes": {}}})
    store.put_nodes("w", nodes)
    tree = store.get_run("w", tree_only=True)["status"]["nodes"]
    assert list(tree) == ["w", "w-1", "w-2"]
    assert tree["w"] == {k: v for k, v in nodes[0].items() if k != "inputs"}
    assert tree["w-1"] == {**{k: v for k, v in nodes[1].items() if k != "podIP"}, "outputs": {"artifacts": [art]}}
    assert tree["w-2"] == nodes[2]
    assert store.get_run("w")["status"]["nodes"]["w-1"] == nodes[1]  # the whole node otherwise


def test_put_nodes_is_one_transaction(store):
    store.upsert_run("w")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    store.put_nodes("w", [{"id": f"n{i}", "name": f"n{i}", "type": "Pod", "phase": "Running"} for i in range(50)])
    store.conn.set_trace_callback(None)
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert len(store.nodes("w")) == 50


def test_requests_queue_and_handling(store):
    store.upsert_run("w", phase="Running")
    with pytest.raises(ValueError):
        store.add_request("w", "explode")
    with pytest.raises(NoSuchRun):
        store.add_request("other", "stop")
    a = store.add_request("w", "resume", node="approve", parameters={"ok": "yes"})
    b = store.add_request("w", "stop")
    pending = store.pending_requests("w")
    assert [(r["id"], r["kind"], r["node"], r["parameters"]) for r in pending] == [
        (a, "resume", "approve", {"ok": "yes"}), (b, "stop", None, {})]
    store.mark_handled(a)
    assert [r["id"] for r in store.pending_requests("w")] == [b]
    assert store.request(a)["handled"] is not None


def test_delete_run_removes_nodes_and_requests(store):
    store.upsert_run("w")
    store.put_nodes("w", [{"id": "n", "name": "n", "type": "Pod", "phase": "Succeeded"}])
    store.add_request("w", "stop")
    assert store.delete_run("w") is True
    assert store.delete_run("w") is False
    assert store.nodes("w") == {} and store.pending_requests("w") == []
    with pytest.raises(NoSuchRun):
        store.get_run("w")


def test_newer_schema_is_refused(home):
    s = Store()
    s.conn.execute("PRAGMA user_version = 99")
    s.close()
    with pytest.raises(StoreError):
        Store()


def test_dead_and_reused_pids():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    assert not pid_alive(p.pid)
    assert pid_alive(os.getppid())
    assert not pid_alive(os.getppid(), start="not-its-start-time")
    assert not pid_alive(0)


WRITER = textwrap.dedent("""
    import sys
    from localflow.store.db import Store
    path, tag = sys.argv[1], sys.argv[2]
    s = Store(path)
    for i in range(150):
        name = f"{tag}-{i}"
        s.upsert_run(name, phase="Running", argv=["submit", name])
        s.put_nodes(name, [{"id": f"{name}-{j}", "name": f"n{j}", "type": "Pod", "phase": "Running"}
                           for j in range(5)])
        s.add_request(name, "stop")
        s.upsert_run(name, phase="Succeeded")
        s.list_runs(prefix=tag)
    print("done")
""")


def test_two_processes_write_at_once(tmp_path):
    path = tmp_path / "shared.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.strip() == "done"
    s = Store(path)
    rows = s.list_runs()
    assert len(rows) == 300
    assert {r["phase"] for r in rows} == {"Succeeded"}
    assert s.conn.execute("SELECT COUNT(*) FROM nodes").fetchone()[0] == 1500
    assert s.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 300
    assert json.loads(s.conn.execute("SELECT argv FROM runs WHERE name = 'b-7'").fetchone()[0]) == ["submit", "b-7"]


def test_only_this_hosts_dead_processes_are_orphans(store):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    host = socket.gethostname()
    store.upsert_run("dead", phase="Running", pid=p.pid, host=host)
    store.upsert_run("alive", phase="Running", pid=os.getpid(), host=host)
    store.upsert_run("elsewhere", phase="Running", pid=p.pid, host=host + "-other")
    store.upsert_run("done", phase="Failed", pid=p.pid, host=host)
    assert [r["name"] for r in store.orphans()] == ["dead"]


STRESS_WRITER = textwrap.dedent("""
    import os, sys, time
    from localflow.store.db import Store
    path, tag, go = sys.argv[1], sys.argv[2], sys.argv[3]
    open(go + "." + tag, "w").close()
    while not os.path.exists(go):  # all four open the new history at the same moment
        time.sleep(0.001)
    s = Store(path)
    for i in range(40):
        name = f"{tag}-{i}"
        s.upsert_run(name, phase="Running")
        for j in range(3):
            s.put_nodes(name, [{"id": f"{name}-{j}", "name": f"n{j}", "type": "Pod", "phase": "Succeeded"}])
        s.upsert_run(name, phase="Succeeded")
    print("done")
""")


@pytest.mark.parametrize("round_", range(5))
def test_four_processes_open_and_write_a_new_history_at_once(tmp_path, round_):
    """Four writers start together on a history that does not exist yet (the WAL switch and the
    schema race there), then write runs and nodes: none fails, nothing is lost."""
    path, go = tmp_path / "new.db", tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    tags = ("a", "b", "c", "d")
    procs = [subprocess.Popen([sys.executable, "-c", STRESS_WRITER, str(path), tag, str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in tags]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"go.{t}").exists() for t in tags) and time.monotonic() < deadline:
        time.sleep(0.005)
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert (p.returncode, out.strip()) == (0, "done"), err
    s = Store(path)
    rows = s.list_runs()
    assert sorted(r["name"] for r in rows) == sorted(f"{t}-{i}" for t in tags for i in range(40))
    assert {r["phase"] for r in rows} == {"Succeeded"}
    counts = s.conn.execute("SELECT run, COUNT(*) FROM nodes GROUP BY run").fetchall()
    assert len(counts) == 160 and {c[1] for c in counts} == {3}
    s.close()


def test_opening_waits_for_a_writer_holding_a_new_history(tmp_path):
    """The race behind "database is locked": another process writes the brand-new (not yet WAL)
    file while this one opens it. SQLite refuses the WAL switch at once, without its busy handler;
    opening must wait for the writer instead of failing."""
    import sqlite3
    import threading

    path = tmp_path / "new.db"
    other = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    opened = threading.Event()
    result: list = []

    def open_store():
        try:
            result.append(Store(path, timeout=30))
        except Exception as e:  # noqa: BLE001
            result.append(e)
        opened.set()

    thread = threading.Thread(target=open_store)
    thread.start()
    assert not opened.wait(0.5), f"Store() returned while another writer held the file: {result}"
    other.execute("COMMIT")
    other.close()
    assert opened.wait(30)
    thread.join()
    assert isinstance(result[0], Store), result[0]
    assert result[0].conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    result[0].close()
