"""`localflow report` and `write_junit_for` over runs recorded in a temporary history (the engine on
its fake runtime, recorded as `localflow submit` records), through typer's CliRunner."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from localflow.cli import report_cmd
from localflow.engine.run import WorkflowRun
from localflow.report.collect import write_html_for
from localflow.report.junit import write_junit_for
from localflow.runtime.fake import FakeClock, FakeRuntime, Outcome
from localflow.spec.load import load_text
from localflow.store import secrets as S
from localflow.store.paths import home
from localflow.store.db import Store
from localflow.store.recorder import Recorder, StoreControl

PIPELINE = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: pipe-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: who, value: world}]}
  templates:
  - name: main
    dag:
      tasks:
      - {name: build, template: say, arguments: {parameters: [{name: message, value: "hello {{workflow.parameters.who}}"}]}}
      - {name: test, template: fail, depends: build}
      - {name: lint, template: say, depends: build, arguments: {parameters: [{name: message, value: lint}]}}
      - {name: deploy, template: say, depends: test && lint, arguments: {parameters: [{name: message, value: x}]}}
  - name: say
    inputs: {parameters: [{name: message}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.message}}"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "echo going down; exit 3"]}
"""


@pytest.fixture(autouse=True)
def no_docker(monkeypatch):
    import localflow.store.recorder as R
    monkeypatch.setattr(R, "connect_docker", lambda: None)


def record(text: str = PIPELINE, stdout: str = "going down\nS00perS3cret in the logs") -> WorkflowRun:
    bundle = load_text(text, "wf.yaml")
    clock = FakeClock(start=time.time() - 120)
    runtime = FakeRuntime(clock)
    runtime.on("fail", Outcome(exit_code=3, stdout=stdout, duration=2))
    runtime.on("say", lambda spec, attempt: Outcome(stdout="said it", duration=1))
    store = Store()
    rec = Recorder(store, None, "wf.yaml", ["submit", "wf.yaml"], interval=0.05)
    run = WorkflowRun(bundle.workflows[0], runtime=runtime, templates=bundle, clock=clock, events=rec,
                      control=StoreControl(store))
    rec.started(run)
    asyncio.run(run.execute())
    rec.finished(run)
    rec.close()
    store.close()
    return run


@pytest.fixture
def cli():
    app = typer.Typer()

    @app.command()
    def version() -> None:
        """(so that the app keeps its command groups)"""

    report_cmd.register(app)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_report_writes_html_and_junit(cli, tmp_path):
    run = record()
    html, junit = tmp_path / "out" / "report.html", tmp_path / "out" / "junit.xml"
    r = cli("report", "@latest", "--html", str(html), "--junit", str(junit))
    assert r.exit_code == 0, r.output
    assert f"HTML report of {run.name} (Failed)" in r.output
    assert "JUnit XML of" in r.output and "4 tests, 1 failures, 1 skipped" in r.output
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "0", "1")
    failure = root.find(".//testcase[@name='test']/failure")
    assert failure is not None and "going down" in failure.text
    page = html.read_text()
    assert run.name in page and "going down" in page and "said it" in page
    assert sorted(p.name for p in html.parent.iterdir()) == ["junit.xml", "report.html"]  # no temporary left


def test_report_masks_local_secrets(cli, tmp_path):
    S.save(S.secret_manifest("creds", {"password": b"S00perS3cret"}))
    record()
    r = cli("report", "@latest", "--html", str(tmp_path / "r.html"), "--junit", str(tmp_path / "j.xml"))
    assert r.exit_code == 0
    for f in ("r.html", "j.xml"):
        text = (tmp_path / f).read_text()
        assert "S00perS3cret" not in text, f
        assert "*** in the logs" in text, f


def test_a_broken_secret_file_does_not_unmask_the_others(cli, tmp_path):
    """A Secret file that cannot be read is passed over; the other Secrets' values are still masked."""
    S.save(S.secret_manifest("a-broken", {"token": b"whatever"}))
    (home() / "secrets" / "a-broken.json").write_text("{not json")
    S.save(S.secret_manifest("creds", {"password": b"S00perS3cret"}))
    record()
    r = cli("report", "@latest", "--junit", str(tmp_path / "j.xml"))
    assert r.exit_code == 0
    text = (tmp_path / "j.xml").read_text()
    assert "S00perS3cret" not in text and "*** in the logs" in text


def test_report_to_stdout(cli):
    record()
    r = cli("report", "@latest", "--junit", "-")
    assert r.exit_code == 0
    assert r.output.lstrip().startswith("<?xml")
    assert ET.fromstring(r.output.split("\n", 1)[1]).get("tests") == "4"


def test_usage_errors(cli, tmp_path):
    r = cli("report", "@latest")
    assert r.exit_code == 2 and "give --html FILE and/or --junit FILE" in r.output
    r = cli("report", "nope", "--junit", str(tmp_path / "j.xml"))
    assert r.exit_code == 2 and 'no run named "nope"' in r.output
    assert not (tmp_path / "j.xml").exists()
    r = cli("report", "@latest", "--junit", str(tmp_path / "j.xml"))
    assert r.exit_code == 2 and "no runs yet" in r.output


def test_unwritable_target_is_exit_1(cli, tmp_path):
    record()
    (tmp_path / "adir").mkdir()
    r = cli("report", "@latest", "--junit", str(tmp_path / "adir"))
    assert r.exit_code == 1 and "localflow: report:" in r.output


def test_write_junit_for_for_submit(tmp_path):
    run = record()
    counts = write_junit_for(run.name, tmp_path / "junit.xml")
    assert counts == {"tests": 4, "failures": 1, "errors": 0, "skipped": 1}
    assert ET.parse(tmp_path / "junit.xml").getroot().get("name") == run.name
    write_html_for("@latest", tmp_path / "report.html")
    assert "going down" in (tmp_path / "report.html").read_text()
