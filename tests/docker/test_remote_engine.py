"""A remote Docker engine (as GitLab's docker:dind service is to a job): a second dockerd in a network
namespace of its own, reached over TCP at that namespace's address only (tests/remote_engine.py).

Everything localflow does must work there: artifacts through the artifact server (published on the
engine's host, not on its loopback), daemons with readiness probes, Ctrl-C, nothing left behind; a
frozen engine is named; an artifact server nobody can reach is one line. Afterwards the host's engine
still runs a container. In CI these tests run (they need root, ip, nsenter and dockerd): no skipping.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import REPO, SEEDS, localflow
from test_seeds import TABLE, check

sys.path.insert(0, str(REPO / "tests"))
from remote_engine import RemoteEngine, host_engine_runs_a_container  # noqa: E402

pytestmark = pytest.mark.docker

IMAGES = ["docker/whalesay:latest", "alpine:latest", "alpine:3.7", "python:alpine3.6", "influxdb:1.2",
          "appropriate/curl:latest", "nginx:1.13", "localflow/minio-standin:latest"]

NAPS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: naps-
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: first
        template: nap
    - - name: second
        template: nap
  - name: nap
    container:
      image: alpine:3.7
      command: [sh, -c, "echo nap started; sleep 4; echo nap over"]
"""


def _why_not(*tools: str) -> str | None:
    if os.geteuid() != 0:
        return "needs root (a network namespace and a second dockerd)"
    missing = [t for t in ("ip", "nsenter", "dockerd", "docker", "openssl", *tools) if shutil.which(t) is None]
    return f"needs {', '.join(missing)} (scripts/ensure-test-engines.sh installs them)" if missing else None


