"""Interruption, crashes and concurrency against the real engine: nothing is left behind or lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import docker
import pytest

from helpers import REPO, leftovers, localflow

pytestmark = pytest.mark.docker

LONG = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: long-
spec:
  entrypoint: main
  onExit: bye
  templates:
  - name: main
    steps:
    - - name: quick
        template: say
    - - name: sleep
        template: sleep
  - name: say
    container:
      image: alpine
      command: [sh, -c, "echo quick done"]
  - name: sleep
    container:
      image: alpine
      # ignores SIGTERM and counts the seconds after it: only SIGKILL (after the grace period) ends it
      command: [sh, -c, "trap 'echo got TERM; i=0; while true; do sleep 1; i=$((i+1)); echo after $i; done' TERM;
                echo started; while true; do sleep 1; done"]
  - name: bye
    container:
      image: alpine
      command: [sh, -c, "echo exit handler saw {{workflow.status}}"]
"""


class Streamed:
    """A process's merged output, read line by line by a thread, so that waiting for a line has a
    deadline that fires (a blocking readline would wait forever)."""

    def __init__(self, proc: subprocess.Popen):
        self.proc, self.lines, self.done = proc, [], False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(text in line for line in self.lines):
                left = deadline - time.monotonic()
                if self.done or left <= 0:
                    raise AssertionError(f"{text!r} not seen ({'exited' if self.done else 'timed out'}): "
                                         + "".join(self.lines))
                self.cond.wait(left)

    def finish(self, timeout: float = 120) -> str:
        self.proc.wait(timeout)
        self.thread.join(timeout)
        return "".join(self.lines)


_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    """A test that fails half-way leaves no localflow process running (then the leftover guard,
    which runs after this, sees what that process left)."""
    yield
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.send_signal(signal.SIGINT)  # terminate: no exit handler
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)


