"""Durations and Kubernetes quantities, parsed the way Argo and Kubernetes parse them."""

from __future__ import annotations

import re

from localflow.errors import SpecError
from localflow.expr.gotime import DurationError
from localflow.expr.gotime import parse_duration as parse_duration_ns

__all__ = ["QUANTITY_RE", "UnitError", "is_go_int", "parse_duration", "parse_go_duration", "parse_quantity"]


class UnitError(SpecError, ValueError):
    """A duration or quantity that does not parse (a SpecError, and a ValueError for callers that
    only care that the text was bad)."""


_GO_INT = re.compile(r"^[+-]?[0-9]+$")


def is_go_int(text: str) -> bool:
    """Whether strconv.Atoi accepts the text (an optional sign and decimal digits)."""
    return bool(_GO_INT.match(text))


def parse_go_duration(text: str) -> float:
    """time.ParseDuration (expr/gotime.py), in seconds: `300ms`, `1.5h`, `2h45m`, `-1m`, `0`; a unit is
    required (there is no `d`)."""
    if not isinstance(text, str):
        raise UnitError(f"expected a duration string, got {text!r}")
    try:
        return parse_duration_ns(text) / 1e9
    except DurationError as e:
        if e.unit is not None:
            raise UnitError(f"invalid duration {text!r}: unknown unit {e.unit!r} (use ns, us, ms, s, m or h)") from None
        raise UnitError(f"invalid duration {text!r} (use a number and a unit such as 30s, 5m, 1h30m)") from None


def _number_or_text(value: object, what: str) -> float | str:
    """A YAML number as a float, text as it is; anything else (a bool, a list, ...) is not a `what`."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise UnitError(f"expected a {what}, got {value!r}")


def parse_duration(value: str | float) -> float:
    """Argo's ParseStringToDuration, in seconds: a plain integer means seconds (`"30"`, 30), anything
    else is a Go duration (`1m30s`, `2h`). Go durations have no day unit, so `1d` is an error."""
    value = _number_or_text(value, "duration")
    if isinstance(value, float):
        return value
    if is_go_int(value):
        return float(int(value))
    return parse_go_duration(value)


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
QUANTITY_RE = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")


def parse_quantity(value: str | float) -> float:
    """A Kubernetes quantity as a number: `100m` -> 0.1, `32Mi` -> 33554432, `1G` -> 1e9, `1e3` -> 1000."""
    value = _number_or_text(value, "quantity")
    if isinstance(value, float):
        return value
    match = QUANTITY_RE.match(value)
    if not match:
        raise UnitError(f"{value!r} is not a valid quantity (use a number with an optional suffix such as 100m, 32Mi, 1G)")
    number, suffix = match.group(1), match.group(2) or ""
    if suffix in _BINARY:
        return float(number) * _BINARY[suffix]
    if suffix in _DECIMAL:
        return float(number) * _DECIMAL[suffix]
    return float(number) * 10.0 ** int(suffix[1:])
