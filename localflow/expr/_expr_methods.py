"""Go methods callable from expressions on time.Time and time.Duration values.

`(now() - cronworkflow.lastScheduledTime).Seconds() > 360` calls Duration.Seconds.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr import gotime
from localflow.expr._gofmt import Duration, Int64, Month, Weekday, go_duration_string, go_type_name


def _dur(v: Any) -> Duration:
    if not isinstance(v, Duration):
        raise ExprError(f"cannot use {go_type_name(v)} as time.Duration")
    return v


def _time(v: Any) -> _dt.datetime:
    if not isinstance(v, _dt.datetime):
        raise ExprError(f"cannot use {go_type_name(v)} as time.Time")
    return v


def _to_duration(delta: _dt.timedelta) -> Duration:
    return Duration(
        (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    )


def _unix(t: _dt.datetime) -> int:
    return Int64(
        (t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)).total_seconds() // 1
    )


_DURATION_METHODS: dict[str, Callable[..., Any]] = {
    "Hours": lambda d: d.ns / 3.6e12,
    "Minutes": lambda d: d.ns / 6e10,
    "Seconds": lambda d: d.ns / 1e9,
    "Milliseconds": lambda d: Int64(int(d.ns / 1e6)),
    "Microseconds": lambda d: Int64(int(d.ns / 1e3)),
    "Nanoseconds": lambda d: Int64(d.ns),
    "String": lambda d: go_duration_string(d.ns),
    "Abs": lambda d: Duration(abs(d.ns)),
    "Round": lambda d, m: Duration(_round_to(d.ns, _dur(m).ns)),
    "Truncate": lambda d, m: Duration(
        d.ns - d.ns % _dur(m).ns if _dur(m).ns > 0 else d.ns
    ),
}

_TIME_METHODS: dict[str, Callable[..., Any]] = {
    "Year": lambda t: t.year,
    "Month": lambda t: Month(t.month),
    "Day": lambda t: t.day,
    "Hour": lambda t: t.hour,
    "Minute": lambda t: t.minute,
    "Second": lambda t: t.second,
    "Nanosecond": lambda t: t.microsecond * 1000,
    "YearDay": lambda t: t.timetuple().tm_yday,
    "Weekday": lambda t: Weekday((t.weekday() + 1) % 7),
    "Unix": _unix,
    "UnixMilli": lambda t: Int64(_unix(t) * 1000 + t.microsecond // 1000),
    "UnixMicro": lambda t: Int64(_unix(t) * 1_000_000 + t.microsecond),
    "UnixNano": lambda t: Int64((_unix(t) * 1_000_000 + t.microsecond) * 1000),
    "Format": lambda t, layout: gotime.format_time(t, layout),
    "String": gotime.time_string,
    "UTC": lambda t: t.astimezone(_dt.timezone.utc),
    "Local": lambda t: t.astimezone(_dt.timezone.utc),
    "IsZero": lambda t: t == _dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc),
    "Sub": lambda t, u: _to_duration(t - _time(u)),
    "Add": lambda t, d: t + _dt.timedelta(microseconds=_dur(d).ns // 1000),
    "AddDate": lambda t, y, m, d: _add_date(t, y, m, d),
    "Before": lambda t, u: t < _time(u),
    "After": lambda t, u: t > _time(u),
    "Equal": lambda t, u: t == _time(u),
    "Compare": lambda t, u: (t > _time(u)) - (t < u),
    "Truncate": lambda t, d: _truncate(t, _dur(d).ns),
}


def _round_to(ns: int, m: int) -> int:
    """Duration.Round: to the nearest multiple of m, halfway values away from zero."""
    if m <= 0:
        return ns
    q, r = divmod(abs(ns), m)
    if r * 2 >= m:
        q += 1
    return q * m if ns >= 0 else -q * m


def _truncate(t: _dt.datetime, ns: int) -> _dt.datetime:
    if ns <= 0:
        return t
    micro = ns // 1000 or 1
    epoch = _dt.datetime(1, 1, 1, tzinfo=t.tzinfo or _dt.timezone.utc)
    elapsed = (t - epoch) // _dt.timedelta(microseconds=1)
    return epoch + _dt.timedelta(microseconds=elapsed - elapsed % micro)


def _add_date(t: _dt.datetime, years: int, months: int, days: int) -> _dt.datetime:
    month0 = t.month - 1 + months
    year = t.year + years + month0 // 12
    month = month0 % 12 + 1
    base = t.replace(year=year, month=month, day=1)
    return base + _dt.timedelta(days=t.day - 1 + days)


def method_of(obj: Any, name: str) -> Callable[..., Any] | None:
    """The bound Go method `name` of obj, or None."""
    if isinstance(obj, Duration):
        fn = _DURATION_METHODS.get(name)
    elif isinstance(obj, _dt.datetime):
        fn = _TIME_METHODS.get(name)
    elif hasattr(obj, "go_methods"):  # another Go value (a *semver.Version): bound already
        method = obj.go_methods.get(name)
        return None if method is None else _checked(name, method)
    else:
        return None
    if fn is None:
        return None
    return _checked(name, lambda *args: fn(obj, *args))


def _checked(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def bound(*args: Any) -> Any:
        try:
            return fn(*args)
        except TypeError as e:
            raise ExprError(f"invalid arguments for {name}: {e}") from None

    return bound
