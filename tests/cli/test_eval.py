"""`localflow eval` answers the `when` and expr-lang rows of ../shared/argo-truth/expr-cases.tsv
(and of tests/expr/data/'s when and sprig tables) with Go's `%v` text and JSON (the real
libraries' answers), and an error as one line, exit 2.

Every row goes through the whole command line in-process (typer's runner); a sample also through
a real `python -m localflow eval` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "expr"))

import expr_truth_table as T  # noqa: E402
from test_argo_truth_expr import EXPECTED_DIFFERENCES  # noqa: E402

from localflow.cli.main import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROWS = [r for r in (T.load_rows() if T.TABLE.is_file() else []) if r.kind in ("when", "expr")]
DATA = Path(__file__).resolve().parents[1] / "expr" / "data"
#: and the tables computed here with the real Go libraries (tests/expr/data/README.md)
CHECKED = [r for r in ROWS if r.id not in EXPECTED_DIFFERENCES] + [
    r for name in ("when-cases.tsv", "sprig-cases.tsv") for r in T.load_rows(DATA / name)]


def _argv(row: T.Row) -> list[str]:
    argv = ["eval", "-o", "json"]
    if row.kind == "when":
        argv.append("--when")
    variables = T.context(row).get("vars")
    if variables is not None:
        argv += ["--vars-json", json.dumps(variables)]
    return [*argv, "--", row.input]  # an expression may start with "-"


def _check(row: T.Row, code: int, stdout: str, stderr: str) -> None:
    if row.is_error:
        assert code == 2, stdout
        assert stdout == ""
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("localflow: eval: "), stderr
        return
    assert code == 0, stderr
    m = T.re.fullmatch(r"(.*?) json=(.*) %v=(.*)", row.expected, T.re.S)
    assert m, row.expected
    go_json, go_text = m.group(2), T.literal(m.group(3))
    got = json.loads(stdout)
    assert got["text"] == go_text
    if go_json.startswith("json-error: "):
        assert got["json_error"] == go_json[len("json-error: ") :]
    else:
        assert json.dumps(got["value"]) == json.dumps(json.loads(go_json))


def test_the_table_is_there():
    T.require_table()
    assert len(ROWS) >= 597


@pytest.mark.parametrize("row", CHECKED, ids=[r.id for r in CHECKED])
def test_eval_answers_as_go(row):
    result = CliRunner().invoke(app, _argv(row))
    _check(row, result.exit_code, result.stdout, result.stderr)


SAMPLE = ["govaluate-001", "exprlang-001", "exprlang-002", "exprlang-244", "exprlang-260", "exprlang-258"]


@pytest.mark.parametrize("row", [r for r in CHECKED if r.id in SAMPLE], ids=lambda r: r.id)
def test_eval_process(row):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "localflow", *_argv(row)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT, env=env, check=False)
    _check(row, p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("argv", "printed"),
    [
        (["[1, 2]"], "[1,2]"),  # as Argo substitutes it into {{=...}}: Go's JSON
        (["'a' + 'b'"], "ab"),  # a string as it is
        (["asInt(inputs.parameters.n) * 2", "--vars-json", '{"inputs.parameters.n": "5"}'], "10"),
        (["{{steps.a.outputs.result}} == heads", "--when", "--vars-json", '{"steps.a.outputs.result": "heads"}'],
         "true"),
    ],
)
def test_eval_prints_the_substituted_text(argv, printed):
    result = CliRunner().invoke(app, ["eval", *argv])
    assert (result.exit_code, result.stdout) == (0, printed + "\n")


@pytest.mark.parametrize(
    "argv",
    [["1 +"], ["1", "--vars-json", "[1"], ["1", "--vars-json", "[1]"], ["1 +", "--when"], ["nil"], ["1/0"],
     ["1", "-o", "yaml"]],
)
def test_eval_errors_are_one_line_exit_2(argv):
    result = CliRunner().invoke(app, ["eval", *argv])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("localflow: eval: ")
