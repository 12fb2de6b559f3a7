"""CronWorkflows: when schedules fire (robfig/cron's rules, as Argo's controller uses them), the
scheduler's decisions (concurrencyPolicy, startingDeadlineSeconds, history limits, suspend,
stopStrategy) with an injected clock and launcher, and the `localflow cron` verbs (argo cron's
output shapes) through the CLI. No Docker, no waiting."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from localflow.cli.cron_scheduler import Scheduler, iso
from localflow.spec.cron import Schedule, next_time

UTC = dt.timezone.utc
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "argo-examples"
T0 = dt.datetime(2024, 1, 31, 23, 59, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize("schedule, want", [
    ("* * * * *", dt.datetime(2024, 2, 1, 0, 0, tzinfo=UTC)),
    ("0 2 * * *", dt.datetime(2024, 2, 1, 2, 0, tzinfo=UTC)),
    ("*/15 9-17 * * *", dt.datetime(2024, 2, 1, 9, 0, tzinfo=UTC)),
    ("0 0 * * 0", dt.datetime(2024, 2, 4, 0, 0, tzinfo=UTC)),  # Sunday
    ("0 0 * * SUN", dt.datetime(2024, 2, 4, 0, 0, tzinfo=UTC)),
    ("0 0 13 * 5", dt.datetime(2024, 2, 2, 0, 0, tzinfo=UTC)),  # day-of-month OR day-of-week (both restricted)
    ("0 0 13 * *", dt.datetime(2024, 2, 13, 0, 0, tzinfo=UTC)),
    ("0 0 29 2 *", dt.datetime(2024, 2, 29, 0, 0, tzinfo=UTC)),  # leap day
    ("@monthly", dt.datetime(2024, 2, 1, 0, 0, tzinfo=UTC)),
    ("@yearly", dt.datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
    ("@every 90s", dt.datetime(2024, 2, 1, 0, 1, 0, tzinfo=UTC)),
])
def test_next_time_as_robfig_cron(schedule, want):
    assert Schedule(schedule, "UTC").next(T0) == want


def test_timezone_and_cron_tz_prefix():
    la = Schedule("0 2 * * *", "America/Los_Angeles").next(T0)
    assert la.astimezone(UTC) == dt.datetime(2024, 2, 1, 10, 0, tzinfo=UTC)  # T0 is 15:59 PST; 02:00 PST is 10:00 UTC
    assert Schedule("CRON_TZ=America/Los_Angeles 0 2 * * *").next(T0) == la
    assert next_time(["0 3 * * *", "0 1 * * *"], "UTC", T0) == dt.datetime(2024, 2, 1, 1, 0, tzinfo=UTC)


class FakeLauncher:
    def __init__(self):
        self.started: list[str] = []
        self.running_now: set[str] = set()
        self.phases: dict[str, str] = {}
        self.stopped: list[str] = []
        self.forgotten: list[str] = []

    def start(self, cron, run, scheduled):
        self.started.append(run)
        self.running_now.add(run)

    def running(self, run):
        return run in self.running_now

    def phase(self, run):
        return self.phases.get(run)

    def stop(self, run):
        self.stopped.append(run)

    def finish(self, run, phase):
        self.running_now.discard(run)
        self.phases[run] = phase

    def forget(self, run):
        self.forgotten.append(run)


def cron(**spec):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow", "metadata": {"name": "c"},
            "spec": {"schedules": ["* * * * *"], "timezone": "UTC", "workflowSpec": {}, **spec}}


def at(minute, second=1):
    return dt.datetime(2024, 2, 1, 0, minute, second, tzinfo=UTC)


def test_a_run_per_due_time_named_after_its_unix_time():
    launcher = FakeLauncher()
    s = Scheduler(launcher, started=at(0, 0))
    doc = cron()
    assert s.tick(doc, at(0, 30)) == []  # nothing due yet
    s.tick(doc, at(1))
    assert launcher.started == [f"c-{int(at(1, 0).timestamp())}"]
    assert doc["status"]["lastScheduledTime"] == "2024-02-01T00:01:00Z"
    s.tick(doc, at(1, 30))
    assert len(launcher.started) == 1  # not twice for the same minute


def test_concurrency_policies():
    for policy, started, stopped in (("Allow", 2, 0), ("Forbid", 1, 0), ("Replace", 2, 1)):
        launcher = FakeLauncher()
        s = Scheduler(launcher, started=at(0, 0))
        doc = cron(concurrencyPolicy=policy)
        s.tick(doc, at(1))
        s.tick(doc, at(2))  # the first is still running
        assert (len(launcher.started), len(launcher.stopped)) == (started, stopped), policy


def test_missed_times_run_only_within_starting_deadline():
    launcher = FakeLauncher()
    s = Scheduler(launcher, started=at(0, 0))
    doc = cron(startingDeadlineSeconds=0)
    s.tick(doc, at(1, 30))  # 30 s late: missed, and a deadline of 0 runs nothing missed
    assert launcher.started == []
    s.tick(doc, at(1, 40))
    assert launcher.started == []  # a missed time is not tried again
    s = Scheduler(launcher, started=at(0, 0))
    doc = cron(startingDeadlineSeconds=60)
    s.tick(doc, at(1, 30))
    assert launcher.started == [f"c-{int(at(1, 0).timestamp())}"]


def test_suspend_counts_history_limits_and_stop_strategy():
    launcher = FakeLauncher()
    s = Scheduler(launcher, started=at(0, 0))
    doc = cron(failedJobsHistoryLimit=1, successfulJobsHistoryLimit=1,
               stopStrategy={"expression": "cronworkflow.failed >= 2"})
    for minute, phase in ((1, "Succeeded"), (2, "Succeeded"), (3, "Failed"), (4, "Failed")):
        s.tick(doc, at(minute))
        launcher.finish(launcher.started[-1], phase)
    events = s.tick(doc, at(4, 30))
    assert doc["status"]["succeeded"] == 2 and doc["status"]["failed"] == 2
    assert launcher.forgotten == [launcher.started[0], launcher.started[2]]  # beyond the limits, oldest first
    assert doc["spec"]["suspend"] is True and any("stopStrategy" in e for e in events)
    s.tick(doc, at(5))
    assert len(launcher.started) == 4  # suspended: nothing new


def lf(home, *args):
    env = dict(os.environ, LOCALFLOW_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "localflow", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_cron_verbs(tmp_path):
    home = tmp_path / "home"
    created = lf(home, "cron", "create", str(EXAMPLES / "cron-workflow.yaml"))
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert lines[0] == f"{'Name:':<30} hello-world"
    assert f"{'Schedules:':<30} * * * * *" in lines and f"{'ConcurrencyPolicy:':<30} Replace" in lines
    listed = lf(home, "cron", "list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "AGE", "LAST", "RUN", "NEXT", "RUN", "SCHEDULES", "TIMEZONE", "SUSPENDED"]
    assert listed[1].split()[-3:] == ["*", "America/Los_Angeles", "false"]
    assert lf(home, "cron", "suspend", "hello-world").stdout == "CronWorkflow 'hello-world' suspended\n"
    assert f"{'Suspended:':<30} true" in lf(home, "cron", "get", "hello-world").stdout.splitlines()
    assert lf(home, "cron", "resume", "hello-world").stdout == "CronWorkflow 'hello-world' resumed\n"
    assert lf(home, "cron", "delete", "hello-world").stdout == "CronWorkflow 'hello-world' deleted\n"
    missing = lf(home, "cron", "run", "hello-world")
    assert missing.returncode == 2 and "no CronWorkflow named 'hello-world'" in missing.stderr


def test_when_from_argos_cron_when_example():
    """cron-when.yaml: run when never run before, or more than 360 s after the last scheduled time."""
    import yaml
    doc = yaml.safe_load((EXAMPLES / "cron-when.yaml").read_text())
    doc["spec"]["timezone"] = "UTC"
    # `now()` in the expression is the real clock (as on Argo): schedule around it
    base = dt.datetime.now(UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    launcher = FakeLauncher()
    s = Scheduler(launcher, started=base)
    s.tick(doc, base + dt.timedelta(minutes=1, seconds=1))  # lastScheduledTime is nil: runs
    launcher.finish(launcher.started[-1], "Succeeded")
    events = s.tick(doc, base + dt.timedelta(minutes=2, seconds=1))  # last one ~2 minutes ago, not > 360 s
    assert len(launcher.started) == 1 and any("when" in e for e in events)
    assert doc["status"]["lastScheduledTime"] == iso(base + dt.timedelta(minutes=1))  # a skipped time is not "last"
    s.tick(doc, base + dt.timedelta(minutes=2, seconds=30))
    assert len(launcher.started) == 1  # the skipped time is not considered again
