"""`localflow cron run`: the scheduling Argo's cron controller does (workflow/cron/operator.go), one
tick at a time over a CronWorkflow document and its `status`, with the clock and the way runs start
injected (so tests need neither time nor Docker).

Per tick: finished runs are counted (`status.succeeded`/`failed`) and old ones forgotten beyond
`successfulJobsHistoryLimit` (default 3) / `failedJobsHistoryLimit` (default 1); `stopStrategy`'s
expression (over `cronworkflow.succeeded`, `.failed`, `.name`, ...) suspends the CronWorkflow when it
holds; then, unless suspended, the latest time due since the last one of any of `schedules` (in
`timezone`) starts a run named `<cron>-<unix time>`, unless it was missed (the scheduler was not
running then) by more than `startingDeadlineSeconds` (none or 0: missed times are not run), or
`concurrencyPolicy` Forbid finds one active (Replace stops them first, Allow starts alongside), or
`when` (tags substituted, then govaluate) is false.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

UTC = datetime.timezone.utc
ON_TIME = 5.0  # seconds: a tick this close to the scheduled time starts it, as the cron library would


class Launcher(Protocol):
    def start(self, cron: str, run: str, scheduled: datetime.datetime) -> None: ...
    def running(self, run: str) -> bool: ...
    def phase(self, run: str) -> str | None: ...
    def stop(self, run: str) -> None: ...
    def forget(self, run: str) -> None: ...


def iso(t: datetime.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass
class Scheduler:
    launcher: Launcher
    started: datetime.datetime  # when `cron run` began: earlier times are not made up for
    history: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # cron -> finished (run, phase)
    considered: dict[str, datetime.datetime] = field(default_factory=dict)  # cron -> last time due, run or not

    def tick(self, doc: dict[str, Any], now: datetime.datetime) -> list[str]:
        """Advance one CronWorkflow document (its `status`, maybe `spec.suspend`); what happened."""
        events = self._reap(doc)
        events += self._stop_strategy(doc)
        spec = doc.get("spec") or {}
        if spec.get("suspend"):
            return events
        due = self._due(doc, now)
        if due is None:
            return events
        name = doc["metadata"]["name"]
        self.considered[name] = due
        if spec.get("when") and not self._when(doc, now):  # skipped: lastScheduledTime stays
            return events + [f"{name}: skipped {iso(due)}: when {spec['when']!r} is false"]
        status = doc.setdefault("status", {})
        status["lastScheduledTime"] = iso(due)
        deadline = int(spec.get("startingDeadlineSeconds") or 0)
        late = (now - due).total_seconds()
        if late > ON_TIME and late > deadline:  # missed (localflow was not running): Argo runs it only within the deadline
            return events + [f"{name}: missed {iso(due)} (startingDeadlineSeconds {deadline})"]
        active = [a["name"] for a in status.get("active") or []]
        policy = spec.get("concurrencyPolicy") or "Allow"
        if active and policy == "Forbid":
            return events + [f"{name}: skipped {iso(due)}: {', '.join(active)} still running (concurrencyPolicy Forbid)"]
        if active and policy == "Replace":
            for run in active:
                self.launcher.stop(run)
            events.append(f"{name}: stopped {', '.join(active)} (concurrencyPolicy Replace)")
        run = f"{name}-{int(due.timestamp())}"
        self.launcher.start(name, run, due)
        status["active"] = [{"name": a} for a in active if policy != "Replace"] + [{"name": run}]
        return events + [f"{name}: started {run} (scheduled {iso(due)})"]

    def _due(self, doc: dict[str, Any], now: datetime.datetime) -> datetime.datetime | None:
        """The latest scheduled time in (last, now], or None."""
        from localflow.spec.cron import next_time
        spec = doc.get("spec") or {}
        last = parse_iso((doc.get("status") or {}).get("lastScheduledTime"))
        since = max(t for t in (last, self.started, self.considered.get(doc["metadata"]["name"])) if t is not None)
        due = None
        t = next_time(spec.get("schedules") or [], spec.get("timezone"), since)
        while t is not None and t <= now:
            due = t
            t = next_time(spec.get("schedules") or [], spec.get("timezone"), t)
        return due

    def _reap(self, doc: dict[str, Any]) -> list[str]:
        status = doc.setdefault("status", {})
        name = doc["metadata"]["name"]
        events, still = [], []
        for entry in status.get("active") or []:
            run = entry["name"]
            if self.launcher.running(run):
                still.append(entry)
                continue
            phase = self.launcher.phase(run) or "Error"
            key = "succeeded" if phase == "Succeeded" else "failed"
            status[key] = int(status.get(key) or 0) + 1
            self.history.setdefault(name, []).append((run, phase))
            events.append(f"{name}: {run} {phase}")
        status["active"] = still
        spec = doc.get("spec") or {}
        limits = {"Succeeded": spec.get("successfulJobsHistoryLimit"), "Failed": spec.get("failedJobsHistoryLimit")}
        for phase_kind, default in (("Succeeded", 3), ("Failed", 1)):
            limit = limits[phase_kind]
            limit = default if limit is None else int(limit)
            done = [r for r, p in self.history.get(name, []) if (p == "Succeeded") == (phase_kind == "Succeeded")]
            for run in done[:max(0, len(done) - limit)]:
                self.launcher.forget(run)
                self.history[name] = [(r, p) for r, p in self.history[name] if r != run]
        return events

    @staticmethod
    def _variables(doc: dict[str, Any]) -> dict[str, Any]:
        """`cronworkflow.*` as Argo's cron operator offers them to `when` and `stopStrategy`."""
        status = doc.get("status") or {}
        meta = doc.get("metadata") or {}
        return {"cronworkflow": {"name": meta.get("name"), "namespace": meta.get("namespace") or "default",
                                 "labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {},
                                 "succeeded": int(status.get("succeeded") or 0),
                                 "failed": int(status.get("failed") or 0),
                                 "lastScheduledTime": parse_iso(status.get("lastScheduledTime"))}}

    def _when(self, doc: dict[str, Any], now: datetime.datetime) -> bool:
        """`spec.when`: its tags substituted (expression tags over `cronworkflow.*`), then govaluate."""
        from localflow.expr.govaluate import evaluate_when
        from localflow.expr.template import render
        variables = self._variables(doc)
        flat = {f"cronworkflow.{k}": v for k, v in variables["cronworkflow"].items()}
        return evaluate_when(render(doc["spec"]["when"], flat))

    def _stop_strategy(self, doc: dict[str, Any]) -> list[str]:
        spec = doc.get("spec") or {}
        expression = (spec.get("stopStrategy") or {}).get("expression")
        if not expression or spec.get("suspend"):
            return []
        from localflow.expr.exprlang import evaluate_bool
        if not evaluate_bool(expression, self._variables(doc)):
            return []
        spec["suspend"] = True
        doc.setdefault("status", {})["phase"] = "Stopped"
        return [f"{doc['metadata'].get('name')}: stopStrategy {expression!r} holds: suspended"]
