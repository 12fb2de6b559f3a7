"""One run's fixed cost (issue 14, goal 1): `localflow submit FILE` of a one-step workflow without artifacts
imports neither the S3 client (minio and its crypto) nor a parser generator (lark), which come in when an
artifact moves or an expression is parsed, nor typer (plain arguments are read without it), nor the docker
SDK and requests (a local engine is spoken to over its socket by runtime/engine_api). The run is
real (Docker), in a subprocess, as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ECHO = '    container: {image: "alpine:3.7", command: [echo, hi]}\n'
HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: imports-}\nspec:\n  entrypoint: main\n"
ONE_STEP = HEAD + "  templates:\n  - name: main\n" + ECHO
DAG = HEAD + """\
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: echo}
      - {name: b, template: echo, depends: "a.Succeeded"}
  - name: echo
""" + ECHO
SCRIPT = HEAD + """\
  templates:
  - name: main
    outputs:
      parameters:
      - {name: out, valueFrom: {path: /tmp/out}}
    script:
      image: alpine:3.7
      command: [sh]
      source: echo hi > /tmp/out
"""
NOT_ON_THE_HOT_PATH = ("minio", "Crypto", "argon2", "cffi", "pycparser", "lark", "regex", "rich", "git", "typer", "click",
                      "docker", "requests", "urllib3", "charset_normalizer")


def _submit_modules(workflow: str, tmp_path) -> set[str]:
    """The modules a `localflow submit` of `workflow` has imported when it ends, and their top-level packages
    (the run must succeed)."""
    path = tmp_path / "wf.yaml"
    path.write_text(workflow)
    code = (
        "import json, sys\n"
        f"sys.argv = ['localflow', 'submit', {str(path)!r}]\n"
        "from localflow.cli.main import main\n"
        "try:\n    main()\n    code = 0\n"
        "except SystemExit as e:\n    code = e.code or 0\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\n' + json.dumps([code, sorted(sys.modules)]))\n"
    )
    env = {**os.environ, "LOCALFLOW_HOME": str(tmp_path / "home"), "PYTHONPATH": ROOT}
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300,
                       cwd=ROOT, env=env)
    status, modules = json.loads(p.stderr.rsplit("\n", 1)[1])
    assert status == 0, p.stdout + p.stderr
    assert "Succeeded" in p.stdout
    return set(modules) | {m.split(".")[0] for m in modules}


@pytest.mark.docker
def test_one_step_run_imports_no_s3_client_no_parser_and_no_docker_sdk(tmp_path):
    from needs import need
    need("docker")
    modules = _submit_modules(ONE_STEP, tmp_path)
    assert sorted(modules & set(NOT_ON_THE_HOT_PATH)) == []
    assert "localflow.artifacts.transfer" not in modules and "localflow.artifacts.streams" not in modules


@pytest.mark.docker
def test_a_depends_expression_still_brings_its_parser(tmp_path):
    """The other side of the lazy import: a DAG's `depends` is parsed, so lark is loaded (then, not before)."""
    from needs import need
    need("docker")
    modules = _submit_modules(DAG, tmp_path)
    assert "lark" in modules and "minio" not in modules


@pytest.mark.docker
def test_a_script_with_an_output_parameter_needs_no_docker_sdk(tmp_path):
    """The script's source is put into its container and the parameter read from it (the archive API)
    over the local socket too."""
    from needs import need
    need("docker")
    modules = _submit_modules(SCRIPT, tmp_path)
    assert sorted(modules & {"docker", "requests", "urllib3"}) == []
