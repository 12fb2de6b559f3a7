"""The history commands (and `secret`/`configmap`/`apply`) through typer's CliRunner.

Runs are recorded by the Recorder from real WorkflowRuns on the fake runtime, in a temporary
LOCALFLOW_HOME; runs that must be "live" execute in a thread with the real clock.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from localflow.cli import history, resources_cmd
from localflow.engine.interfaces import Clock
from localflow.engine.run import WorkflowRun
from localflow.runtime.fake import FakeClock, FakeRuntime, Outcome
from localflow.spec.load import load_text
from localflow.store import logs as L
from localflow.store.db import Store
from localflow.store.recorder import (
    ORPHAN_MESSAGE,
    Recorder,
    StoreControl,
    watch_requests,
)

STEPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: steps-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    steps:
    - - name: hello
        template: say
        arguments: {parameters: [{name: message, value: "hello {{workflow.parameters.who}}"}]}
    - - name: second
        template: say
        arguments: {parameters: [{name: message, value: second}]}
      - name: boom
        template: fail
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "echo going down; exit 3"]}
"""

APPROVAL = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: approval-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: approve
        template: wait
    - - name: report
        template: say
        arguments: {parameters: [{name: message, value: "ok={{steps.approve.outputs.parameters.ok}}"}]}
  - name: wait
    suspend: {}
    outputs: {parameters: [{name: ok, valueFrom: {supplied: {}}}]}
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(history, "_docker_client", lambda: None)
    from localflow.cli import output
    monkeypatch.setattr(output, "_secrets", [])  # the secrets a test masks stay in that test
    import localflow.store.recorder as R
    monkeypatch.setattr(R, "connect_docker", lambda: None)
    return tmp_path / "home"


@pytest.fixture
def cli(home):
    app = typer.Typer()

    @app.command()
    def version() -> None:
        """(so that the app keeps its command groups)"""

    history.register(app)
    resources_cmd.register(app)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def record(text: str, *, fail: bool = True, parameters: dict | None = None, name: str | None = None,
           argv: list[str] | None = None) -> WorkflowRun:
    """Run the workflow on the fake runtime, recorded into the history like `localflow submit` does."""
    bundle = load_text(text, "wf.yaml")
    clock = FakeClock(start=time.time() - 120)
    runtime = FakeRuntime(clock)
    if fail:
        runtime.on("fail", Outcome(exit_code=3, stdout="going down", duration=2))
    runtime.on("say", lambda spec, attempt: Outcome(duration=1))
    store = Store()
    rec = Recorder(store, None, "wf.yaml", argv or ["submit", "wf.yaml"], interval=0.05)
    run = WorkflowRun(bundle.workflows[0], runtime=runtime, templates=bundle, clock=clock, events=rec,
                      parameters=parameters, name=name, control=StoreControl(store))
    rec.started(run)
    asyncio.run(run.execute())
    rec.finished(run)
    rec.close()
    store.close()
    return run


class Live:
    """A run going on in a thread (real clock), answering requests like a `localflow submit` process.
    Returns once the run's suspend node is waiting."""

    def __init__(self, text: str):
        bundle = load_text(text, "wf.yaml")
        self.store = Store()
        self.rec = Recorder(self.store, None, "wf.yaml", ["submit", "wf.yaml"], interval=0.05)
        self.control = StoreControl(self.store, min_interval=0.02)
        self.run = WorkflowRun(bundle.workflows[0], runtime=FakeRuntime(Clock()), templates=bundle, clock=Clock(),
                               events=self.rec, control=self.control)
        self.rec.started(self.run)
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10  # until the suspend node waits, as the history shows it
        while time.monotonic() < deadline and not any(
                n["type"] == "Suspend" and n["phase"] == "Running" for n in self.store.nodes(self.run.name).values()):
            time.sleep(0.02)

    def _main(self) -> None:
        async def main() -> None:
            watch = asyncio.ensure_future(watch_requests(self.run, self.control, interval=0.02))
            await self.run.execute()
            await watch

        asyncio.run(main())
        self.rec.finished(self.run)
        self.rec.close()

    def join(self) -> None:
        self.thread.join(20)
        assert not self.thread.is_alive()


