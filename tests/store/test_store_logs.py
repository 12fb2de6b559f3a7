"""Log files: one per node and container, timestamped lines, --since, merged reading, follow."""

from __future__ import annotations

import threading
import time

import pytest

from localflow.store import logs as L


@pytest.fixture
def w(home):
    writer = L.LogWriter()
    yield writer
    writer.close()


NODES = {"wf-1": {"id": "wf-1", "name": "wf[0].hello", "displayName": "hello"},
         "wf-2": {"id": "wf-2", "name": "wf[1].world(0:a/b.c)", "displayName": "world(0:a/b.c)"}}


def test_append_then_read_in_time_order_with_display_names(home, w):
    w.append("wf", "wf-2", "world(0:a/b.c)", "main", "second", ts=20.0)
    w.append("wf", "wf-1", "hello", "main", "first", ts=10.0)
    w.append("wf", "wf-1", "hello", "main", "third", ts=30.0)
    w.append("wf", "wf-1", "hello", "sidecar", "side", ts=15.0)
    assert list(L.read("wf", container="main", nodes=NODES)) == [
        ("hello", "main", "first"), ("world(0:a/b.c)", "main", "second"), ("hello", "main", "third")]
    assert [x[2] for x in L.read("wf", nodes=NODES)] == ["first", "side", "second", "third"]
    files = sorted(p.name for p in (home / "logs" / "wf").iterdir())
    assert files == ["wf-1.main.log", "wf-1.sidecar.log", "wf-2.main.log"]


def test_lines_are_stored_with_rfc3339_stamps_and_shown_without(home, w):
    w.append("wf", "wf-1", "hello", "main", "text with spaces  ", ts=1_700_000_000.5)
    raw = (home / "logs" / "wf" / "wf-1.main.log").read_text()
    assert raw == "2023-11-14T22:13:20.500000Z text with spaces  \n"
    assert [x[2] for x in L.read("wf", nodes=NODES)] == ["text with spaces  "]


@pytest.mark.parametrize("which", ["hello", "wf[0].hello", "wf-1"])
def test_node_matches_display_name_node_name_or_id(home, which, w):
    w.append("wf", "wf-1", "hello", "main", "mine")
    w.append("wf", "wf-2", "world", "main", "other")
    assert [x[2] for x in L.read("wf", node=which, nodes=NODES)] == ["mine"]


def test_since_drops_older_lines(home, w):
    now = time.time()
    w.append("wf", "wf-1", "hello", "main", "old", ts=now - 3600)
    w.append("wf", "wf-1", "hello", "main", "new", ts=now - 60)
    assert [x[2] for x in L.read("wf", since=L.parse_since("10m"), nodes=NODES)] == ["new"]
    assert [x[2] for x in L.read("wf", since=L.parse_since("2h"), nodes=NODES)] == ["old", "new"]


def test_parse_since():
    assert L.parse_since("10m", now=1000.0) == 400.0
    assert L.parse_since("1h30m", now=10_000.0) == 10_000.0 - 5400
    assert L.parse_since("2023-11-14T22:13:20Z") == 1_700_000_000.0
    with pytest.raises(ValueError):
        L.parse_since("ten minutes")


def test_unknown_nodes_and_odd_names_round_trip(home, w):
    w.append("my.run", None, "a/b..c (x)", "main", "hi")
    (path,) = (home / "logs").rglob("*.log")
    assert "/" not in path.name[:-4] and path.name.count(".") == 2
    assert L.parse_file_name(path.name) == ("a/b..c (x)", "main")
    assert list(L.read("my.run", nodes={})) == [("a/b..c (x)", "main", "hi")]


def test_multi_line_text_and_unfinished_lines(home, w):
    w.append("wf", "wf-1", "hello", "main", "one\ntwo\n")
    with open(home / "logs" / "wf" / "wf-1.main.log", "a") as f:
        f.write("2023-11-14T22:13:20.000000Z half a li")
    assert [x[2] for x in L.read("wf", nodes=NODES)] == ["one", "two"]


def test_many_threads_append_whole_lines(home, w):

    def work(t: int) -> None:
        for i in range(300):
            w.append("wf", f"wf-{t % 3}", "x", "main", f"t{t}-{i}-" + "y" * 200)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = [x[2] for x in L.read("wf", nodes={})]
    assert len(lines) == 2400
    assert sorted(lines) == sorted(f"t{t}-{i}-" + "y" * 200 for t in range(8) for i in range(300))


def test_handles_are_cached_and_bounded(home, monkeypatch, w):
    monkeypatch.setattr(L, "MAX_OPEN", 4)
    for i in range(10):
        w.append("wf", f"n{i}", "x", "main", "a")
        w.append("wf", f"n{i}", "x", "main", "b")
    assert len(w._handles) == 4
    w.append("wf", "n0", "x", "main", "c")  # reopened in append mode
    assert [x[2] for x in L.read("wf", node="n0", nodes={})] == ["a", "b", "c"]


def test_follow_until_the_run_finishes(store, w):
    store.upsert_run("wf", phase="Running")
    store.put_nodes("wf", [dict(NODES["wf-1"], type="Pod", phase="Running")])
    w.append("wf", "wf-1", "hello", "main", "before")

    def writer() -> None:
        for i in range(5):
            time.sleep(0.05)
            w.append("wf", "wf-1", "hello", "main", f"line {i}")
        store.put_nodes("wf", [{"id": "late", "name": "wf[2].late", "displayName": "late-node", "type": "Pod",
                                "phase": "Running"}])
        w.append("wf", "late", "late-node", "main", "from a new file")
        time.sleep(0.1)
        store.upsert_run("wf", phase="Succeeded")

    t = threading.Thread(target=writer)
    t.start()
    got = list(L.follow("wf", store=store, interval=0.02))
    t.join()
    assert got == [("hello", "main", "before")] + [("hello", "main", f"line {i}") for i in range(5)] + [
        ("late-node", "main", "from a new file")]


def test_follow_returns_at_once_for_a_finished_run(store, w):
    store.upsert_run("wf", phase="Failed")
    w.append("wf", "wf-1", "hello", "main", "x")
    sleeps: list[float] = []
    assert list(L.follow("wf", store=store, sleep=sleeps.append)) == [("wf-1", "main", "x")]
    assert sleeps == []


def test_remove(home):
    L.append("wf", "wf-1", "hello", "main", "x")
    assert L.remove("wf") is True
    assert not (home / "logs" / "wf").exists()
    assert L.remove("wf") is False


def test_follow_ends_when_the_runs_process_has_gone(store, w):
    import socket
    import subprocess
    import sys
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    store.upsert_run("wf", phase="Running", pid=p.pid, host=socket.gethostname())
    w.append("wf", "wf-1", "hello", "main", "last words")
    sleeps: list[float] = []
    assert [x[2] for x in L.follow("wf", store=store, sleep=sleeps.append)] == ["last words"]
    assert sleeps == []
