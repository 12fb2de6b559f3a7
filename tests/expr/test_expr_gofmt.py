"""How Go prints values (fmt %v, encoding/json, strconv.Quote) and Go time layouts."""

from __future__ import annotations

import datetime as dt

import pytest

from localflow.errors import ExprError
from localflow.expr import gotime
from localflow.expr._gofmt import (
    Duration,
    from_json,
    go_duration_string,
    go_format_float,
    go_json,
    go_quote,
    go_sprint,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, "3"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (-0.0, "-0"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_format_float_like_percent_v(value, expected):
    assert go_format_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, "3"),
        (1e6, "1000000"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-10, "1.5e-10"),
        (0.30000000000000004, "0.30000000000000004"),
        (-0.0, "-0"),
    ],
)
def test_json_floats(value, expected):
    assert go_json(value) == expected


def test_json_compact_sorted_and_html_escaped():
    value = {"b": [1, 2.0, None, True], "a": {"z": "<tag> & \u2028"}, "c": '\x01\n\t"'}
    assert go_json(value) == (
        '{"a":{"z":"\\u003ctag\\u003e \\u0026 \\u2028"},"b":[1,2,null,true],"c":"\\u0001\\n\\t\\""}'
    )
    assert go_json({"a": "<"}, escape_html=False) == '{"a":"<"}'
    assert go_json([1, {"a": 2}], indent="  ") == '[\n  1,\n  {\n    "a": 2\n  }\n]'
    assert go_json([]) == "[]"
    assert go_json({}) == "{}"


def test_json_of_times_and_durations():
    t = dt.datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=dt.timezone.utc)
    assert go_json(t) == '"2024-05-01T10:00:00.5Z"'
    assert go_json(Duration(1500)) == "1500"


def test_json_rejects_functions_and_nan():
    with pytest.raises(ExprError):
        go_json(len)
    with pytest.raises(ExprError):
        go_json(float("nan"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "<nil>"),
        (True, "true"),
        (7, "7"),
        ("s", "s"),
        ([1, "a", [2.5]], "[1 a [2.5]]"),
        ({"b": 1, "a": [1]}, "map[a:[1] b:1]"),
        (Duration(90_000_000_000), "1m30s"),
        (
            dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc),
            "2024-05-01 10:00:00 +0000 UTC",
        ),
    ],
)
def test_sprint(value, expected):
    assert go_sprint(value) == expected


@pytest.mark.parametrize(
    ("ns", "expected"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1500, "1.5µs"),
        (1_500_000, "1.5ms"),
        (1_000_000_000, "1s"),
        (3_723_500_000_000, "1h2m3.5s"),
        (-60_000_000_000, "-1m0s"),
        (3_600_000_000_000, "1h0m0s"),
    ],
)
def test_duration_string(ns, expected):
    assert go_duration_string(ns) == expected


@pytest.mark.parametrize(
    ("text", "ns"),
    [("1h", 3_600_000_000_000), ("1.5s", 1_500_000_000), ("-2m3s", -123_000_000_000), ("0", 0),
     ("300ms", 300_000_000), ("1h1m1s1ms1us1ns", 3_661_001_001_001)],
)  # fmt: skip
def test_parse_duration(text, ns):
    assert gotime.parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "1", "1x", "h", ".h", "-.s"])
def test_parse_duration_errors(text):
    with pytest.raises(ExprError):
        gotime.parse_duration(text)


def test_quote():
    assert go_quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'


def test_from_json_numbers_are_floats():
    assert from_json('{"a": 1, "b": [2]}') == {"a": 1.0, "b": [2.0]}
    assert isinstance(from_json("1"), float)
    with pytest.raises(ExprError):
        from_json("NaN")


# ----------------------------------------------------------------------------------------
# time layouts

T = dt.datetime(2024, 3, 9, 15, 4, 5, 123456, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02", "2024-03-09"),
        ("2006", "2024"),
        ("06/1/2", "24/3/9"),
        ("Jan _2", "Mar  9"),
        ("January 02, Monday", "March 09, Saturday"),
        ("Mon 3:04PM", "Sat 3:04PM"),
        ("03:04:05 pm", "03:04:05 pm"),
        ("15:04:05.000", "15:04:05.123"),
        ("15:04:05.999999999", "15:04:05.123456"),
        ("002 __2", "069  69"),
        (gotime.RFC3339, "2024-03-09T15:04:05Z"),
        ("-07:00 MST", "+00:00 UTC"),
        ("_2006", "_2024"),
    ],
)
def test_format_time(layout, expected):
    assert gotime.format_time(T, layout) == expected


def test_format_time_with_offset():
    t = T.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    assert gotime.format_time(t, gotime.RFC3339) == "2024-03-09T08:04:05-07:00"
    assert gotime.format_time(t, "-0700 Z0700") == "-0700 -0700"


@pytest.mark.parametrize(
    ("layout", "value", "unix"),
    [
        ("2006-01-02", "2024-03-09", 1709942400),
        (gotime.RFC3339, "2024-03-09T15:04:05Z", 1709996645),
        (gotime.RFC3339, "2024-03-09T15:04:05+01:00", 1709993045),
        (gotime.RFC3339, "2024-03-09T15:04:05.5Z", 1709996645),
        ("2006-01-02 15:04", "2024-03-09 15:04", 1709996640),
        (gotime.ANSIC, "Sat Mar  9 15:04:05 2024", 1709996645),
        (gotime.RFC1123, "Sat, 09 Mar 2024 15:04:05 UTC", 1709996645),
        ("2006-01-02T15Z0700", "2024-03-09T15Z", 1709996400),
        ("02/01/06 3PM", "09/03/24 3PM", 1709996400),
    ],
)
def test_parse_time(layout, value, unix):
    assert gotime.parse_time(layout, value).unix() == unix


@pytest.mark.parametrize(
    ("layout", "value"),
    [
        ("2006-01-02", "2024-02-30"),
        ("2006-01-02", "2024-13-01"),
        ("2006-01-02", "24-01-01"),
        ("2006-01-02", "2024-01-01 extra"),
        (gotime.RFC3339, "2024-03-09 15:04:05Z"),
        ("15:04", "25:00"),
    ],
)
def test_parse_time_errors(layout, value):
    with pytest.raises(ExprError, match="cannot parse"):
        gotime.parse_time(layout, value)


def test_kitchen_time_is_year_zero():
    parsed = gotime.parse_time(gotime.KITCHEN, "3:04PM")
    assert (parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute) == (
        0,
        1,
        1,
        15,
        4,
    )
    assert parsed.unix() == -62167219200 + 15 * 3600 + 4 * 60