def resume_when_suspended(name: str, parameters: dict, delay: float = 0.3) -> None:
    """In a thread: once the run's suspend node waits (and `delay` has passed), ask to resume it."""
    def work() -> None:
        store = Store()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                n["type"] == "Suspend" and n["phase"] == "Running" for n in store.nodes(name).values()):
            time.sleep(0.02)
        time.sleep(delay)
        store.add_request(name, "resume", parameters=parameters)

    threading.Thread(target=work, daemon=True).start()


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


# ---- list ----
def test_list_shows_runs_newest_first_with_filters(cli):
    a = record(STEPS)
    b = record(STEPS, fail=False)
    Store().upsert_run("other-running", phase="Running", pid=os.getpid(), host=socket.gethostname())
    r = cli("list")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE", "DURATION", "MESSAGE"]
    assert [ln.split()[0] for ln in lines[1:]] == ["other-running", b.name, a.name]
    status, age = lines[2].split()[1:3]
    assert status == "Succeeded" and age.startswith("2m")  # the run started 2 minutes ago (a loaded machine adds seconds)
    assert lines[3].split()[1] == "Failed"
    assert cli("list", "--running", "-o", "name").output.split() == ["other-running"]
    assert cli("list", "--completed", "-o", "name").output.split() == [b.name, a.name]
    assert cli("list", "--prefix", "other", "-o", "name").output.split() == ["other-running"]
    docs = json.loads(cli("list", "--completed", "-o", "json").output)
    assert [d["metadata"]["name"] for d in docs] == [b.name, a.name]
    assert docs[1]["status"]["phase"] == "Failed" and len(docs[1]["status"]["nodes"]) == len(a.nodes)
    assert cli("list", "-o", "xml").exit_code == 2


def test_list_reaps_runs_whose_process_died(cli):
    Store().upsert_run("crashed", phase="Running", pid=dead_pid(), host=socket.gethostname())
    r = cli("list")
    assert "crashed" in r.output and "Error" in r.output and ORPHAN_MESSAGE in r.output


# ---- get ----
def test_get_prints_the_argo_tree(cli):
    run = record(STEPS, parameters={"who": "you"})
    r = cli("get", run.name)
    assert r.exit_code == 0
    assert "Name:" in r.output and run.name in r.output
    assert "Status:" in r.output and "Failed" in r.output
    assert "who" in r.output and "you" in r.output
    assert "✔ hello" in r.output and "✖ boom" in r.output
    same = cli("get", "@latest")
    assert same.output == r.output


def test_get_json_yaml_and_wide(cli):
    run = record(STEPS)
    wf = json.loads(cli("get", run.name, "-o", "json").output)
    assert wf == json.loads(json.dumps(run.to_argo()))
    assert yaml.safe_load(cli("get", run.name, "-o", "yaml").output) == wf
    wide = cli("get", run.name, "-o", "wide").output
    assert "ARTIFACTS" in wide and "NODENAME" in wide and f"{run.name}[1].boom" in wide
    assert cli("get", run.name, "-o", "table").exit_code == 2


def test_unknown_run_is_one_line_and_exit_2(cli):
    for cmd in (["get", "nope"], ["logs", "nope"], ["watch", "nope"], ["stop", "nope"], ["delete", "nope"],
                ["retry", "nope"], ["resubmit", "nope"], ["resume", "nope"]):
        r = cli(*cmd)
        assert r.exit_code == 2, cmd
        assert r.output == 'localflow: no run named "nope"\n', cmd


# ---- logs ----
def test_logs_are_prefixed_by_display_name(cli):
    run = record(STEPS)
    r = cli("logs", run.name)
    assert r.exit_code == 0
    assert r.output.splitlines() == ["hello: hello world", "second: second", "boom: going down"]
    assert cli("logs", "@latest", "boom").output == "boom: going down\n"
    assert cli("logs", run.name, f"{run.name}[1].boom").output == "boom: going down\n"
    assert cli("logs", run.name, "boom", "--no-prefix").output == "going down\n"
    assert cli("logs", run.name, "boom", "-c", "sidecar").output == ""
    r = cli("logs", run.name, "nobody")
    assert r.exit_code == 2 and r.output == f'localflow: run {run.name} has no node "nobody"\n'
    assert cli("logs", run.name, "--since", "soon").exit_code == 2


