"""The leftover guard of tests/conftest.py: a docker-backed test that leaves its run's objects fails,
and another process's objects on the same engine are not counted against a test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import docker
from leftovers import labelled_objects, mine, recorded_runs

from localflow.runtime.labels import labels, remove_run_objects

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

SAMPLE = textwrap.dedent('''
    import os, subprocess, sys
    import pytest

    WF = """apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: kept-}
    spec:
      entrypoint: main
      templates:
      - name: main
        container: {image: busybox, command: [echo, hi]}
    """

    @pytest.mark.docker
    def test_keeps_its_run(tmp_path, monkeypatch):
        monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path / "home"))
        (tmp_path / "wf.yaml").write_text(WF)
        r = subprocess.run([sys.executable, "-m", "localflow", "submit", str(tmp_path / "wf.yaml"), "--keep"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
''')


def test_a_test_that_keeps_its_run_fails(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO)]))
    env.pop("CI", None)
    basetemp = tmp_path / "bt"
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                            "--rootdir", str(tmp_path), "--basetemp", str(basetemp), str(tmp_path / "test_sample.py")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    finally:
        runs = recorded_runs(basetemp)
        client = docker.from_env()
        for run, _ in runs:
            remove_run_objects(client, run)
    assert len(runs) == 1, r.stdout + r.stderr
    assert r.returncode == 1, r.stdout + r.stderr
    run = next(iter(runs))[0]
    assert "the test left Docker objects of its runs behind: container" in r.stdout, r.stdout
    assert f"of run {run}" in r.stdout


def test_objects_of_another_process_do_not_count(tmp_path):
    """A network labelled as another process's run (the pid of our parent) exists during the test:
    the guard, run at this test's teardown, must not blame this test for it."""
    client = docker.from_env()
    lab = labels("guard-other-" + tmp_path.name[-8:].replace("_", "-"), role="network")
    lab["localflow.pid"] = str(os.getppid())
    net = client.networks.create("lf-guard-" + os.urandom(4).hex(), labels=lab)
    try:
        assert any(ident == net.id for _, ident, _ in labelled_objects())
        assert not list(mine(labelled_objects(), tmp_path))
    finally:
        net.remove()
