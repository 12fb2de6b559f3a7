"""Cron schedules as Argo reads them (robfig/cron's ParseStandard): five fields (minute, hour, day
of month, month, day of week), or a descriptor such as `@daily` or `@every 1h30m`, optionally
after `CRON_TZ=<zone> ` or `TZ=<zone> `."""

from __future__ import annotations

import re

from localflow.spec.units import UnitError, parse_go_duration

__all__ = ["schedule_problem", "timezone_problem"]

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