def test_logs_since_and_other_containers(cli):
    run = record(STEPS)
    boom = next(n for n in run.nodes.values() if n.display_name == "boom")
    w = L.LogWriter()
    w.append(run.name, boom.id, "boom", "main", "an hour ago", ts=time.time() - 3600)
    w.append(run.name, boom.id, "boom", "proxy", "sidecar line")
    w.close()
    assert "an hour ago" in cli("logs", run.name, "boom").output
    assert cli("logs", run.name, "boom", "--since", "10m").output == "boom: going down\n"
    assert cli("logs", run.name, "boom", "-c", "proxy").output == "boom[proxy]: sidecar line\n"
    assert "boom[proxy]: sidecar line" in cli("logs", run.name, "-c", "all").output


def test_logs_follow_of_a_finished_run_prints_and_returns(cli):
    run = record(STEPS)
    r = cli("logs", run.name, "-f")
    assert r.exit_code == 0 and r.output.splitlines() == ["hello: hello world", "second: second",
                                                           "boom: going down"]


def test_logs_mask_the_values_of_local_secrets(cli):
    run = record(STEPS, parameters={"who": "hunter2"})
    assert cli("secret", "create", "pw", "--from-literal", "password=hunter2").exit_code == 0
    assert cli("logs", run.name, "hello").output == "hello: hello ***\n"


def test_logs_follow_a_live_run_until_it_ends(cli):
    live = Live(APPROVAL)
    resume_when_suspended(live.run.name, {"ok": "later"})
    r = cli("logs", live.run.name, "-f")
    live.join()
    assert r.exit_code == 0 and r.output == "report: ok=later\n"


# ---- watch ----
def test_watch_a_finished_run_prints_once_and_exits_with_its_outcome(cli):
    failed = record(STEPS)
    ok = record(STEPS, fail=False)
    r = cli("watch", failed.name)
    assert r.exit_code == 1 and r.output.count("STEP") == 1 and "✖ boom" in r.output
    assert cli("watch", ok.name).exit_code == 0


def test_watch_follows_a_live_run_to_its_end(cli):
    live = Live(APPROVAL)
    resume_when_suspended(live.run.name, {"ok": "yes"}, delay=0.5)
    r = cli("watch", live.run.name, "--interval", "0.1")
    live.join()
    assert r.exit_code == 0
    assert r.output.count("STEP") >= 2  # re-rendered when something changed
    assert "Running" in r.output.split("\n\n")[0] and "Succeeded" in r.output


# ---- stop, terminate, suspend, resume ----
def test_resume_a_node_with_a_supplied_parameter(cli):
    live = Live(APPROVAL)
    r = cli("resume", "@latest", "--node", "approve", "-p", "ok=yes")
    live.join()
    assert r.exit_code == 0 and r.output == f"workflow {live.run.name} resumed\n"
    assert Store().phase(live.run.name) == "Succeeded"
    assert cli("logs", live.run.name, "report").output == "report: ok=yes\n"
    assert cli("resume", live.run.name, "-p", "novalue").exit_code == 2


def test_resume_of_a_node_that_is_not_suspended_fails(cli):
    live = Live(APPROVAL)
    r = cli("resume", live.run.name, "--node", "report")
    assert r.exit_code == 1 and r.output == f'localflow: resume {live.run.name}: no suspended node matches "report"\n'
    cli("terminate", live.run.name)
    live.join()


def test_stop_a_live_run(cli):
    live = Live(APPROVAL)
    r = cli("stop", live.run.name)
    live.join()
    assert r.exit_code == 0
    assert r.output.splitlines()[0] == f"workflow {live.run.name} stopped"
    wf = Store().get_run(live.run.name)
    assert wf["status"]["phase"] == "Failed" and "Stop" in wf["status"]["message"]
    again = cli("terminate", live.run.name)
    assert again.exit_code == 1 and again.output == f"localflow: run {live.run.name} is not running (Failed)\n"


def test_get_shows_the_tree_of_a_live_run(cli):
    live = Live(APPROVAL)
    deadline = time.monotonic() + 10
    out = ""
    while time.monotonic() < deadline and "approve" not in out:
        out = cli("get", live.run.name).output
        time.sleep(0.05)
    assert "Status:" in out and "Running" in out
    assert "● approve" in out  # the root's children are written while it runs
    cli("terminate", live.run.name)
    live.join()


