"""`synchronization` and `memoize` through the CLI with real containers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MUTEX_WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: e2e-mutex-}
spec:
  entrypoint: main
  synchronization:
    mutexes: [{name: e2e-shared}]
  templates:
  - name: main
    container:
      image: alpine:3.7
      command: [sh, -c]
      args: ["sleep 2; echo done"]
"""


def submit(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "localflow", "submit", *args, "-o", "json"], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def test_two_concurrent_submits_sharing_a_mutex_do_not_overlap(tmp_path):
    wf = tmp_path / "mutex.yaml"
    wf.write_text(MUTEX_WF)
    procs = [submit(str(wf), cwd=ROOT) for _ in range(2)]
    runs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        runs.append(json.loads(out))
    spans = sorted((n["startedAt"], n["finishedAt"]) for r in runs for n in r["status"]["nodes"].values()
                   if n["type"] == "Pod")
    assert len(spans) == 2
    assert spans[0][1] <= spans[1][0], spans  # the second container started after the first finished


MEMO_WF = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: e2e-memo-}
spec:
  entrypoint: main
  templates:
  - name: main
    memoize:
      key: "e2e-key"
      maxAge: "1h"
      cache: {configMap: {name: e2e-cache}}
    container:
      image: alpine:3.7
      command: [sh, -c]
      args: ["echo world > /tmp/out.txt"]
    outputs:
      parameters:
      - name: hello
        valueFrom: {path: /tmp/out.txt}
"""


def test_a_memoized_second_run_starts_no_container(tmp_path):
    import docker
    wf = tmp_path / "memo.yaml"
    wf.write_text(MEMO_WF)
    first = submit(str(wf), cwd=ROOT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    run1 = json.loads(out)
    node1 = run1["status"]["nodes"][run1["metadata"]["name"]]
    assert node1["memoizationStatus"] == {"hit": False, "key": "e2e-key", "cacheName": "e2e-cache"}
    second = submit(str(wf), cwd=ROOT)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    run2 = json.loads(out)
    name2 = run2["metadata"]["name"]
    node2 = run2["status"]["nodes"][name2]
    assert node2["phase"] == "Succeeded"
    assert node2["memoizationStatus"] == {"hit": True, "key": "e2e-key", "cacheName": "e2e-cache"}
    assert node2["outputs"]["parameters"][0]["value"] == "world"  # the first run's outputs
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"localflow.run={name2}"}) == []
    logs = subprocess.run([sys.executable, "-m", "localflow", "logs", name2], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert "world" not in logs.stdout  # no container ran, so there is nothing to show
    got = subprocess.run([sys.executable, "-m", "localflow", "configmap", "get", "e2e-cache", "-o", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stderr
    entry = json.loads(json.loads(got.stdout)["data"]["e2e-key"])
    assert entry["nodeID"] == run1["metadata"]["name"]
    assert set(entry) == {"nodeID", "outputs", "creationTimestamp", "lastHitTimestamp"}
