"""`localflow resident`: a `submit` handed to the resident process behaves as the same command in its own
process (the reference here: the same command with LOCALFLOW_RESIDENT=off), with the caller's folder,
environment and streams; a resident of other code is not used. (Runs against the real engine, with a
workflow's signals and a vanished caller, are in tests/docker/test_robustness.py.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localflow.cli import resident as R
from needs import need
from workflow_texts import ONE_STEP

REPO = Path(__file__).resolve().parents[2]
GOOD = ONE_STEP
BAD = ONE_STEP.replace("entrypoint: main", "entrypoint: nope")


def lf(home: Path, *args: str, env: dict | None = None, cwd: Path | None = None, path: Path = REPO,
       ) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ("LOCALFLOW_DEBUG", "LOCALFLOW_RESIDENT", "DOCKER_HOST")}
    full.update({"LOCALFLOW_HOME": str(home), "PYTHONPATH": str(path), "LOCALFLOW_RESIDENT": "manual"}, **(env or {}))
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True, env=full,
                          cwd=str(cwd or path), timeout=120, stdin=subprocess.DEVNULL)


def served(home: Path, path: Path = REPO) -> int | None:
    out = lf(home, "resident", "status", path=path)
    if out.returncode != 0:
        return None
    return int(out.stdout.split(": ", 1)[1].split(" command", 1)[0])


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    yield h
    lf(h, "resident", "stop")


def start(home: Path, path: Path = REPO, idle: str = "120") -> None:
    out = lf(home, "resident", "start", "--idle", idle, path=path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("resident process "), out.stdout


def test_a_submit_handed_over_reads_the_callers_folder_and_prints_as_its_own_process(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    own = lf(home, "submit", "bad.yaml", env={"LOCALFLOW_RESIDENT": "off"}, cwd=tmp_path)
    start(home)
    handed = lf(home, "submit", "bad.yaml", cwd=tmp_path)  # a relative path: the caller's folder
    assert (handed.returncode, handed.stdout, handed.stderr) == (own.returncode, own.stdout, own.stderr)
    assert own.returncode == 2 and own.stderr == 'localflow: bad.yaml: spec.entrypoint: no template named "nope"\n'
    assert served(home) == 1  # run by the resident, once (its fork does not hand the command over again)


def test_the_callers_environment_is_the_commands(home, tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    env = {"DOCKER_HOST": "tcp://127.0.0.1:9"}  # nothing listens there; the resident's own environment has no DOCKER_HOST
    own = lf(home, "submit", str(tmp_path / "good.yaml"), env={**env, "LOCALFLOW_RESIDENT": "off"})
    start(home)
    handed = lf(home, "submit", str(tmp_path / "good.yaml"), env=env)
    assert (handed.returncode, handed.stderr) == (own.returncode, own.stderr)
    assert own.returncode == 1 and "cannot reach the Docker engine" in own.stderr and "127.0.0.1" in own.stderr
    assert served(home) == 1


def test_resident_off_and_other_commands_run_in_their_own_process(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    start(home)
    assert lf(home, "submit", str(tmp_path / "bad.yaml"), env={"LOCALFLOW_RESIDENT": "off"}).returncode == 2
    assert lf(home, "lint", str(tmp_path / "bad.yaml")).returncode == 2
    assert served(home) == 0


def test_status_stop_and_the_idle_end(home):
    assert lf(home, "resident", "status").returncode == 1
    start(home)
    again = lf(home, "resident", "start")  # one is running: said, not started twice
    assert again.returncode == 0 and again.stdout.startswith("resident process ")
    stopped = lf(home, "resident", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped resident process ")
    assert not os.path.exists(R.socket_path({"LOCALFLOW_HOME": str(home)}))
    assert lf(home, "resident", "status").stdout == "no resident process\n"
    start(home, idle="0.5")
    deadline = time.monotonic() + 60
    while served(home) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served(home) is None


def _touch(module: Path, ahead: int) -> None:
    module.write_text(module.read_text() + "\n")
    later = time.time_ns() + ahead * 10**9
    os.utime(module, ns=(later, later))


def test_a_resident_whose_code_changed_is_replaced_or_ends_and_the_command_runs_itself(home, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(REPO / "localflow", copy / "localflow", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "bad.yaml").write_text(BAD)
    start(home, path=copy)
    first = lf(home, "resident", "status", path=copy).stdout.split()[2]
    assert lf(home, "submit", str(tmp_path / "bad.yaml"), path=copy).returncode == 2
    assert served(home, copy) == 1
    _touch(copy / "localflow" / "errors.py", 10)
    start(home, path=copy)  # `start` replaces a resident of older code
    assert lf(home, "resident", "status", path=copy).stdout.split()[2] != first
    assert served(home, copy) == 0
    _touch(copy / "localflow" / "errors.py", 20)
    out = lf(home, "submit", str(tmp_path / "bad.yaml"), path=copy)
    assert out.returncode == 2 and "no template named" in out.stderr  # run by itself, as before
    deadline = time.monotonic() + 30
    while served(home, copy) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served(home, copy) is None  # the stale resident ended


def test_a_command_from_another_copy_of_localflow_is_not_taken(home):
    start(home)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(R.socket_path({"LOCALFLOW_HOME": str(home)}))
    with sock, open(os.devnull, "rb") as null:
        fd = null.fileno()
        R._send(sock, {"op": "run", "argv": ["localflow", "submit", "x.yaml"], "cwd": "/", "env": {}, "umask": 0o22,
                       "executable": "/elsewhere/python3", "package": R._package_dir(), "streams": []}, [fd, fd, fd])
        assert sock.makefile("rb").readline() == b"other\n"
    assert served(home) == 0


def test_a_command_from_another_network_namespace_runs_in_its_own_process(home, tmp_path):
    """As from a container or a job that shares the home: the resident's network (or files, or control
    groups) would not be the command's."""
    unshare = need("unshare")
    (tmp_path / "bad.yaml").write_text(BAD)
    start(home)
    full = {k: v for k, v in os.environ.items() if k != "LOCALFLOW_DEBUG"}
    full.update(LOCALFLOW_HOME=str(home), PYTHONPATH=str(REPO), LOCALFLOW_RESIDENT="manual")
    out = subprocess.run([unshare, "--net", sys.executable, "-m", "localflow", "submit", str(tmp_path / "bad.yaml")],
                         capture_output=True, text=True, env=full, timeout=120, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "no template named" in out.stderr, out.stderr
    assert served(home) == 0
    assert lf(home, "submit", str(tmp_path / "bad.yaml")).returncode == 2 and served(home) == 1  # (this namespace's)


def test_a_home_too_deep_for_a_socket_path_gets_one_named_after_it():
    deep = "/tmp/" + "d" * 120
    path = R.socket_path({"LOCALFLOW_HOME": deep, "XDG_RUNTIME_DIR": "/run/user/7"})
    assert path.startswith(f"/run/user/7/localflow-{os.getuid()}-") and len(path) < 100
    assert path != R.socket_path({"LOCALFLOW_HOME": deep + "x", "XDG_RUNTIME_DIR": "/run/user/7"})
    assert R.socket_path({"LOCALFLOW_HOME": "/tmp/h"}) == "/tmp/h/resident.sock"


def test_a_handed_over_submit_imports_nothing_of_what_it_runs(home, tmp_path):
    """The caller's process stays small: the spec, the engine, YAML and asyncio are the fork's, not its own."""
    (tmp_path / "bad.yaml").write_text(BAD)
    start(home)
    out = lf(home, "submit", str(tmp_path / "bad.yaml"), env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert out.returncode == 2
    imported = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "localflow.cli.resident" in imported and served(home) == 1
    heavy = {m for m in imported if m.split(".")[0] in ("yaml", "asyncio", "sqlite3", "http", "docker")
             or m.startswith(("localflow.spec", "localflow.engine", "localflow.runtime", "localflow.cli.submit"))}
    assert not heavy, sorted(heavy)


def test_a_fork_whose_caller_gave_up_waiting_does_not_run_the_command(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)  # run, it would print its one line on stderr
    start(home)
    read_end, write_end = os.pipe()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(R.socket_path({"LOCALFLOW_HOME": str(home)}))
    with sock, open(os.devnull, "rb") as null:
        env = {**os.environ, "LOCALFLOW_HOME": str(home), "PYTHONPATH": str(REPO)}
        R._send(sock, {"op": "run", "argv": ["localflow", "submit", str(tmp_path / "bad.yaml")], "cwd": str(tmp_path),
                       "env": env, "umask": 0o22, **R.identity(),
                       "streams": []}, [null.fileno(), write_end, write_end])
        assert sock.makefile("rb").readline().startswith(b"run ")
    os.close(write_end)  # no `go`: the caller ran the command itself
    with os.fdopen(read_end, "rb") as printed:
        assert printed.read() == b""  # the fork ended without running it (its end closed the pipe)
    assert served(home) == 1


def residents(home: Path) -> list[int]:
    """The pids of the resident processes started for `home`'s socket (ended ones excluded)."""
    path = R.socket_path({"LOCALFLOW_HOME": str(home)}).encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat", "rb") as f:
                zombie = f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        except OSError:
            continue
        if b"localflow.cli.resident" in argv and path in argv and not zombie:
            found.append(int(pid))
    return found


def wait_served(home: Path, timeout: float = 60) -> int | None:
    deadline = time.monotonic() + timeout
    while (n := served(home)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return n


def test_by_default_a_submit_that_finds_none_starts_one_for_the_commands_after_it(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    auto = {"LOCALFLOW_RESIDENT": "auto"}
    own = lf(home, "submit", "bad.yaml", env={"LOCALFLOW_RESIDENT": "off"}, cwd=tmp_path)
    assert residents(home) == []
    first = lf(home, "submit", "bad.yaml", env=auto, cwd=tmp_path)  # (would time out if the resident kept its pipes)
    assert (first.returncode, first.stdout, first.stderr) == (own.returncode, own.stdout, own.stderr)
    assert wait_served(home) == 0  # started as the first ended; it ran nothing yet
    status = lf(home, "resident", "status").stdout
    assert f"ends after {R.AUTO_IDLE_SECONDS:g} s without a command" in status, status
    again = lf(home, "submit", "bad.yaml", env=auto, cwd=tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (own.returncode, own.stdout, own.stderr)
    assert served(home) == 1 and len(residents(home)) == 1


def test_manual_and_off_start_none(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    for how in ("manual", "off"):
        assert lf(home, "submit", str(tmp_path / "bad.yaml"), env={"LOCALFLOW_RESIDENT": how}).returncode == 2
        assert residents(home) == []  # (one a submit starts is a process before that submit ends)


def test_submits_that_end_together_leave_one_resident(home, tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    env = {**{k: v for k, v in os.environ.items() if k != "LOCALFLOW_DEBUG"}, "LOCALFLOW_HOME": str(home),
           "PYTHONPATH": str(REPO), "LOCALFLOW_RESIDENT": "auto"}
    procs = [subprocess.Popen([sys.executable, "-m", "localflow", "submit", str(tmp_path / "bad.yaml")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(4)]
    assert [p.wait(120) for p in procs] == [2] * 4
    assert wait_served(home) is not None
    deadline = time.monotonic() + R.LOCK_SECONDS + 30  # the others give up waiting for the lock
    while len(residents(home)) > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(residents(home)) == 1
