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
