"""Go's `time` package as Argo's expression languages see it.

Layout-based formatting and parsing (`2006-01-02T15:04:05Z07:00`), `time.ParseDuration` and
`Time.String()`. Go times are Python aware `datetime`s (microsecond precision). The
controller's local zone is taken to be UTC, as it is in the Argo controller image.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from localflow.errors import ExprError

if TYPE_CHECKING:
    from localflow.expr._gotime_parse import ParsedTime

UTC = _dt.timezone.utc

ANSIC = "Mon Jan _2 15:04:05 2006"
UNIX_DATE = "Mon Jan _2 15:04:05 MST 2006"
RUBY_DATE = "Mon Jan 02 15:04:05 -0700 2006"
RFC822 = "02 Jan 06 15:04 MST"
RFC822Z = "02 Jan 06 15:04 -0700"
RFC850 = "Monday, 02-Jan-06 15:04:05 MST"
RFC1123 = "Mon, 02 Jan 2006 15:04:05 MST"
RFC1123Z = "Mon, 02 Jan 2006 15:04:05 -0700"
RFC3339 = "2006-01-02T15:04:05Z07:00"
RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00"
KITCHEN = "3:04PM"

_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# chunk kinds
_LONG_MONTH, _MONTH, _NUM_MONTH, _ZERO_MONTH = "January", "Jan", "1", "01"
_LONG_WEEKDAY, _WEEKDAY = "Monday", "Mon"
_DAY, _UNDER_DAY, _ZERO_DAY = "2", "_2", "02"
_UNDER_YEARDAY, _ZERO_YEARDAY = "__2", "002"
_HOUR, _HOUR12, _ZERO_HOUR12 = "15", "3", "03"
_MINUTE, _ZERO_MINUTE, _SECOND, _ZERO_SECOND = "4", "04", "5", "05"
_LONG_YEAR, _YEAR = "2006", "06"
_PM, _PM_LOWER, _TZ = "PM", "pm", "MST"
_ISO_TZ = ("Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07")
_NUM_TZ = ("-070000", "-07:00:00", "-0700", "-07:00", "-07")
_ZERO_X = {"1": _ZERO_MONTH, "2": _ZERO_DAY, "3": _ZERO_HOUR12, "4": _ZERO_MINUTE,
           "5": _ZERO_SECOND, "6": _YEAR}  # fmt: skip


@dataclass(frozen=True)
class _Frac:
    """A fractional-second chunk: `.000` (fixed width) or `.999` (trailing zeros trimmed)."""

    sep: str
    digits: int
    fixed: bool


def _lower_start(s: str) -> bool:
    return bool(s) and "a" <= s[0] <= "z"


def _next_chunk(layout: str, i: int) -> tuple[object, int] | None:
    """The std chunk starting at layout[i], as (kind, end), or None for a literal character."""
    c = layout[i]
    rest = layout[i:]
    if c == "J" and rest.startswith("Jan"):
        if rest.startswith("January"):
            return _LONG_MONTH, i + 7
        if not _lower_start(rest[3:]):
            return _MONTH, i + 3
    elif c == "M":
        if rest.startswith("Mon"):
            if rest.startswith("Monday"):
                return _LONG_WEEKDAY, i + 6
            if not _lower_start(rest[3:]):
                return _WEEKDAY, i + 3
        if rest.startswith("MST"):
            return _TZ, i + 3
    elif c == "0":
        if len(rest) >= 2 and "1" <= rest[1] <= "6":
            return _ZERO_X[rest[1]], i + 2
        if rest.startswith("002"):
            return _ZERO_YEARDAY, i + 3
    elif c == "1":
        if rest.startswith("15"):
            return _HOUR, i + 2
        return _NUM_MONTH, i + 1
    elif c == "2":
        if rest.startswith("2006"):
            return _LONG_YEAR, i + 4
        return _DAY, i + 1
    elif c == "_":
        if rest.startswith("_2"):
            if rest.startswith("_2006"):
                return None  # a literal "_" followed by 2006
            return _UNDER_DAY, i + 2
        if rest.startswith("__2"):
            return _UNDER_YEARDAY, i + 3
    elif c in "345":
        return {"3": _HOUR12, "4": _MINUTE, "5": _SECOND}[c], i + 1
    elif c == "P" and rest.startswith("PM"):
        return _PM, i + 2
    elif c == "p" and rest.startswith("pm"):
        return _PM_LOWER, i + 2
    elif c == "-":
        for kind in _NUM_TZ:
            if rest.startswith(kind):
                return kind, i + len(kind)
    elif c == "Z":
        for kind in _ISO_TZ:
            if rest.startswith(kind):
                return kind, i + len(kind)
    elif c in ".," and len(rest) > 1 and rest[1] in "09":
        j = 1
        while j < len(rest) and rest[j] == rest[1]:
            j += 1
        if not (j < len(rest) and rest[j].isdigit()):
            return _Frac(c, j - 1, rest[1] == "0"), i + j
    return None


@lru_cache(maxsize=256)
def _chunks(layout: str) -> tuple:
    out: list[object] = []
    lit = []
    i = 0
    while i < len(layout):
        found = _next_chunk(layout, i)
        if found is None:
            lit.append(layout[i])
            i += 1
            continue
        if lit:
            out.append("".join(lit))
            lit = []
        kind, i = found
        out.append(("std", kind))
    if lit:
        out.append("".join(lit))
    return tuple(out)


# ----------------------------------------------------------------------------------------
# formatting


def _offset_text(offset: int, kind: str) -> str:
    if kind.startswith("Z") and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    hh, rem = divmod(offset, 3600)
    mm, ss = divmod(rem, 60)
    body = kind[1:]
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def _zone_name(t: _dt.datetime) -> str:
    off = t.utcoffset() or _dt.timedelta(0)
    if off == _dt.timedelta(0):
        return "UTC"
    name = t.tzname()
    if name and name.isalpha():
        return name
    return _offset_text(int(off.total_seconds()), "-0700")


def _hour12(t: _dt.datetime) -> int:
    return t.hour % 12 or 12


_FORMATTERS: dict[str, Callable[[_dt.datetime], str]] = {
    _LONG_YEAR: lambda t: f"{t.year:04d}",
    _YEAR: lambda t: f"{t.year % 100:02d}",
    _LONG_MONTH: lambda t: _MONTHS[t.month - 1],
    _MONTH: lambda t: _MONTHS[t.month - 1][:3],
    _NUM_MONTH: lambda t: str(t.month),
    _ZERO_MONTH: lambda t: f"{t.month:02d}",
    _LONG_WEEKDAY: lambda t: _DAYS[t.weekday()],
    _WEEKDAY: lambda t: _DAYS[t.weekday()][:3],
    _DAY: lambda t: str(t.day),
    _UNDER_DAY: lambda t: f"{t.day:2d}",
    _ZERO_DAY: lambda t: f"{t.day:02d}",
    _UNDER_YEARDAY: lambda t: f"{t.timetuple().tm_yday:3d}",
    _ZERO_YEARDAY: lambda t: f"{t.timetuple().tm_yday:03d}",
    _HOUR: lambda t: f"{t.hour:02d}",
    _HOUR12: lambda t: str(_hour12(t)),
    _ZERO_HOUR12: lambda t: f"{_hour12(t):02d}",
    _MINUTE: lambda t: str(t.minute),
    _ZERO_MINUTE: lambda t: f"{t.minute:02d}",
    _SECOND: lambda t: str(t.second),
    _ZERO_SECOND: lambda t: f"{t.second:02d}",
    _PM: lambda t: "PM" if t.hour >= 12 else "AM",
    _PM_LOWER: lambda t: "pm" if t.hour >= 12 else "am",
    _TZ: lambda t: _zone_name(t),
}


def format_time(t: _dt.datetime, layout: str) -> str:
    """Go's `Time.Format(layout)`."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    out = []
    for chunk in _chunks(layout):
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        kind = chunk[1]
        if isinstance(kind, _Frac):
            digits = f"{t.microsecond * 1000:09d}"[: kind.digits]
            if kind.fixed:
                out.append(kind.sep + digits)
            elif digits.rstrip("0"):
                out.append(kind.sep + digits.rstrip("0"))
            continue
        formatter = _FORMATTERS.get(kind)
        if formatter is not None:
            out.append(formatter(t))
        else:  # numeric / ISO zones
            off = t.utcoffset() or _dt.timedelta(0)
            out.append(_offset_text(int(off.total_seconds()), kind))
    return "".join(out)


