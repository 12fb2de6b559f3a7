"""Parsing Go time layouts (`time.Parse`), for `gotime.parse_time`."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from localflow.errors import ExprError
from localflow.expr.gotime import (
    _DAY,
    _DAYS,
    _HOUR,
    _HOUR12,
    _ISO_TZ,
    _LONG_MONTH,
    _LONG_WEEKDAY,
    _LONG_YEAR,
    _MINUTE,
    _MONTH,
    _MONTHS,
    _NUM_MONTH,
    _NUM_TZ,
    _PM,
    _PM_LOWER,
    _SECOND,
    _TZ,
    _UNDER_DAY,
    _UNDER_YEARDAY,
    _WEEKDAY,
    _YEAR,
    _ZERO_DAY,
    _ZERO_HOUR12,
    _ZERO_MINUTE,
    _ZERO_MONTH,
    _ZERO_SECOND,
    _ZERO_YEARDAY,
    UTC,
    _chunks,
    _Frac,
)


class _Bad(Exception):
    pass


def _getnum(value: str, fixed: bool) -> tuple[int, str]:
    if not value or not value[0].isdigit() or not value[0].isascii():
        raise _Bad
    if len(value) < 2 or not ("0" <= value[1] <= "9"):
        if fixed:
            raise _Bad
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def _skip(value: str, prefix: str) -> str:
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                raise _Bad
            prefix = prefix.lstrip(" ")
            value = value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            raise _Bad
        prefix, value = prefix[1:], value[1:]
    return value


def _lookup(names: list[str], value: str, short: bool) -> tuple[int, str]:
    for idx, name in enumerate(names):
        name = name[:3] if short else name
        if value[: len(name)].lower() == name.lower():
            return idx, value[len(name) :]
    raise _Bad


@dataclass
class ParsedTime:
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanos: int
    offset: int  # seconds east of UTC

    def unix(self) -> int:
        days = _days_from_civil(self.year, self.month, self.day)
        return (
            days * 86400
            + self.hour * 3600
            + self.minute * 60
            + self.second
            - self.offset
        )

    def to_datetime(self) -> _dt.datetime:
        if not 1 <= self.year <= 9999:
            raise ExprError(f"year {self.year} is out of range")
        tz = (
            UTC
            if self.offset == 0
            else _dt.timezone(_dt.timedelta(seconds=self.offset))
        )
        return _dt.datetime(
            self.year, self.month, self.day, self.hour, self.minute, self.second,
            self.nanos // 1000, tzinfo=tz,
        )  # fmt: skip


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in(month: int, year: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _parse_offset(kind: str, value: str) -> tuple[int, str]:
    body = kind[1:]
    need = {"07": 3, "0700": 5, "07:00": 6, "070000": 7, "07:00:00": 9}[body]
    if len(value) < need:
        raise _Bad
    sign = value[0]
    if sign not in "+-":
        raise _Bad
    text = value[1:need]
    if ":" in body:
        parts = text.split(":")
        if len(parts) != body.count(":") + 1:
            raise _Bad
    else:
        parts = [text[k : k + 2] for k in range(0, len(text), 2)]
    if not all(len(p) == 2 and p.isdigit() and p.isascii() for p in parts):
        raise _Bad
    hh, mm, ss = ([int(p) for p in parts] + [0, 0])[:3]
    offset = hh * 3600 + mm * 60 + ss
    return (-offset if sign == "-" else offset), value[need:]


def parse(layout: str, value: str, default_offset: int = 0) -> ParsedTime:
    """Go's `time.Parse(layout, value)` (ParseInLocation with a fixed default zone)."""
    try:
        return _parse(layout, value, default_offset)
    except _Bad:
        raise ExprError(f'parsing time "{value}" as "{layout}": cannot parse') from None


