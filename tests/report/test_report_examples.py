"""examples/ci-pipeline.yaml and examples/fan-out-fan-in.yaml pass lint, run on the real engine and
report: the JUnit XML and HTML of real runs (`submit --junit`, then the report functions)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from needs import need

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
STANDIN_MINIO = "localflow/minio-standin:latest"


@pytest.fixture
def engine():
    return need("docker")


def localflow(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("LOCALFLOW_MINIO_IMAGE", STANDIN_MINIO)
    env.pop("LOCALFLOW_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=str(REPO), check=False)


def run_name(out: str) -> str:
    m = re.search(r"^Name:\s+(\S+)", out, re.MULTILINE)
    assert m, out[-3000:]
    return m.group(1)


def counts(path: Path) -> tuple[str, ...]:
    root = ET.parse(path).getroot()
    return tuple(root.get(k) for k in ("tests", "failures", "errors", "skipped"))


@pytest.mark.parametrize("name", ["ci-pipeline.yaml", "fan-out-fan-in.yaml"])
def test_examples_pass_lint(name):
    r = localflow("lint", str(EXAMPLES / name))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.docker
def test_fan_out_fan_in(engine, tmp_path):
    t0 = time.monotonic()
    r = localflow("submit", "examples/fan-out-fan-in.yaml", "-p", "shards=5", "--junit", str(tmp_path / "j.xml"))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "5 shards, 120 records kept" in r.stdout
    assert re.search(r"^\s+total-kept:\s+120$", r.stdout, re.MULTILINE), r.stdout[-2000:]
    assert counts(tmp_path / "j.xml") == ("7", "0", "0", "0")  # generate, 5 shards, aggregate
    print(f"fan-out-fan-in took {time.monotonic() - t0:.1f}s")


@pytest.mark.docker
@pytest.mark.parametrize("broken", [False, True])
def test_ci_pipeline_and_its_reports(engine, tmp_path, broken):
    from localflow.report.collect import load_run
    from localflow.report.html import render_html

    r = localflow("submit", "examples/ci-pipeline.yaml", "-p", f"break-tests={str(broken).lower()}",
                  "--junit", str(tmp_path / "junit.xml"), timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == (1 if broken else 0), out[-4000:]
    run = run_name(r.stdout)
    if broken:
        assert counts(tmp_path / "junit.xml") == ("8", "1", "0", "1")  # unit-tests Failed, report Omitted
    else:
        assert "3 unit tests and 4 integration checks passed" in out
        assert re.search(r"^\s+summary:\s+7 checks passed$", r.stdout, re.MULTILINE)
        assert counts(tmp_path / "junit.xml") == ("8", "0", "0", "0")
    wf, logs = load_run(run)
    html = render_html(wf, logs)
    assert "mean latency 30" in html  # an integration suite talked to the database daemon
    assert "calc.pyz" in html  # the build's artifact, listed with its key
    assert ("asked to fail" in html) == broken

