"""`localflow submit` without typer (one run's fixed cost, issue 14): arguments with one reading are read with
submit_flags.OPTIONS, the table the typer command is built from, and must give what typer gives; every
other form goes to typer."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from localflow.cli import main as cli
from localflow.cli import submit as submit_mod
from localflow.cli.main import app
from localflow.cli.submit_flags import OPTIONS, plain_arguments

F = "wf.yaml"
SAME = [
    [F], [F, "--name", "x"], [F, "--name=x"], ["-p", "a=1", F, "-p", "b=2"], [F, "--parameter=a=b=c"],
    [F, "-q", "--keep", "--no-strict"], [F, "--strict"], ["--from", "workflowtemplate/x"], [F, "--name", "a", "--name", "b"],
    [F, "-o", "json", "--input-artifact", "a=/tmp", "--templates", "t1", "--templates", "t2"],
    [F, "-n", "ns", "--serviceaccount", "sa", "--generate-name", "g-", "-l", "a=b", "--priority", "3", "--watch", "--log"],
    [F, "-d", "-w"], [F, "-e", "main", "-f", "p.yaml", "--junit", "j.xml"], [F, "--name="],
]
TYPERS_PART = [
    ["-pa=1", F], ["-qd", F], [F, "--", "x"], [F, "-h"], [F, "--help"], [F, "--other"], [F, F], [F, "--name"],
    [F, "--name", "-x"], [F, "--keep=yes"], [F, "-q=1"], ["-", F],
]


def _options(monkeypatch, run) -> object:
    seen = []
    monkeypatch.setattr(submit_mod, "submit", lambda opts: seen.append(opts) or 0)
    run()
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("args", SAME, ids=[" ".join(a) for a in SAME])
def test_plain_arguments_give_what_typer_gives(args, monkeypatch):
    values = plain_arguments(args)
    assert values is not None
    plain = _options(monkeypatch, lambda: cli._submit(values))
    typer_ = _options(monkeypatch, lambda: CliRunner().invoke(app, ["submit", *args], catch_exceptions=False))
    assert plain == typer_


def test_the_cases_cover_every_option():
    used = {a.split("=")[0] for args in SAME for a in args if a.startswith("-")}
    for name, flags, kind, _help in OPTIONS:
        wanted = flags[0].split("/") if kind == "strict" else flags
        assert set(wanted) & used, name


@pytest.mark.parametrize("args", TYPERS_PART, ids=[" ".join(a) for a in TYPERS_PART])
def test_other_forms_are_typers(args):
    assert plain_arguments(args) is None


@pytest.mark.parametrize("args", [[], ["missing.yaml"], ["-p", "novalue", "x.yaml"]],
                         ids=["no-file", "missing-file", "bad-parameter"])
def test_failures_read_as_typer_reads_them(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCALFLOW_HOME", str(tmp_path / "home"))
    (tmp_path / "x.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\n"
                                     "spec: {entrypoint: m, templates: [{name: m, container: {image: alpine}}]}\n")
    monkeypatch.setattr(sys, "argv", ["localflow", "submit", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
    out, err = capsys.readouterr()
    r = CliRunner().invoke(app, ["submit", *args])
    assert (info.value.code, out + err) == (r.exit_code, r.output)
    assert info.value.code == 2 and "localflow: " in err


def test_ctrl_c_before_the_run_ends_alike_on_both_paths(monkeypatch, capsys):
    def interrupted(opts):
        raise KeyboardInterrupt
    monkeypatch.setattr(submit_mod, "submit", interrupted)
    seen = []
    for args in ([F], ["-pa=1", F]):  # the plain path, then typer's
        monkeypatch.setattr(sys, "argv", ["localflow", "submit", *args])
        with pytest.raises(SystemExit) as info:
            cli.main()
        seen.append((info.value.code, capsys.readouterr().err))
    assert seen[0] == seen[1] and seen[0][0] == 130