def _parse(layout: str, value: str, default_offset: int) -> ParsedTime:
    year, month, day, yday = 0, -1, -1, -1
    hour = minute = second = nanos = 0
    pm_set = am_set = False
    offset: int | None = None
    chunks = _chunks(layout)
    for idx, chunk in enumerate(chunks):
        if isinstance(chunk, str):
            value = _skip(value, chunk)
            continue
        kind = chunk[1]
        if isinstance(kind, _Frac):
            if kind.fixed:
                n = kind.digits + 1
                if len(value) < n or value[0] not in ".,":
                    raise _Bad
                nanos, value = _nanos(value, n), value[n:]
            elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                n = 1
                while n < len(value) and "0" <= value[n] <= "9":
                    n += 1
                nanos, value = _nanos(value, n), value[n:]
            continue
        if kind == _LONG_YEAR:
            if len(value) < 4 or not value[:4].isdigit():
                raise _Bad
            year, value = int(value[:4]), value[4:]
        elif kind == _YEAR:
            if len(value) < 2 or not value[:2].isdigit():
                raise _Bad
            year, value = int(value[:2]), value[2:]
            year += 1900 if year >= 69 else 2000
        elif kind in (_MONTH, _LONG_MONTH):
            m, value = _lookup(_MONTHS, value, kind == _MONTH)
            month = m + 1
        elif kind in (_NUM_MONTH, _ZERO_MONTH):
            month, value = _getnum(value, kind == _ZERO_MONTH)
            if not 1 <= month <= 12:
                raise _Bad
        elif kind in (_WEEKDAY, _LONG_WEEKDAY):
            _, value = _lookup(_DAYS, value, kind == _WEEKDAY)
        elif kind in (_DAY, _UNDER_DAY, _ZERO_DAY):
            if kind == _UNDER_DAY and value[:1] == " ":
                value = value[1:]
            day, value = _getnum(value, kind == _ZERO_DAY)
        elif kind in (_UNDER_YEARDAY, _ZERO_YEARDAY):
            value = value.lstrip(" ") if kind == _UNDER_YEARDAY else value
            if len(value) < 3 or not value[:3].isdigit():
                raise _Bad
            yday, value = int(value[:3]), value[3:]
        elif kind == _HOUR:
            hour, value = _getnum(value, False)
            if hour > 23:
                raise _Bad
        elif kind in (_HOUR12, _ZERO_HOUR12):
            hour, value = _getnum(value, kind == _ZERO_HOUR12)
            if hour > 12:
                raise _Bad
        elif kind in (_MINUTE, _ZERO_MINUTE):
            minute, value = _getnum(value, kind == _ZERO_MINUTE)
            if minute > 59:
                raise _Bad
        elif kind in (_SECOND, _ZERO_SECOND):
            second, value = _getnum(value, kind == _ZERO_SECOND)
            if second > 59:
                raise _Bad
            # a fractional second may follow even when the layout has none
            nxt = chunks[idx + 1] if idx + 1 < len(chunks) else None
            has_frac = isinstance(nxt, tuple) and isinstance(nxt[1], _Frac)
            if (
                len(value) >= 2
                and value[0] in ".,"
                and value[1].isdigit()
                and not has_frac
            ):
                n = 2
                while n < len(value) and "0" <= value[n] <= "9":
                    n += 1
                nanos, value = _nanos(value, n), value[n:]
        elif kind in (_PM, _PM_LOWER):
            word = value[:2]
            if word == ("PM" if kind == _PM else "pm"):
                pm_set = True
            elif word == ("AM" if kind == _PM else "am"):
                am_set = True
            else:
                raise _Bad
            value = value[2:]
        elif kind in _ISO_TZ and value[:1] == "Z":
            offset, value = 0, value[1:]
        elif kind in _ISO_TZ or kind in _NUM_TZ:
            offset, value = _parse_offset(kind, value)
        elif kind == _TZ:
            n = 0
            while n < len(value) and "A" <= value[n] <= "Z":
                n += 1
            if n < 3:
                raise _Bad
            offset, value = 0, value[n:]
    if value:
        raise _Bad
    if pm_set and hour < 12:
        hour += 12
    elif am_set and hour == 12:
        hour = 0
    if yday >= 0 and month < 0:
        m = 1
        while m < 12 and yday > _days_in(m, year):
            yday -= _days_in(m, year)
            m += 1
        month, day = m, yday
    month = 1 if month < 0 else month
    day = 1 if day < 0 else day
    if day < 1 or day > _days_in(month, year):
        raise _Bad
    return ParsedTime(
        year, month, day, hour, minute, second, nanos,
        default_offset if offset is None else offset,
    )  # fmt: skip


def _nanos(value: str, n: int) -> int:
    digits = value[1:n]
    if not digits.isdigit():
        raise _Bad
    return int((digits + "000000000")[:9])
