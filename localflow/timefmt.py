"""Timestamps and durations as Argo writes and prints them. Imports nothing of localflow, so every
layer may use it (like errors.py).

- `iso` / `parse_ts`: RFC 3339 in UTC with whole seconds, the form of Kubernetes' `metav1.Time`
  (`startedAt`, `finishedAt`, `creationTimestamp`); `elapsed`: a node's or workflow's duration.
- `short_duration`: the AGE and DURATION columns of `argo list` and the DURATION of `argo get`'s node
  tree (Argo's `util/humanize.RelativeDurationShort`: one unit, truncated: 90 s is `1m`).
- `long_duration`: the `Duration:` line of `argo get` (`util/humanize.RelativeDuration`: two units,
  truncated: `1 minute 30 seconds`).
- `ui_duration`: durations in Argo's web UI, which the HTML report follows (`ui/src/shared/duration.ts`
  `formatDuration`: rounded to a second, the two largest non-zero units: `1m30s`, `2h5m`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import math

_MINUTE, _HOUR = 60, 3600
_DAY = 24 * _HOUR
_WEEK, _MONTH = 7 * _DAY, 30 * _DAY  # go-humanize's Week and Month
_YEAR = 12 * _MONTH
_LONG_TIME = 37 * _YEAR

# (below this many seconds, the text, the unit it counts in): go-humanize's RelTimeMagnitude tables
# as Argo's util/humanize defines them; past the last row the last one applies.
_SHORT = [(1, "0s", 1), (2, "1s", 1), (_MINUTE, "{}s", 1), (2 * _MINUTE, "1m", 1), (_HOUR, "{}m", _MINUTE),
          (2 * _HOUR, "1h", 1), (_DAY, "{}h", _HOUR), (2 * _DAY, "1d", 1), (_WEEK, "{}d", _DAY)]
_LONG = [(1, "0 seconds", 1), (2, "1 second", 1), (_MINUTE, "{} seconds", 1), (2 * _MINUTE, "1 minute", 1),
         (_HOUR, "{} minutes", _MINUTE), (2 * _HOUR, "1 hour", 1), (_DAY, "{} hours", _HOUR),
         (2 * _DAY, "1 day", 1), (_WEEK, "{} days", _DAY), (2 * _WEEK, "1 week", 1),
         (_MONTH, "{} weeks", _WEEK), (2 * _MONTH, "1 month", 1), (_YEAR, "{} months", _MONTH),
         (18 * _MONTH, "1 year", 1), (2 * _YEAR, "2 years", 1), (_LONG_TIME, "{} years", _YEAR),
         (math.inf, "a long while", 1)]


def iso(ts: float | None) -> str | None:
    """Seconds since the epoch -> `2024-01-02T03:04:05Z` (None stays None)."""
    if ts is None:
        return None
    return _iso_second(math.floor(ts))  # what strftime's %S shows: the second the time falls in


@functools.lru_cache(maxsize=1024)
def _iso_second(second: int) -> str:
    """A run's many timestamps fall in few seconds: writing a 100,000-node run's nodes spent 1.6 s in
    200,000 datetime conversions."""
    return _dt.datetime.fromtimestamp(second, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(v: str | None) -> float | None:
    """RFC 3339 (`2024-01-02T03:04:05Z`, fractions and offsets allowed) -> seconds since the epoch;
    None when empty or not a timestamp."""
    if not v:
        return None
    try:
        d = _dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.timestamp()


def elapsed(obj: dict, now: float | None = None) -> float | None:
    """Seconds from an object's `startedAt` to its `finishedAt` (to `now` while it has none), never
    negative; None when it never started (or is unfinished and no `now` is given)."""
    start = parse_ts(obj.get("startedAt"))
    end = parse_ts(obj.get("finishedAt"))
    if end is None:
        end = now
    if start is None or end is None:
        return None
    return max(0.0, end - start)


def _magnitude(seconds: float, table: list[tuple[float, str, int]]) -> str:
    """go-humanize's CustomRelTime: the first row whose bound is above |seconds|, counted in whole units."""
    nanos = abs(int(seconds * 1e9))
    for bound, text, unit in table:
        if nanos < bound * 1e9:
            break
    return text.format(nanos // (unit * 1_000_000_000))


def short_duration(seconds: float | None) -> str:
    """`argo list`'s AGE/DURATION and `argo get`'s node DURATION: `0s`, `59s`, `1m`, `59m`, `1h`, `1d`, `8d`."""
    if seconds is None:
        return ""
    return _magnitude(seconds, _SHORT)


def long_duration(seconds: float | None) -> str:
    """`argo get`'s `Duration:`: `59 seconds`, `1 minute 30 seconds`, `1 hour 0 minutes`, `1 day 0 hours`."""
    if seconds is None:
        return ""
    whole = _magnitude(seconds, _LONG)
    if seconds < _MINUTE:
        return whole
    if seconds < _HOUR:
        return f"{whole} {int(math.fmod(seconds, 60))} seconds"
    if seconds < _DAY:
        return f"{whole} {int(math.fmod(seconds / 60, 60))} minutes"
    return f"{whole} {int(math.fmod(seconds / 3600, 24))} hours"


def ui_duration(seconds: float | None, sigfigs: int = 2) -> str:
    """Argo UI's formatDuration: rounded half up to a second, days/hours/minutes/seconds with each unit
    used only when strictly more than one of it remains (60 s is `60s`), the first `sigfigs` kept."""
    if seconds is None:
        return ""
    rounded = math.floor(seconds + 0.5)  # JavaScript's Math.round
    left = abs(rounded)
    figs = []
    for size, unit in ((_DAY, "d"), (_HOUR, "h"), (_MINUTE, "m")):
        if left > size:
            figs.append(f"{left // size}{unit}")
            left %= size
    if left > 0 or rounded == 0:
        figs.append(f"{left}s")
    return "".join(figs[:sigfigs])
