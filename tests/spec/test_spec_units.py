"""Durations and quantities."""

from __future__ import annotations

import pytest

from localflow.errors import SpecError
from localflow.spec.validate import parse_duration, parse_quantity


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30", 30.0),
        (30, 30.0),
        ("+5", 5.0),
        ("1m30s", 90.0),
        ("2h", 7200.0),
        ("1.5h", 5400.0),
        ("300ms", 0.3),
        ("10us", 1e-5),
        ("1\u00b5s", 1e-6),
        (".5s", 0.5),
        ("0", 0.0),
        ("-1m", -60.0),
        ("2h45m", 9900.0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


# the last two overflow Go's int64 nanoseconds: time.ParseDuration rejects them (tests/expr/data/gofmt-cases.tsv)
@pytest.mark.parametrize("text", ["1d", "", "s", "1h 2m", "abc", "1.2.3s", "1w", "9223372036854775808ns",
                                  "2562047h47m16.854775808s"])
def test_bad_durations(text):
    with pytest.raises(SpecError):
        parse_duration(text)
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("100m", 0.1),
        ("32Mi", 33554432.0),
        ("1G", 1e9),
        ("1Gi", 2.0**30),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("2E", 2e18),
        ("500k", 5e5),
        (".5", 0.5),
        (2, 2.0),
        (0.25, 0.25),
    ],
)
def test_quantities(text, value):
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["32Mx", "", "abc", "1.2.3", "1 Gi", "Mi", True])
def test_bad_quantities(text):
    with pytest.raises(SpecError):
        parse_quantity(text)