def start(path: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    full = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    proc = subprocess.Popen([sys.executable, "-m", "localflow", "submit", path, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=full, cwd=str(REPO))
    proc.out = Streamed(proc)
    _started.append(proc)
    return proc


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 60) -> None:
    proc.out.wait_for(text, timeout)


def latest_run() -> dict:
    out = localflow("get", "@latest", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def long_file(tmp_path):
    p = tmp_path / "long.yaml"
    p.write_text(LONG)
    return str(p)


@pytest.fixture
def resident(monkeypatch):
    """A resident process in the test's home (`submit`s are handed to it); stopped, and checked to have
    run the test's submits, at the end."""
    monkeypatch.setenv("LOCALFLOW_RESIDENT", "manual")  # (tests/conftest.py turns it off)
    out = localflow("resident", "start", "--idle", "300")
    assert out.returncode == 0, out.stderr
    yield
    status = localflow("resident", "status")
    localflow("resident", "stop")
    assert " 1 command(s) run" in status.stdout, status.stdout


@pytest.fixture(params=["own process", "resident"])
def via(request):
    """A `submit` in its own process, or handed to the resident process: the same behaviour."""
    if request.param == "resident":
        request.getfixturevalue("resident")
    return request.param


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_run_runs_exit_handler_and_cleans_up(long_file, sig, via):
    proc = start(long_file)
    wait_for_line(proc, "started")
    proc.send_signal(sig)
    rest = proc.out.finish()
    assert proc.returncode == 1, rest
    assert "exit handler saw Failed" in rest
    assert "Traceback" not in rest
    wf = latest_run()
    said = {signal.SIGINT: "interrupt", signal.SIGTERM: "SIGTERM"}[sig]
    assert (wf["status"]["phase"], wf["status"]["message"]) == ("Failed", f"Stopped by {said}")
    name = wf["metadata"]["name"]
    nodes = {n["displayName"]: n for n in wf["status"]["nodes"].values()}
    assert nodes["quick"]["phase"] == "Succeeded"  # what finished is kept
    # the container got SIGTERM first (its trap ran), lived on through the grace period (it counted
    # seconds; at most 10 of them) and was ended by SIGKILL (exit code 137)
    lines = rest.splitlines()
    assert "sleep: got TERM" in lines, rest
    counted = [line for line in lines if line.startswith("sleep: after ")]
    assert 1 <= len(counted) <= 10, rest
    assert (nodes["sleep"]["phase"], nodes["sleep"]["message"]) == ("Failed", f"Stopped by {said}")
    assert nodes["sleep"]["outputs"]["exitCode"] == "137"
    assert leftovers(name) == (0, 0, 0)


def test_second_interrupt_terminates_without_exit_handler(tmp_path):
    # the step ignores SIGTERM, so the first interrupt's stop is still under way when the second comes
    # (a process that does not ignore it stops at once: it is not PID 1)
    long_file = tmp_path / "long.yaml"
    long_file.write_text(LONG.replace('"echo started; sleep 300"', '"trap \'\' TERM; echo started; sleep 300"'))
    assert "trap" in long_file.read_text()
    proc = start(str(long_file))
    wait_for_line(proc, "started")
    proc.send_signal(signal.SIGINT)
    wait_for_line(proc, "stopping")  # the first one was handled (the container ignores SIGTERM for 10 s)
    proc.send_signal(signal.SIGINT)
    rest = proc.out.finish()
    assert proc.returncode == 1, rest
    assert "localflow: interrupt: terminating" in rest
    assert "exit handler saw" not in rest
    wf = latest_run()
    assert wf["status"]["phase"] == "Failed"
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def test_a_caller_that_vanishes_stops_the_run_the_resident_runs_for_it(long_file, resident):
    proc = start(long_file)  # handed to the resident: the run is in its fork, not in this process
    wait_for_line(proc, "started")
    proc.kill()  # as a CI job's runner may: no signal to forward
    proc.wait(timeout=30)
    deadline = time.monotonic() + 90  # (the history may still say Pending: its writer lags the run)
    while time.monotonic() < deadline and latest_run()["status"]["phase"] in ("Pending", "Running"):
        time.sleep(0.5)
    wf = latest_run()
    assert (wf["status"]["phase"], wf["status"].get("message")) == ("Failed", "Stopped by SIGTERM"), wf["status"]
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def _run_of(proc: subprocess.Popen) -> str:
    """The run's name, from the history (the run row records the process that runs it)."""
    from localflow.store.db import Store
    store = Store()
    try:
        (name,) = [r["name"] for r in store.list_runs() if r.get("pid") == proc.pid]
        return name
    finally:
        store.close()


@pytest.mark.parametrize("command", [["gc"], ["list"], ["get", "RUN"]])
def test_sigkill_leaves_an_orphan_that_the_next_command_reaps(long_file, command):
    killed, other = start(long_file), start(long_file)
    for proc in (killed, other):
        wait_for_line(proc, "started")
    name, other_name = _run_of(killed), _run_of(other)
    killed.kill()
    killed.wait(timeout=30)
    assert leftovers(name)[0] >= 1  # the sleeping container is still there
    out = localflow(*[name if a == "RUN" else a for a in command])
    assert out.returncode == 0, out.stderr
    wf = json.loads(localflow("get", name, "-o", "json").stdout)
    assert (wf["status"]["phase"], wf["status"]["message"]) == (
        "Error", "localflow process exited while the run was going on")
    assert leftovers(name) == (0, 0, 0)
    # the other run, whose process is alive, is untouched: still running, its container still there
    assert json.loads(localflow("get", other_name, "-o", "json").stdout)["status"]["phase"] == "Running"
    assert leftovers(other_name)[0] >= 1
    other.send_signal(signal.SIGINT)
    rest = other.out.finish()
    assert other.returncode == 1 and "exit handler saw Failed" in rest, rest
    assert leftovers(other_name) == (0, 0, 0)


def test_two_runs_of_the_same_file_at_once_do_not_collide(tmp_path):
    p = tmp_path / "pair.yaml"
    p.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: pair-
spec:
  entrypoint: main
  volumeClaimTemplates:
  - metadata: {name: work}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: write, template: write}
    - - name: read
        template: read
        arguments: {parameters: [{name: ip, value: "{{steps.server.ip}}"}]}
  - name: server
    daemon: true
    container:
      image: alpine
      # serves its own run's name: a run reaching the other run's daemon would read the wrong name
      command: [sh, -c, "mkdir -p /www && echo served-by-{{workflow.name}} > /www/index.html && httpd -f -p 80 -h /www"]
      readinessProbe: {httpGet: {path: /, port: 80}}
  - name: write
    container:
      image: alpine
      command: [sh, -c, "echo {{workflow.name}} > /work/who"]
      volumeMounts: [{name: work, mountPath: /work}]
  - name: read
    inputs: {parameters: [{name: ip}]}
    container:
      image: alpine
      # `set -e`, no pipes: a failing wget fails the step
      command: [sh, -c, "set -e; echo volume-of-$(cat /work/who); echo by-ip-$(wget -q -O - http://{{inputs.parameters.ip}}/);
                echo by-name-$(wget -q -O - http://server/)"]
      volumeMounts: [{name: work, mountPath: /work}]
""")
    a, b = start(str(p)), start(str(p))
    outs = [a.out.finish(180), b.out.finish(180)]
    assert a.returncode == 0, outs[0]
    assert b.returncode == 0, outs[1]
    names = []
    for out in outs:
        name = next(line.split()[-1] for line in out.splitlines() if line.startswith("Name:"))
        names.append(name)
        lines = out.splitlines()
        assert f"read: volume-of-{name}" in lines, out  # its own volume
        assert f"read: by-ip-served-by-{name}" in lines, out  # its own daemon, by IP
        assert f"read: by-name-served-by-{name}" in lines, out  # and by the step's name
        assert leftovers(name) == (0, 0, 0)
    assert names[0] != names[1]


def created_by_badinput_runs(client, since: int) -> list[str]:
    """The containers, networks and volumes of `badinput-` runs the engine created since `since`
    (its event log: objects created and already removed again count too)."""
    events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"label": "localflow.run", "event": "create"})
    return [f"{e.get('Type')} {e['Actor']['Attributes'].get('localflow.run')}" for e in events
            if str(e.get("Actor", {}).get("Attributes", {}).get("localflow.run", "")).startswith("badinput-")]


def test_bad_input_in_a_later_step_starts_no_container(tmp_path):
    """The first step is fine, the second names a template that does not exist: nothing starts."""
    client = docker.from_env()
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: badinput-}\n"
                   "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                   "    - - {name: a, template: whalesay}\n    - - {name: b, template: whalesy}\n"
                   "  - name: whalesay\n    container: {image: alpine, command: [echo, hi]}\n")
    since = int(time.time()) - 1
    out = localflow("submit", str(bad))
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr == ('localflow: bad.yaml: spec.templates[0].steps[1][0].template: no template named "whalesy" '
                          '(did you mean "whalesay"?)\n')
    assert created_by_badinput_runs(client, since) == []


def test_bad_input_starts_no_container(tmp_path):
    client = docker.from_env()
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: badinput-}\n"
                   "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                   "    - - {name: a, template: whalesy}\n  - name: whalesay\n    container: {image: alpine}\n")
    since = int(time.time()) - 1
    out = localflow("submit", str(bad))
    assert out.returncode == 2
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert lines == ['localflow: bad.yaml: spec.templates[0].steps[0][0].template: no template named "whalesy" '
                     '(did you mean "whalesay"?)']
    flt = {"label": "localflow.run"}  # the low-level API: no per-object inspect racing other removals
    runs = {c["Labels"].get("localflow.run", "") for c in client.api.containers(all=True, filters=flt)}
    runs |= {n["Labels"].get("localflow.run", "") for n in client.api.networks(filters=flt)}
    assert not any(r.startswith("badinput-") for r in runs)
    assert created_by_badinput_runs(client, since) == []  # not even briefly


class SocketProxy:
    """A unix-socket proxy in front of the Docker engine, to make the engine 'vanish' mid-run."""

    def __init__(self, path: str, target: str = "/var/run/docker.sock"):
        import socket
        import threading
        self.path, self.target = path, target
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(64)
        self.conns: list = []
        self.alive = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while self.alive:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def kill(self):
        import socket
        self.alive = False
        for s in [self.server] + self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def test_engine_lost_mid_run_is_one_clear_error(long_file, tmp_path):
    sock = str(tmp_path / "docker.sock")
    proxy = SocketProxy(sock)
    env = dict(os.environ, PYTHONPATH=str(REPO), DOCKER_HOST=f"unix://{sock}")
    proc = subprocess.Popen([sys.executable, "-m", "localflow", "submit", long_file], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=str(REPO))
    proc.out = Streamed(proc)
    wait_for_line(proc, "started")
    proxy.kill()
    rest = proc.out.finish()
    assert proc.returncode == 1, rest
    assert "Traceback" not in rest
    lost = "lost the Docker engine while waiting for the container: "
    wf = latest_run()
    assert wf["status"]["phase"] == "Error"
    assert wf["status"]["message"].startswith(lost), wf["status"]["message"]
    sleep = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "sleep")
    assert (sleep["phase"], sleep["message"][:len(lost)]) == ("Error", lost), sleep
    # the real engine is still there: gc removes what the lost run left
    assert localflow("gc").returncode == 0
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def test_containers_get_only_what_the_workflow_asks_for(tmp_path):
    from localflow.runtime.labels import remove_run_objects
    p = tmp_path / "plain.yaml"
    p.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: plain-}\n"
                 "spec:\n  entrypoint: main\n  templates:\n  - name: main\n"
                 "    container: {image: alpine, command: [echo, hi]}\n")
    for kind in ("secret", "configmap"):  # stores the check below must find
        assert localflow(kind, "create", f"my-{kind}", "--from-literal=k=v").returncode == 0
    out = localflow("submit", "--keep", "-o", "name", str(p))
    assert out.returncode == 0, out.stderr
    name = out.stdout.strip().splitlines()[-1]
    client = docker.from_env()
    try:
        (c,) = client.containers.list(all=True, filters={"label": f"localflow.run={name}"})
        host = c.attrs["HostConfig"]
        assert host["Privileged"] is False
        assert not host.get("Binds") and not c.attrs.get("Mounts")
        # no daemon, IP or probe: Docker's default bridge (a run network of its own slows every start)
        assert host["NetworkMode"] in ("default", "bridge")
        assert not client.networks.list(filters={"label": f"localflow.run={name}"})
        assert not host.get("CapAdd")
        assert c.labels["localflow.role"] == "main"
        home = os.environ["LOCALFLOW_HOME"]  # (the fixture created it beforehand, as a user may)
        assert os.stat(home).st_mode & 0o777 == 0o700
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(home) for f in fs]
        kinds = {os.path.basename(os.path.dirname(f)) for f in files} | {os.path.basename(f) for f in files}
        assert {"secrets", "configmaps", "localflow.db"} <= kinds, files
        assert [f for f in files if os.stat(f).st_mode & 0o777 != 0o600] == []
    finally:
        remove_run_objects(client, name)


def test_keep_then_gc_removes_what_was_kept(tmp_path):
    """--keep leaves the run's containers, network and volume; `localflow gc`, once the process has
    exited, removes them all and says so."""
    p = tmp_path / "kept.yaml"
    p.write_text("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: kept-}
spec:
  entrypoint: main
  volumeClaimTemplates:
  - metadata: {name: work}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
  templates:
  - name: main
    steps:
    - - {name: server, template: server}
    - - {name: use, template: use}
  - name: server
    daemon: true
    container: {image: alpine, command: [sleep, "3600"]}
  - name: use
    container:
      image: alpine
      command: [sh, -c, "echo kept > /work/x"]
      volumeMounts: [{name: work, mountPath: /work}]
""")
    out = localflow("submit", "--keep", "-o", "name", str(p))
    assert out.returncode == 0, out.stdout + out.stderr
    name = out.stdout.strip().splitlines()[-1]
    containers, networks, volumes = leftovers(name)
    assert containers >= 1 and (networks, volumes) == (1, 1), (containers, networks, volumes)
    gc = localflow("gc")
    assert gc.returncode == 0, gc.stderr
    assert (f"removed what run '{name}' left: {containers} containers, 1 networks, 1 volumes"
            in gc.stdout.splitlines()), gc.stdout
    assert leftovers(name) == (0, 0, 0)
