"""`localflow cron run`: the scheduler's loop over the installed CronWorkflows, with runs started as
`localflow submit --from cronwf/NAME --name RUN` processes (each recorded in the history)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time
from typing import Any

from . import output as O

KIND = "CronWorkflow"


class ProcessLauncher:
    """Runs are `localflow submit` processes; their phase is what the history says."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, cron: str, run: str, scheduled: datetime.datetime) -> None:
        from localflow.store.paths import home
        logdir = home() / "logs"
        logdir.mkdir(parents=True, exist_ok=True)
        with open(logdir / f"{run}.submit.log", "ab") as log:
            self.procs[run] = subprocess.Popen(
                [sys.executable, "-m", "localflow", "submit", "--from", f"cronwf/{cron}", "--name", run, "--quiet"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=os.getcwd())

    def running(self, run: str) -> bool:
        proc = self.procs.get(run)
        return proc is not None and proc.poll() is None

    def phase(self, run: str) -> str | None:
        from localflow.store.db import Store
        return Store().phase(run)

    def stop(self, run: str) -> None:
        proc = self.procs.get(run)
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: the run stops (exit handlers run), as Argo's Replace stops it

    def forget(self, run: str) -> None:
        from localflow.store.db import Store
        Store().delete_run(run)


def run_forever(names: list[str], ticks: int | None = None, interval: float = 1.0) -> int:
    """Tick every `interval` seconds until Ctrl-C (or `ticks` ticks); 2 when nothing is installed."""
    from localflow.store import templates as T

    from .cron_scheduler import Scheduler
    wanted = names or T.names(KIND)
    missing = [n for n in wanted if T.get(KIND, n) is None]
    if not wanted or missing:
        O.err(f"localflow: no CronWorkflow named {missing[0]!r}" if missing else
              "localflow: no cron workflows installed (localflow cron create FILE)")
        return 2
    scheduler = Scheduler(ProcessLauncher(), started=datetime.datetime.now(datetime.timezone.utc))
    O.err(f"localflow: scheduling {', '.join(wanted)} (Ctrl-C to stop; started runs go on)")
    count = 0
    try:
        while ticks is None or count < ticks:
            count += 1
            for name in wanted:
                _tick(scheduler, name)
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0
    return 0


def _tick(scheduler: Any, name: str) -> None:
    from localflow.store import templates as T
    doc = T.get(KIND, name)  # read each time: `cron suspend` from another terminal takes effect
    if doc is None:
        return
    for event in scheduler.tick(doc, datetime.datetime.now(datetime.timezone.utc)):
        O.out(f"{datetime.datetime.now().strftime('%H:%M:%S')} {event}")
    T.save(doc)
