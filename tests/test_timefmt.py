"""localflow.timefmt against Argo: the expected values are those of Argo's own tests
(util/humanize/humanize_test.go, marked `argo test`) or read off Argo's code for the case
(go-humanize's magnitude tables as util/humanize.go defines them; ui/src/shared/duration.ts)."""

from __future__ import annotations

import pytest

from localflow.timefmt import iso, long_duration, parse_ts, short_duration, ui_duration

MIN, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "0s"),                      # argo test: RelativeDurationShort(now, now)
    (HOUR, "1h"),                   # argo test
    (HOUR + 30 * MIN, "1h"),        # argo test
    (0.999, "0s"), (1, "1s"), (1.9, "1s"), (2, "2s"), (59.9, "59s"),
    (60, "1m"), (119, "1m"), (120, "2m"), (3599, "59m"),
    (2 * HOUR - 1, "1h"), (2 * HOUR, "2h"), (DAY - 1, "23h"),
    (DAY, "1d"), (2 * DAY - 1, "1d"), (2 * DAY, "2d"), (6 * DAY, "6d"),
    (8 * DAY, "8d"), (400 * DAY, "400d"),  # past the table: its last row, in days
    (-90, "1m"),                    # go-humanize measures |b - a|
])
def test_short_duration_is_argos_relative_duration_short(seconds, expected):
    assert short_duration(seconds) == expected


@pytest.mark.parametrize(("seconds", "expected"), [
    (1, "1 second"),                # argo test: Duration(time.Second)
    (MIN, "1 minute 0 seconds"),    # argo test
    (HOUR, "1 hour 0 minutes"),     # argo test
    (2 * HOUR, "2 hours 0 minutes"),  # argo test
    (10 * HOUR, "10 hours 0 minutes"),  # argo test
    (DAY, "1 day 0 hours"),         # argo test
    (0, "0 seconds"),               # argo test: RelativeDuration(now, now)
    (-1, "1 second"),               # argo test: finish one second before start
    (-59, "59 seconds"),            # argo test
    (90, "1 minute 30 seconds"),    # argo test
    (HOUR + 30 * MIN, "1 hour 30 minutes"),  # argo test
    (59.9, "59 seconds"), (150.7, "2 minutes 30 seconds"), (HOUR - 1, "59 minutes 59 seconds"),
    (2 * HOUR + 59 * MIN + 59, "2 hours 59 minutes"), (3 * DAY + 5 * HOUR + 1, "3 days 5 hours"),
    (8 * DAY + 3 * HOUR, "1 week 3 hours"),
])
def test_long_duration_is_argos_relative_duration(seconds, expected):
    assert long_duration(seconds) == expected


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "0s"), (0.4, "0s"), (0.5, "1s"), (2.5, "3s"),  # Math.round: half up
    (59, "59s"), (60, "60s"), (59.5, "60s"),            # a unit only when strictly more than one
    (61, "1m1s"), (90, "1m30s"), (120, "2m"), (3600, "60m"), (3601, "1h1s"), (3661, "1h1m"),
    (DAY, "24h"), (DAY + 1, "1d1s"), (DAY + HOUR + MIN + 1, "1d1h"),
    (-90, "1m30s"),
])
def test_ui_duration_is_argo_uis_format_duration(seconds, expected):
    assert ui_duration(seconds) == expected


def test_ui_duration_sigfigs():
    assert ui_duration(DAY + HOUR + MIN + 2, sigfigs=4) == "1d1h1m2s"
    assert ui_duration(DAY + HOUR + MIN + 2, sigfigs=1) == "1d"


def test_none_is_blank():
    assert short_duration(None) == long_duration(None) == ui_duration(None) == ""
    assert iso(None) is None and parse_ts(None) is None and parse_ts("") is None


def test_iso_and_parse_ts_are_rfc3339_utc():
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert iso(1704164645.7) == "2024-01-02T03:04:05Z"  # metav1.Time keeps whole seconds
    assert parse_ts("2024-01-02T03:04:05Z") == 1704164645.0
    assert parse_ts("2024-01-02T03:04:05.250Z") == 1704164645.25
    assert parse_ts("2024-01-02T04:04:05+01:00") == 1704164645.0
    assert parse_ts("yesterday") is None
