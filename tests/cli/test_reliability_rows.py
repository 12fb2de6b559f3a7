"""Rows of docs/reliability.md that need no container: the engine missing, the last-resort internal
error, and $LOCALFLOW_HOME 0700 with its stores 0600 even when the folder already existed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from workflow_texts import ONE_STEP as WF

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, home: Path, env: dict | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "LOCALFLOW_DEBUG"}
    full.update(PYTHONPATH=str(REPO), LOCALFLOW_HOME=str(home), **(env or {}))
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "localflow", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=full, timeout=120, cwd=str(REPO))


def test_engine_missing_is_one_line_and_exit_1(tmp_path):
    wf = tmp_path / "wf.yaml"
    wf.write_text(WF)
    r = cli("submit", str(wf), home=tmp_path / "home",
            env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("localflow: cannot reach the Docker engine (")
    assert lines[0].endswith("); is it running? (scripts/ensure-docker.sh starts one)")
    assert "Traceback" not in r.stdout + r.stderr


INJECT = """
import sys
from localflow.store import db
def broken(self, *a, **k):
    raise ZeroDivisionError("injected bug")
db.Store.list_runs = broken
sys.argv = ["localflow"] + sys.argv[1:]
from localflow.cli.main import main
main()
"""


def test_internal_error_is_one_line_exit_1_and_debug_shows_where(tmp_path):
    r = cli("list", home=tmp_path / "home", code=INJECT)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.strip().splitlines() == [
        "localflow: internal error: ZeroDivisionError: injected bug (this is a bug; LOCALFLOW_DEBUG=1 shows where)"]
    debug = cli("list", home=tmp_path / "home", code=INJECT, env={"LOCALFLOW_DEBUG": "1"})
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and 'File "<string>", line 5, in broken' in debug.stderr


def test_home_is_0700_and_stores_0600_even_when_the_folder_existed(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # (whatever the umask)
    for args in (("secret", "create", "s", "--from-literal=k=v"), ("configmap", "create", "c", "--from-literal=k=v"),
                 ("list",)):
        r = cli(*args, home=home)
        assert r.returncode == 0, r.stdout + r.stderr
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    files = [Path(d) / f for d, _, fs in os.walk(home) for f in fs]
    assert any(f.name == "localflow.db" for f in files) and len(files) >= 3, files
    assert {str(f.relative_to(home)): oct(stat.S_IMODE(os.stat(f).st_mode)) for f in files
            if stat.S_IMODE(os.stat(f).st_mode) != 0o600} == {}
    dirs = [Path(d) for d, _, _ in os.walk(home)]
    assert {str(d): oct(stat.S_IMODE(os.stat(d).st_mode)) for d in dirs if stat.S_IMODE(os.stat(d).st_mode) != 0o700} == {}
