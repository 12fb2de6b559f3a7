"""`localflow resident start|stop|status`: the resident process that runs `submit` without Python's
start-up (localflow/cli/resident.py says how)."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from . import output as O
from . import resident as R

group = typer.Typer(help="A resident process that runs `localflow submit` without Python's start-up (for CI jobs "
                         "and sessions that run many workflows).", no_args_is_help=True, rich_markup_mode=None)
START_SECONDS = 30.0


def _describe(answer: dict, path: str) -> str:
    return (f"resident process {answer['pid']} at {path}: {answer['served']} command(s) run, "
            f"{answer['running']} running, ends after {answer['idle']:g} s without a command")


@group.command()
def start(idle: Annotated[float, typer.Option("--idle", help="end after this many seconds without a command")] = 900.0,
          ) -> None:
    """Start the resident process for this LOCALFLOW_HOME (nothing to do when one is running).

    Example: localflow resident start --idle 600
    """
    from localflow.store.paths import home
    if idle <= 0:
        O.usage(f"--idle {idle:g}: expected a number of seconds above 0")
    path = R.socket_path()
    answer = R.request(path, "status")
    if answer is not None and answer.get("current") and all(answer.get(k) == v for k, v in R.identity().items()):
        O.out(_describe(answer, path))
        return
    if answer is not None:  # another interpreter's or copy's resident in this home, or older code: replaced
        R.request(path, "stop")
        _wait_gone(path)
    logs = home() / "logs"
    proc = R.spawn(path, idle)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        answer = R.request(path, "status", 1.0) if os.path.exists(path) else None
        if answer is not None:
            O.out(_describe(answer, path))
            return
        if proc.poll() is not None:
            O.fail(f"the resident process ended at its start (exit {proc.returncode}); see {logs / 'resident.log'}")
        time.sleep(0.05)
    proc.kill()
    O.fail(f"the resident process did not answer within {START_SECONDS:g} s; see {logs / 'resident.log'}")


def _wait_gone(path: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


def _ask(op: str) -> tuple[str, dict | None]:
    """The resident's socket and its answer to `op`; None (said) when none answers."""
    path = R.socket_path()
    answer = R.request(path, op)
    if answer is None:
        O.out("no resident process")
    return path, answer


@group.command()
def stop() -> None:
    """Stop the resident process (commands it is running go on to their end).

    Example: localflow resident stop
    """
    path, answer = _ask("stop")
    if answer is not None:
        _wait_gone(path)
        O.out(f"stopped resident process {answer['pid']}")


@group.command()
def status() -> None:
    """Whether a resident process runs for this LOCALFLOW_HOME, and what it has run (exit 1 when none).

    Example: localflow resident status
    """
    path, answer = _ask("status")
    if answer is None:
        raise typer.Exit(1)
    O.out(_describe(answer, path))


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="resident")
