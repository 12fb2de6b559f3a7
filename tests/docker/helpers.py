"""Shared helpers for the docker-backed tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seed-workflows"
EXAMPLES = SHARED / "argo-examples"


def localflow(*args: str, env: dict | None = None, timeout: float = 300, input: str | None = None,
              ) -> subprocess.CompletedProcess:
    """Run the CLI as a user would (`python -m localflow`, from this checkout)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.pop("LOCALFLOW_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, input=input, cwd=str(REPO))


def leftovers(run: str) -> tuple[int, int, int]:
    import docker
    client = docker.from_env()
    flt = {"label": f"localflow.run={run}"}
    return (len(client.api.containers(all=True, filters=flt)), len(client.api.networks(filters=flt)),
            len((client.api.volumes(filters=flt) or {}).get("Volumes") or []))


def submit_text(tmp_path, text: str, *args: str, check_leftovers: bool = True):
    """`localflow submit` of a workflow given as text; asserts the run left no Docker objects behind."""
    import re
    p = tmp_path / "wf.yaml"
    p.write_text(text)
    proc = localflow("submit", str(p), *args)
    out = proc.stdout + proc.stderr
    m = re.search(r"^Name:\s+(\S+)", out, re.M)
    if m and check_leftovers:
        assert leftovers(m.group(1)) == (0, 0, 0), "the run left Docker objects behind"
    return proc, out