def _require_harness(*tools: str) -> None:
    why = _why_not(*tools)
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the remote-engine tests, but: {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def engine():
    _require_harness()
    eng = RemoteEngine.start(images=IMAGES)
    yield eng
    eng.stop()


@pytest.fixture
def remote(engine, monkeypatch):
    """DOCKER_HOST points at the second engine for this test (and the CLI it runs)."""
    monkeypatch.setenv("DOCKER_HOST", engine.docker_host)
    yield engine
    client = engine.client()
    flt = {"label": "localflow.run"}
    left = (client.api.containers(all=True, filters=flt), client.api.networks(filters=flt),
            (client.api.volumes(filters=flt) or {}).get("Volumes") or [])
    assert left == ([], [], []), f"left on the remote engine: {left}"


def submit(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    out = localflow("submit", *args, env=env, timeout=600)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_artifact_passing_on_a_remote_engine(remote, tmp_path):
    out = submit(str(SEEDS / "artifact-passing.yaml"))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert "hello world" in out.stdout
    server = remote.client().containers.get("localflow-artifact-server")
    bindings = server.attrs["HostConfig"]["PortBindings"]["9000/tcp"]
    assert [b["HostIp"] for b in bindings] == [remote.ns_ip]  # the engine's address only, not 0.0.0.0
    got = localflow("artifacts", "get", "@latest", "generate-artifact", "hello-art", "-o", str(tmp_path / "got"))
    assert got.returncode == 0, got.stderr
    assert "hello world" in "".join(p.read_text() for p in (tmp_path / "got").rglob("*") if p.is_file())


def test_ci_pipeline_example_with_its_database_daemon(remote):
    out = submit(str(REPO / "examples" / "ci-pipeline.yaml"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr


def test_daemon_reached_by_ip_with_an_http_readiness_probe(remote):
    out = submit(str(SEEDS / "daemon-step.yaml"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr


@pytest.mark.parametrize("name", ["volumes-pvc.yaml", "sidecar-nginx.yaml", "exit-handlers.yaml", "timeouts.yaml",
                                  "steps.yaml"])
def test_seeds_as_on_a_local_engine(remote, name):
    """Volumes, a sidecar with localhost, exit handlers, deadlines: Argo's phases and lines, as locally."""
    check(name, TABLE[name], {})


def test_secrets_input_artifacts_logs_and_reports(remote, tmp_path):
    assert localflow("secret", "create", "my-secret", "--from-literal=mypassword=S00perS3cretPa55word").returncode == 0
    out = submit(str(SEEDS / "secret-example.yaml"))
    assert out.returncode == 0 and "secret from env: ***" in out.stdout, out.stdout + out.stderr
    message = tmp_path / "message.txt"
    message.write_text("from this machine\n")
    out = submit(str(SEEDS / "artifact-passing.yaml"), "--entrypoint", "print-message",
                 "--input-artifact", f"message={message}")
    assert out.returncode == 0 and "from this machine" in out.stdout, out.stdout + out.stderr
    assert "from this machine" in localflow("logs", "@latest").stdout
    report = localflow("report", "@latest", "--html", str(tmp_path / "r.html"), "--junit", str(tmp_path / "j.xml"))
    assert report.returncode == 0, report.stderr
    assert "from this machine" in (tmp_path / "r.html").read_text()


def _start(path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "localflow", "submit", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=str(REPO))


def _read_until(proc: subprocess.Popen, text: str) -> str:
    seen = ""
    for line in proc.stdout:
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never printed: {seen}")


def test_ctrl_c_stops_the_run_and_removes_its_containers(remote, tmp_path):
    wf = tmp_path / "naps.yaml"
    wf.write_text(NAPS.replace("sleep 4", "sleep 300"))
    proc = _start(wf)
    _read_until(proc, "nap started")
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 1, rest
    assert "Traceback" not in rest
    # the `remote` fixture checks that nothing labelled localflow.run is left on the remote engine


def test_a_killed_localflow_leaves_containers_that_gc_removes_there(remote, tmp_path):
    wf = tmp_path / "naps.yaml"
    wf.write_text(NAPS.replace("sleep 4", "sleep 300"))
    proc = _start(wf)
    _read_until(proc, "nap started")
    proc.kill()
    proc.wait(timeout=30)
    assert remote.client().api.containers(all=True, filters={"label": "localflow.run"}) != []
    out = localflow("gc")
    assert out.returncode == 0, out.stderr
    # the `remote` fixture checks that nothing labelled localflow.run is left on the remote engine


def _frozen_for_25_s(remote: RemoteEngine, wf: Path) -> tuple[int, str]:
    """Submit `wf`, freeze the engine (SIGSTOP) for 25 s once its step has started, thaw it."""
    proc = _start(wf)
    seen = _read_until(proc, "nap started")
    remote.freeze()
    try:
        time.sleep(25)
    finally:
        remote.thaw()
    rest, _ = proc.communicate(timeout=180)
    return proc.returncode, seen + rest


def test_a_frozen_engine_is_named_and_the_run_finishes_when_it_answers(remote, tmp_path):
    wf = tmp_path / "naps.yaml"
    wf.write_text(NAPS)
    code, out = _frozen_for_25_s(remote, wf)
    assert code == 0, out
    line = (f"localflow: the Docker engine at {remote.docker_host} has not answered for 15 s; "
            "waiting (Ctrl-C stops the run)")
    assert out.count(line) == 1, out
    assert out.count(f"localflow: the Docker engine at {remote.docker_host} answers again") == 1, out
    assert out.index(line) < out.index("answers again")


def test_a_deadline_still_applies_while_the_engine_is_frozen(remote, tmp_path):
    wf = tmp_path / "deadline.yaml"
    wf.write_text(NAPS.replace("spec:\n", "spec:\n  activeDeadlineSeconds: 12\n", 1).replace("sleep 4", "sleep 300"))
    code, out = _frozen_for_25_s(remote, wf)
    assert code == 1, out
    assert re.search(r"^Status:\s+Failed$", out, re.M), out
    assert "Pod was active on the node longer than the specified deadline" in out
    assert "has not answered for 15 s" in out


def test_publishing_on_an_address_the_engine_host_lacks_is_one_line(remote):
    out = localflow("server", "start", env={"LOCALFLOW_PUBLISH_ADDRESS": remote.host_ip})  # this side's address
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = [x for x in out.stderr.splitlines() if "artifact server" in x]
    assert len(lines) == 1, out.stderr
    assert f"has no address {remote.host_ip}: set LOCALFLOW_PUBLISH_ADDRESS" in lines[0]


def test_an_unreachable_artifact_server_is_one_line_naming_address_and_variable(remote):
    # published on the engine's own loopback: what localflow did before, unreachable from here
    out = submit(str(SEEDS / "artifact-passing.yaml"), env={"LOCALFLOW_PUBLISH_ADDRESS": "127.0.0.1"})
    assert out.returncode != 0
    lines = [x for x in out.stderr.splitlines() if "artifact server" in x]
    assert len(lines) == 1, out.stderr
    assert f"nothing answers at {remote.ns_ip}:" in lines[0]
    assert "LOCALFLOW_HOST_OVERRIDE" in lines[0]


def test_zz_the_host_engine_still_runs_a_container_after_teardown(engine):
    engine.stop()
    assert not Path(engine.netns_path).exists()
    assert engine.host_veth not in subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    assert host_engine_runs_a_container() is None


def _dind_job() -> dict:
    import yaml
    for body in re.findall(r"```yaml\n(.*?)```", (REPO / "docs" / "ci.md").read_text(), re.DOTALL):
        job = (yaml.safe_load(body) or {}).get("workflow-tests-dind") if body.startswith("# .gitlab-ci.yml") else None
        if job:
            return job
    raise AssertionError("docs/ci.md has no workflow-tests-dind job")


def test_gitlab_dind_recipe_with_tls_on_2376(monkeypatch, tmp_path):
    """docs/ci.md's docker:dind job: its variables (the service `docker` being the second engine, TLS
    on 2376 with DOCKER_TLS_CERTDIR's client certificates, as docker:dind makes them) and its script
    in one shell (set -e, as GitLab runs it), with REQUESTS_CA_BUNDLE set too: the engine's CA from
    DOCKER_CERT_PATH must win, as in the docker CLI. Then `gc`, and nothing left there."""
    import tarfile

    from test_ci_image import _project_tar
    _require_harness()
    job = _dind_job()
    engine = RemoteEngine.start(images=["python:3.8", "docker/whalesay:latest", "alpine:latest",
                                        "localflow/minio-standin:latest"], tls=True)
    try:
        certdir = str(engine.root / "certs")
        for key, value in job["variables"].items():
            value = str(value).replace("tcp://docker:", f"tcp://{engine.ns_ip}:")
            monkeypatch.setenv(key, value.replace("$DOCKER_TLS_CERTDIR", certdir) if key != "DOCKER_TLS_CERTDIR"
                               else certdir)
        assert {k: os.environ[k] for k in engine.env()} == engine.env()
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        project = tmp_path / "project"
        with tarfile.open(fileobj=io.BytesIO(_project_tar("project", red=False))) as tar:
            tar.extractall(tmp_path)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "localflow").write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m localflow \"$@\"\n")
        (bin_dir / "localflow").chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        out = subprocess.run(["sh", "-c", "set -e\n" + "\n".join(job["script"])], cwd=project, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr
        assert "Traceback" not in out.stderr
        assert (project / "reports" / "junit.xml").is_file() and (project / "reports" / "report.html").is_file()
        out = submit(str(SEEDS / "artifact-passing.yaml"))  # the artifact server over TLS too
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr
        assert localflow("gc").returncode == 0
        assert engine.client().api.containers(all=True, filters={"label": "localflow.run"}) == []
    finally:
        engine.stop()
    assert host_engine_runs_a_container() is None


@pytest.fixture(scope="module")
def podman():
    """Debian's podman 4.3 `system service` in its own namespace (the configuration: podman_command)."""
    _require_harness("podman")
    eng = RemoteEngine.start(images=IMAGES, kind="podman")
    yield eng
    eng.stop()


@pytest.mark.parametrize("workflow", ["../shared/seed-workflows/artifact-passing.yaml", "examples/ci-pipeline.yaml",
                                      "../shared/seed-workflows/daemon-step.yaml"])
def test_podman_runs_the_artifact_ci_and_daemon_workflows(podman, monkeypatch, workflow):
    monkeypatch.setenv("DOCKER_HOST", podman.docker_host)
    out = submit(str((REPO / workflow).resolve()))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr
    assert podman.client().api.containers(all=True, filters={"label": "localflow.run"}) == []


def test_zz_podman_teardown_leaves_the_host_engine_working(podman):
    podman.stop()
    assert not Path(podman.netns_path).exists()
    assert host_engine_runs_a_container() is None
