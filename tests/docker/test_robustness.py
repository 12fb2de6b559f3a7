"""Interruption, crashes and concurrency against the real engine: nothing is left behind or lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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
      command: [sh, -c, "echo started; sleep 300"]
  - name: bye
    container:
      image: alpine
      command: [sh, -c, "echo exit handler saw {{workflow.status}}"]
"""


def start(path: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen([sys.executable, "-m", "localflow", "submit", path, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=str(REPO))


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 60) -> list[str]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not seen in {''.join(seen)}")


def latest_run() -> dict:
    out = localflow("get", "@latest", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture
def long_file(tmp_path):
    p = tmp_path / "long.yaml"
    p.write_text(LONG)
    return str(p)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_run_runs_exit_handler_and_cleans_up(long_file, sig):
    proc = start(long_file)
    wait_for_line(proc, "started")
    proc.send_signal(sig)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, rest
    assert "exit handler saw Failed" in rest
    assert "Traceback" not in rest
    wf = latest_run()
    assert wf["status"]["phase"] == "Failed"
    assert "Stopped" in wf["status"]["message"]
    name = wf["metadata"]["name"]
    quick = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "quick")
    assert quick["phase"] == "Succeeded"  # what finished is kept
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
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, rest
    assert "exit handler saw" not in rest
    wf = latest_run()
    assert wf["status"]["phase"] == "Failed"
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def test_sigkill_leaves_an_orphan_that_the_next_command_reaps(long_file):
    proc = start(long_file)
    wait_for_line(proc, "started")
    wf = latest_run()
    name = wf["metadata"]["name"]
    proc.kill()
    proc.wait(timeout=30)
    assert leftovers(name)[0] >= 1  # the sleeping container is still there
    out = localflow("gc")
    assert out.returncode == 0, out.stderr
    wf = latest_run()
    assert wf["status"]["phase"] == "Error"
    assert leftovers(name) == (0, 0, 0)


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
      image: nginx:1.13
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
      command: [sh, -c, "cat /work/who; wget -q -O - http://{{inputs.parameters.ip}}/ | head -c 200; wget -q -O - http://server/ >/dev/null && echo by-name-ok"]
      volumeMounts: [{name: work, mountPath: /work}]
""")
    a, b = start(str(p)), start(str(p))
    out_a, _ = a.communicate(timeout=180)
    out_b, _ = b.communicate(timeout=180)
    assert a.returncode == 0, out_a
    assert b.returncode == 0, out_b
    for out in (out_a, out_b):
        name = next(line.split()[-1] for line in out.splitlines() if line.startswith("Name:"))
        assert f"read: {name}" in out  # each run read its own volume
        assert "by-name-ok" in out  # the daemon is reachable by its step name
        assert leftovers(name) == (0, 0, 0)


def test_bad_input_starts_no_container(tmp_path):
    client = docker.from_env()
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: badinput-}\n"
                   "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    steps:\n"
                   "    - - {name: a, template: whalesy}\n  - name: whalesay\n    container: {image: alpine}\n")
    out = localflow("submit", str(bad))
    assert out.returncode == 2
    lines = [x for x in out.stderr.splitlines() if x.strip()]
    assert lines == ['localflow: bad.yaml: spec.templates[0].steps[0][0].template: no template named "whalesy" '
                     '(did you mean "whalesay"?)']
    flt = {"label": "localflow.run"}  # the low-level API: no per-object inspect racing other removals
    runs = {c["Labels"].get("localflow.run", "") for c in client.api.containers(all=True, filters=flt)}
    runs |= {n["Labels"].get("localflow.run", "") for n in client.api.networks(filters=flt)}
    assert not any(r.startswith("badinput-") for r in runs)


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
    wait_for_line(proc, "started")
    proxy.kill()
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, rest
    assert "Traceback" not in rest
    assert "Docker engine" in rest
    wf = latest_run()
    assert wf["status"]["phase"] == "Error"
    # the real engine is still there: gc removes what the lost run left
    assert localflow("gc").returncode == 0
    assert leftovers(wf["metadata"]["name"]) == (0, 0, 0)


def test_containers_get_only_what_the_workflow_asks_for(tmp_path):
    from localflow.runtime.labels import remove_run_objects
    p = tmp_path / "plain.yaml"
    p.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: plain-}\n"
                 "spec:\n  entrypoint: main\n  templates:\n  - name: main\n"
                 "    container: {image: alpine, command: [echo, hi]}\n")
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
        secret_files = [os.path.join(dp, f) for dp, _, fs in os.walk(os.environ["LOCALFLOW_HOME"]) for f in fs]
        for f in secret_files:
            assert os.stat(f).st_mode & 0o077 == 0 or not f.endswith(".json"), f
    finally:
        remove_run_objects(client, name)
