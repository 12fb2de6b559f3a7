"""Cron schedules as Argo reads them (robfig/cron's ParseStandard): five fields (minute, hour, day
of month, month, day of week), or a descriptor such as `@daily` or `@every 1h30m`, optionally
after `CRON_TZ=<zone> ` or `TZ=<zone> `."""

from __future__ import annotations

import re
from typing import Any

from localflow.spec.units import UnitError, parse_go_duration

__all__ = ["Schedule", "next_time", "schedule_problem", "timezone_problem"]

_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (name, low, high, names)
_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _DAYS),
)
_RANGE = re.compile(r"^(\*|\?|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:/([0-9]+))?$")


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        return None
    number = int(text)
    return number if low <= number <= high else None


def _field_problem(text: str, name: str, low: int, high: int, names: dict[str, int]) -> str | None:
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            return f"bad {name} {part!r}"
        start, end, step = match.groups()
        if start in ("*", "?"):
            if end is not None:
                return f"bad {name} {part!r}"
        else:
            first = _value(start, low, high, names)
            if first is None:
                return f"{name} {start!r} is out of range ({low}-{high})"
            if end is not None:
                last = _value(end, low, high, names)
                if last is None:
                    return f"{name} {end!r} is out of range ({low}-{high})"
                if last < first:
                    return f"{name} range {part!r} runs backwards"
        if step is not None and int(step) == 0:
            return f"{name} step must be at least 1"
    return None


def timezone_problem(zone: str) -> str | None:
    """Why a timezone name is unknown, or None (also None when this machine has no tz database)."""
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    except ImportError:  # pragma: no cover
        return None
    try:
        ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, OSError, ValueError):  # pragma: no cover - no tz database here
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, OSError, ValueError):
        return f"unknown timezone {zone!r}"
    return None


def schedule_problem(schedule: str) -> str | None:
    """Why a cron schedule does not parse, or None."""
    text = schedule.strip()
    if text.startswith(("CRON_TZ=", "TZ=")):
        zone, _, text = text.partition(" ")
        problem = timezone_problem(zone.split("=", 1)[1])
        if problem:
            return problem
        text = text.strip()
    if text.startswith("@"):
        if text.startswith("@every "):
            try:
                parse_go_duration(text[len("@every ") :].strip())
            except UnitError as err:
                return err.detail
            return None
        if text in _DESCRIPTORS:
            return None
        return f"unknown descriptor {text!r}"
    fields = text.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    for value, (name, low, high, names) in zip(fields, _FIELDS):
        problem = _field_problem(value, name, low, high, names)
        if problem:
            return problem
    return None


# ---- when a schedule fires (robfig/cron's SpecSchedule.Next and ConstantDelaySchedule) ----

_DESCRIPTOR_FIELDS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                      "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                      "@hourly": "0 * * * *"}


def _expand(text: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    """The values a field allows, and whether it starts with `*`/`?` (robfig's star bit, which
    changes how day-of-month and day-of-week combine)."""
    values: set[int] = set()
    star = False
    for part in text.split(","):
        start, end, step = _RANGE.match(part).groups()  # type: ignore[union-attr]
        if start in ("*", "?"):
            first, last = low, high
            star = star or step is None
        else:
            first = _value(start, low, high, names)
            last = _value(end, low, high, names) if end is not None else (high if step else first)
        values.update(range(first, last + 1, int(step or 1)))  # type: ignore[arg-type]
    return values, star


class Schedule:
    """One schedule, as Argo's controller reads it (with the CronWorkflow's timezone prefixed as
    `CRON_TZ=`): `next(after)` is the first time strictly after `after` (an aware datetime)."""

    def __init__(self, schedule: str, timezone: str | None = None):
        import datetime
        from zoneinfo import ZoneInfo

        problem = schedule_problem(schedule)
        if problem:
            raise ValueError(problem)
        text = schedule.strip()
        zone = timezone or None
        if text.startswith(("CRON_TZ=", "TZ=")):
            prefix, _, text = text.partition(" ")
            zone, text = prefix.split("=", 1)[1], text.strip()
        self.zone = ZoneInfo(zone) if zone else datetime.datetime.now().astimezone().tzinfo
        self.every: float | None = None
        if text.startswith("@every "):
            self.every = max(1.0, float(int(parse_go_duration(text[len("@every "):].strip()))))
            return
        fields = _DESCRIPTOR_FIELDS.get(text, text).split()
        expanded = [_expand(v, low, high, names) for v, (_n, low, high, names) in zip(fields, _FIELDS)]
        (self.minutes, _), (self.hours, _), (self.dom, dom_star), (self.months, _), (dow, dow_star) = expanded
        self.dow = {d % 7 for d in dow}
        self.either_star = dom_star or dow_star

    def _day_matches(self, day: Any) -> bool:
        dom = day.day in self.dom
        dow = (day.weekday() + 1) % 7 in self.dow  # Sunday is 0
        return (dom and dow) if self.either_star else (dom or dow)

    def next(self, after: Any) -> Any:
        import datetime
        if self.every is not None:
            return after.replace(microsecond=0) + datetime.timedelta(seconds=self.every)
        t = after.astimezone(self.zone).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
        for _ in range(366 * 5):  # robfig gives up after five years
            if t.month in self.months and self._day_matches(t):
                for hour in sorted(h for h in self.hours if h >= t.hour):
                    for minute in sorted(self.minutes):
                        if hour == t.hour and minute < t.minute:
                            continue
                        return t.replace(hour=hour, minute=minute)
            t = (t + datetime.timedelta(days=1)).replace(hour=0, minute=0)
        return None


def next_time(schedules: list[str], timezone: str | None, after: Any) -> Any:
    """The earliest next time of any of the schedules (Argo's GetNextRuntime)."""
    times = [t for t in (Schedule(s, timezone).next(after) for s in schedules) if t is not None]
    return min(times) if times else None
