"""tests/needs.py and the skip rule of tests/conftest.py, on a throwaway test file: what is missing
skips on a developer's machine, fails with CI set; any skip but the kernel's refusal fails CI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SAMPLE = textwrap.dedent("""
    import pytest
    from needs import kernel_refuses, need

    def test_browser():
        need("chromium")

    def test_privileged():
        kernel_refuses("no CAP_SYS_ADMIN here")

    @pytest.mark.need("chromium")
    def test_marked():
        pass
""")


def _pytest(tmp_path: Path, ci: bool, extra: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE + extra)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent)]), LOCALFLOW_CHROMIUM="no-such-browser-x")
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_missing_things_skip_with_the_reason_outside_ci(tmp_path):
    r = _pytest(tmp_path, ci=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 skipped" in r.stdout.splitlines()[-1], r.stdout
    lines = r.stdout.splitlines()
    assert "skipped: 3" in lines, r.stdout
    assert "  2 x headless Chromium is not installed (bash scripts/setup.sh installs Debian's chromium); " \
           "the browser checks of the HTML report need it" in lines, r.stdout


def test_in_ci_missing_things_fail_and_only_the_kernel_may_skip(tmp_path):
    r = _pytest(tmp_path, ci=True)
    assert r.returncode == 1, r.stdout + r.stderr
    last = r.stdout.splitlines()[-1]
    assert "1 failed, 1 skipped, 1 error" in last, r.stdout
    assert "CI must run this test, but headless Chromium is not installed" in r.stdout
    assert "  1 x the kernel refuses privileged containers: no CAP_SYS_ADMIN here" in r.stdout.splitlines()


def test_in_ci_any_other_skip_fails_the_run(tmp_path):
    extra = "\n\ndef test_other():\n    pytest.skip('not today')\n"
    r = _pytest(tmp_path, ci=True, extra=extra.replace("need(\"chromium\")", "pass"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CI allows no skip but 'the kernel refuses privileged containers': 1 other skip(s), run failed" \
        in r.stdout, r.stdout
    assert "test_sample.py::test_other: not today" in r.stdout