def time_string(t: _dt.datetime) -> str:
    """Go's `Time.String()`."""
    return format_time(t, "2006-01-02 15:04:05.999999999 -0700 MST")


# ----------------------------------------------------------------------------------------
# durations

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


_MAX = 1 << 63


class DurationError(ExprError):
    """time.ParseDuration's error, with Go's message; `unit` is the unknown unit it names, if any."""

    def __init__(self, message: str, unit: str | None = None):
        super().__init__(message)
        self.unit = unit


def _leading_fraction(s: str) -> tuple[int, float, str]:
    """Go's leadingFraction: digits after the dot, ignoring those that would overflow."""
    f, scale, n, overflow = 0, 1.0, 0, False
    while n < len(s) and "0" <= s[n] <= "9":
        if not overflow:
            if f > (_MAX - 1) // 10:
                overflow = True
            else:
                f, scale = f * 10 + int(s[n]), scale * 10
        n += 1
    return f, scale, s[n:]


def _duration_part(s: str, orig: str) -> tuple[int, str]:
    """One `<number><unit>` of a duration: (nanoseconds, the rest), Go's overflow checks."""
    n = 0
    while n < len(s) and "0" <= s[n] <= "9":
        n += 1
    whole, s = int(s[:n] or "0"), s[n:]
    if whole >= _MAX:
        raise DurationError(f'time: invalid duration "{orig}"')
    pre, post, f, scale = n > 0, False, 0, 1.0
    if s[:1] == ".":
        before = len(s) - 1
        f, scale, s = _leading_fraction(s[1:])
        post = len(s) != before
    if not pre and not post:
        raise DurationError(f'time: invalid duration "{orig}"')
    u = 0
    while u < len(s) and s[u] != "." and not ("0" <= s[u] <= "9"):
        u += 1
    unit, s = s[:u], s[u:]
    if not unit:
        raise DurationError(f'time: missing unit in duration "{orig}"')
    if unit not in _UNITS:
        raise DurationError(f'time: unknown unit "{unit}" in duration "{orig}"', unit)
    size = _UNITS[unit]
    if whole > _MAX // size:
        raise DurationError(f'time: invalid duration "{orig}"')
    v = whole * size
    if f > 0:
        v += int(float(f) * (float(size) / scale))
        if v > _MAX:
            raise DurationError(f'time: invalid duration "{orig}"')
    return v, s


def parse_duration(text: str) -> int:
    """Go's `time.ParseDuration`, in nanoseconds (integer arithmetic and overflow as Go's)."""
    orig, s = text, text
    neg = False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise DurationError(f'time: invalid duration "{orig}"')
    total = 0
    while s:
        v, s = _duration_part(s, orig)
        total += v
        if total > _MAX:
            raise DurationError(f'time: invalid duration "{orig}"')
    if neg:
        return -total
    if total > _MAX - 1:
        raise DurationError(f'time: invalid duration "{orig}"')
    return total


def parse_time(layout: str, value: str, *, default_offset: int = 0) -> ParsedTime:
    """Go's `time.Parse(layout, value)` (ParseInLocation with a fixed default zone)."""
    from localflow.expr._gotime_parse import parse

    return parse(layout, value, default_offset)
