"""Start-up stays light: `localflow --help` and `localflow lint` import only what they use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from localflow.cli.main import app

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELLO = os.path.join(ROOT, "examples", "hello-world.yaml")
# Heavy packages that neither command needs (pydantic comes in through typer's coercion).
HEAVY = ("pydantic", "networkx", "rich", "lark", "docker", "requests", "jinja2", "minio", "git", "asyncio")


def _modules_after(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str], set[str]]:
    code = (
        "import json, sys\n"
        f"sys.argv = ['localflow'] + {argv!r}\n"
        "from localflow.cli.main import main\n"
        "try:\n    main()\n    code = 0\n"
        "except SystemExit as e:\n    code = e.code or 0\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\n' + json.dumps([code, sorted(sys.modules)]))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env=None if env is None else {**os.environ, **env})
    code_, modules = json.loads(p.stderr.rsplit("\n", 1)[1])
    return code_, {m.split(".")[0] for m in modules}, set(modules)


@pytest.mark.parametrize("argv", [["--help"], ["lint", HELLO]], ids=["help", "lint"])
def test_no_heavy_imports(argv):
    code, packages, _modules = _modules_after(argv)
    assert code == 0
    assert sorted(packages & set(HEAVY)) == []


def test_lint_needs_neither_typer_nor_the_other_commands():
    code, packages, modules = _modules_after(["lint", HELLO])
    assert code == 0
    assert "typer" not in packages and "click" not in packages
    assert "localflow.cli.history" not in modules and "localflow.cli.artifacts_cmd" not in modules
    code, packages, modules = _modules_after(["lint", "--help"])
    assert code == 0 and "typer" in packages and "localflow.cli.history" not in modules


@pytest.mark.parametrize("args", [
    [HELLO],
    [HELLO, HELLO, "--templates", HELLO],
    ["--templates", os.path.join(ROOT, "examples"), HELLO],
    [os.path.join(ROOT, "examples")],
    ["missing.yaml", HELLO],
    [HELLO, "--templates", "missing"],
    ["bad.yaml"],
], ids=["one", "two", "templates-first", "folder", "missing", "missing-templates", "invalid"])
def test_lint_without_typer_says_what_typer_says(args, tmp_path, monkeypatch, capsys):
    from localflow.cli import main as cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: {entrypoint: 3}\n")
    assert cli._plain_lint_arguments(args) is not None
    monkeypatch.setattr(sys, "argv", ["localflow", "lint", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
    out, err = capsys.readouterr()
    r = CliRunner().invoke(app, ["lint", *args])
    assert (info.value.code, out + err) == (r.exit_code, r.output)


@pytest.mark.parametrize("args", [[], ["--templates"], ["-h"], ["--", "x"], ["x", "--templates", "-"], ["x", "--other"]])
def test_lint_arguments_typer_must_read(args):
    from localflow.cli import main as cli

    assert cli._plain_lint_arguments(args) is None


def test_lint_arguments_still_coerced(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["lint", HELLO, HELLO, "--templates", HELLO])
    assert r.exit_code == 0, r.output
    assert "no linting errors found in 2 files" in r.output
    r = runner.invoke(app, ["lint", str(tmp_path / "missing.yaml")])
    assert r.exit_code == 2
    assert "missing.yaml" in r.output


def test_dag_lint_keeps_lark_parsers_and_needs_no_networkx(tmp_path):
    env = {"LOCALFLOW_HOME": str(tmp_path)}
    dag = os.path.join(ROOT, "examples", "ci-pipeline.yaml")
    code, packages, _modules = _modules_after(["lint", dag], env)
    assert code == 0 and "networkx" not in packages
    kept = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert "lark-depends.cache" in kept
    for name in kept:  # a damaged file is rebuilt, not an error
        (tmp_path / "cache" / name).write_bytes(b"not a pickle")
    assert _modules_after(["lint", dag], env)[0] == 0
    assert _modules_after(["lint", dag], env)[0] == 0
