"""The pre-commit hook of .pre-commit-hooks.yaml, run as pre-commit runs a `language: python` hook
(its `entry` split like a shell command, found on PATH as the package's console script, then the
hook's args, then the staged files the `files` pattern matches), without network: the console
script is a shim running this checkout."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "argo-examples"


def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (found,) = [h for h in hooks if h["id"] == "localflow-lint"]
    return found


def run_hook(tmp_path: Path, files: list[Path]) -> subprocess.CompletedProcess:
    h = hook()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "localflow"  # what `pip install .` puts on PATH ([project.scripts])
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m localflow \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    pattern = re.compile(h.get("files", ""))
    matched = [str(f) for f in files if pattern.search(str(f))]
    argv = shlex.split(h["entry"]) + list(h.get("args", [])) + matched
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(REPO),
               LOCALFLOW_HOME=str(tmp_path / "home"))
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def test_the_hook_runs_localflow_lint():
    h = hook()
    assert h["language"] == "python" and shlex.split(h["entry"])[:2] == ["localflow", "lint"]
    scripts = (REPO / "pyproject.toml").read_text().split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^localflow\s*=", scripts, re.M)  # the console script the entry names


def test_good_files_pass(tmp_path):
    out = run_hook(tmp_path, [EXAMPLES / "hello-world.yaml", EXAMPLES / "steps.yaml", Path("README.md")])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "no linting errors found in 2 files"


def test_a_bad_file_fails_the_commit_with_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: x-}\n"
                   "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {image: alpine, comand: [ls]}\n")
    out = run_hook(tmp_path, [bad, EXAMPLES / "hello-world.yaml"])
    assert out.returncode == 2
    assert 'bad.yaml: spec.templates[0].container.comand: unknown field "comand" (did you mean "command"?)' \
        in out.stderr