def test_suspend_is_queued_and_acknowledged(cli):
    live = Live(APPROVAL)
    r = cli("suspend", live.run.name)
    assert r.exit_code == 0 and r.output == f"workflow {live.run.name} suspended\n"
    assert live.control.suspended is True
    cli("terminate", live.run.name)
    live.join()
    assert Store().phase(live.run.name) == "Failed"


def test_stop_gives_up_after_the_wait_when_nobody_answers(cli, monkeypatch):
    monkeypatch.setattr(history, "WAIT_SECONDS", 0.3)
    Store().upsert_run("silent", phase="Running", pid=os.getpid(), host=socket.gethostname())
    r = cli("stop", "silent")
    assert r.exit_code == 1 and "did not take the stop request" in r.output
    assert [q["kind"] for q in Store().pending_requests("silent")] == ["stop"]


def test_stop_a_run_whose_process_died(cli):
    Store().upsert_run("crashed", phase="Running", pid=dead_pid(), host=socket.gethostname())
    r = cli("stop", "crashed")
    assert r.exit_code == 1 and r.output == "localflow: run crashed is not running (Error)\n"


# ---- delete, gc ----
def test_delete_one_run_with_its_logs(cli, home, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(history, "_docker_client", lambda: "client")
    import localflow.store.recorder as R
    monkeypatch.setattr(R, "remove_docker_objects", lambda client, run: calls.append((client, run)))
    keep = record(STEPS)
    gone = record(STEPS)
    assert (home / "logs" / gone.name).is_dir()
    r = cli("delete", "@latest")
    assert r.exit_code == 0 and r.output == f"Workflow '{gone.name}' deleted\n"
    assert calls == [("client", gone.name)]
    assert not (home / "logs" / gone.name).exists() and (home / "logs" / keep.name).is_dir()
    assert cli("get", gone.name).exit_code == 2
    assert cli("get", keep.name).exit_code == 0


def test_delete_completed_and_all_leave_running_runs(cli):
    done = record(STEPS)
    Store().upsert_run("going", phase="Running", pid=os.getpid(), host=socket.gethostname())
    r = cli("delete", "--completed")
    assert r.exit_code == 0 and r.output == f"Workflow '{done.name}' deleted\n"
    r = cli("delete", "--all")
    assert r.exit_code == 1 and "run going is running: stop or terminate it first" in r.output
    assert cli("list", "-o", "name").output.split() == ["going"]
    assert cli("delete").exit_code == 2
    assert cli("delete", "going", "--all").exit_code == 2


def test_gc_reaps_orphans(cli):
    Store().upsert_run("crashed", phase="Running", pid=dead_pid(), host=socket.gethostname())
    Store().upsert_run("elsewhere", phase="Running", pid=dead_pid(), host="another-host")
    r = cli("gc")
    assert r.exit_code == 0 and "Workflow 'crashed' marked Error" in r.output
    assert Store().run_row("crashed")["message"] == ORPHAN_MESSAGE
    assert Store().phase("elsewhere") == "Running"
    assert cli("gc").output == "nothing to clean\n"


# ---- resubmit, retry ----
def test_resubmit_reruns_the_stored_command_line(cli, monkeypatch, tmp_path):
    seen: list[tuple] = []
    monkeypatch.setattr(history, "_run_child", lambda cmd, cwd: seen.append((cmd, cwd)) or 7)
    run = record(STEPS, name="named", argv=["submit", "wf.yaml", "--name", "named", "-p", "who=you", "--quiet"])
    r = cli("resubmit", run.name, "-p", "who=them")
    assert r.exit_code == 7
    ((cmd, cwd),) = seen
    assert cmd[:3] == [sys.executable, "-m", "localflow"]
    assert cmd[3:] == ["submit", "wf.yaml", "-p", "who=you", "--quiet", "-p", "who=them"]
    assert cwd == os.getcwd()


def test_retry_hands_the_stored_run_to_submit(cli, monkeypatch):
    import localflow.cli.submit as submit_module
    got: list[dict] = []
    monkeypatch.setattr(submit_module, "retry_run", lambda stored: got.append(stored) or 0, raising=False)
    failed = record(STEPS)
    ok = record(STEPS, fail=False)
    r = cli("retry", failed.name)
    assert r.exit_code == 0
    (stored,) = got
    assert stored["name"] == failed.name and stored["argv"] == ["submit", "wf.yaml"]
    assert stored["workflow"]["status"]["phase"] == "Failed"
    assert len(stored["workflow"]["status"]["nodes"]) == len(failed.nodes)
    r = cli("retry", ok.name)
    assert r.exit_code == 1 and "only Failed or Error runs can be retried" in r.output


def test_every_command_has_an_example(cli):
    for cmd in (["list"], ["get"], ["logs"], ["watch"], ["stop"], ["terminate"], ["suspend"], ["resume"],
                ["delete"], ["gc"], ["resubmit"], ["retry"], ["apply"], ["secret", "create"], ["secret", "list"],
                ["secret", "delete"], ["configmap", "create"], ["configmap", "list"], ["configmap", "delete"]):
        r = cli(*cmd, "--help")
        assert r.exit_code == 0 and "Example: localflow " + cmd[0] in " ".join(r.output.split()), cmd


# ---- secret, configmap, apply (resources_cmd) ----
def test_secret_create_list_delete_never_prints_values(cli, home, tmp_path):
    token = tmp_path / "token.txt"
    token.write_text("s3cr3t-file")
    r = cli("secret", "create", "creds", "--from-literal", "user=admin-value", "--from-file", str(token),
            "--from-file", f"other={token}")
    assert r.exit_code == 0 and r.output == "secret/creds created\n"
    from localflow.store import secrets as S
    m = S.get("Secret", "creds")
    assert {k: base64.b64decode(v).decode() for k, v in m["data"].items()} == {
        "user": "admin-value", "token.txt": "s3cr3t-file", "other": "s3cr3t-file"}
    assert oct(os.stat(home / "secrets" / "creds.json").st_mode & 0o777) == "0o600"
    out = cli("secret", "list").output
    assert out.splitlines()[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert out.splitlines()[1].split()[:3] == ["creds", "Opaque", "3"]
    assert "admin-value" not in out and "s3cr3t" not in out
    assert cli("secret", "create", "creds", "--from-literal", "a=b").exit_code == 1
    assert cli("secret", "create", "x", "--from-literal", "nokey").exit_code == 2
    assert cli("secret", "create", "x", "--from-literal", "a=1", "--from-literal", "a=2").exit_code == 2
    assert cli("secret", "create", "x").exit_code == 2
    assert cli("secret", "delete", "creds").output == 'secret "creds" deleted\n'
    assert cli("secret", "delete", "creds").exit_code == 1


def test_configmap_create_and_list(cli):
    r = cli("configmap", "create", "settings", "--from-literal", "mode=fast")
    assert r.exit_code == 0 and r.output == "configmap/settings created\n"
    from localflow.store import secrets as S
    assert S.load_config_maps() == {"settings": {"mode": "fast"}}
    assert cli("configmap", "list", "-o", "name").output == "configmap/settings\n"


def test_apply_secret_and_configmap_manifests(cli, tmp_path):
    f = tmp_path / "res.yaml"
    f.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: " + base64.b64encode(b"A").decode() + "}\n"
        "stringData: {b: plain-b}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n")
    r = cli("apply", "-f", str(f))
    assert r.exit_code == 0 and r.output == "secret/s created\nconfigmap/c created\n"
    assert "plain-b" not in r.output
    from localflow.store import secrets as S
    assert S.load_secrets() == {"s": {"a": b"A", "b": b"plain-b"}}
    assert S.load_config_maps() == {"c": {"k": "v"}}
    assert cli("apply", "-f", str(f)).output == "secret/s configured\nconfigmap/c configured\n"
    assert cli("apply", "-f", "-", input="kind: ConfigMap\nmetadata: {name: d}\ndata: {x: z}\n").exit_code == 0


@pytest.mark.parametrize("doc, message", [
    ("kind: Secret\nmetadata: {name: s}\ndata: {a: '%%%'}\n", "data.a: not valid base64"),
    ("kind: ConfigMap\nmetadata: {name: c}\ndata: {enabled: yes}\n", "data.enabled: must be a string"),
    ("kind: Workflow\nmetadata: {name: w}\n", "can be applied (workflows run with localflow submit)"),
    ("kind: Secret\nmetadata: {}\n", "metadata.name is required"),
])
def test_apply_rejects_what_kubernetes_would(cli, tmp_path, doc, message):
    f = tmp_path / "bad.yaml"
    f.write_text(doc)
    r = cli("apply", "-f", str(f))
    assert r.exit_code == 2 and message in r.output and r.output.startswith("localflow: bad.yaml")
