"""Unit tests of the indicator parts: periods, composite variance, status rules, change and trend tests."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import numpy as np
import pytest
from scipy import stats

from analytics.services.indicator_trends import change_test, trend_test
from analytics.services.indicator_values import ComponentValue
from analytics.services.indicators import composite, target_status
from analytics.services.periods import current_period, parse_period, period_of_day, recent_periods
from core.errors import InvalidInput


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1)),
    ],
)
def test_periods_are_calendar_ranges(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, text)


def test_previous_and_recent_periods_cross_years():
    assert parse_period("2026-01").shifted(-1).label == "2025-12"
    assert parse_period("2026-Q1").shifted(-1).label == "2025-Q4"
    assert [p.label for p in recent_periods(parse_period("2026-02"), 4)] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert [p.label for p in recent_periods(parse_period("2026"), 2)] == ["2025", "2026"]
    assert period_of_day(date(2026, 9, 30), "quarter") == "2026-Q3"


@pytest.mark.parametrize("text", ["", "2026-13", "2026-Q0", "2026-1", "26", "2026-Q4-01"])
def test_bad_periods_are_refused(text):
    with pytest.raises(InvalidInput) as error:
        parse_period(text)
    assert error.value.errors == {"period": ["use YYYY, YYYY-Qn or YYYY-MM"]}


def test_current_period_is_local(ctx):
    # 2026-09-30 17:00 UTC is already 1 October in Beijing.
    moment = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert current_period(moment).label == "2026-10"
    assert current_period(moment, "quarter").label == "2026-Q4"


def test_composite_propagates_independent_variances():
    parts = [ComponentValue(80.0, 2.0, 76.0, 84.0), ComponentValue(60.0, 3.0, 54.0, 66.0)]
    result = composite(parts, np.array([0.25, 0.75]))
    assert result.value == pytest.approx(65.0)
    assert result.se == pytest.approx(math.sqrt(0.0625 * 4 + 0.5625 * 9))
    assert result.ci_low == pytest.approx(65.0 - stats.norm.ppf(0.975) * result.se)
    # One component keeps its own interval; a missing one leaves the composite without a value.
    assert composite(parts[:1], np.array([1.0])) == parts[0]
    missing = composite([parts[0], ComponentValue(None)], np.array([0.5, 0.5]))
    assert missing.value is None and missing.reason == "components 2 have no value"
    # The CI never leaves the 0-100 scale.
    clipped = composite([ComponentValue(99.0, 5.0), ComponentValue(98.0, 5.0)], np.array([0.5, 0.5]))
    assert clipped.ci_high == 100.0


@pytest.mark.parametrize(
    "value, low, high, target, direction, status",
    [
        (85.0, 82.0, 88.0, 80.0, "higher", "met"),
        (85.0, 82.0, 88.0, 90.0, "higher", "not_met"),
        (85.0, 82.0, 88.0, 86.0, "higher", "indistinguishable"),
        (85.0, 82.0, 88.0, 84.0, "higher", "indistinguishable"),  # above the target, but not shown
        (85.0, 82.0, 88.0, 82.0, "higher", "met"),  # the CI lies at or above the target
        (5.0, 3.0, 7.0, 10.0, "lower", "met"),
        (5.0, 3.0, 7.0, 2.0, "lower", "not_met"),
        (5.0, 3.0, 7.0, 6.0, "lower", "indistinguishable"),
        # A target at the end of the scale: the point value decides.
        (100.0, 70.0, 100.0, 100.0, "higher", "met"),
        (99.5, 97.0, 99.9, 100.0, "higher", "not_met"),
        (0.0, 0.0, 20.0, 0.0, "lower", "met"),
        (0.4, 0.1, 2.0, 0.0, "lower", "not_met"),
        (None, None, None, 80.0, "higher", "no_data"),
    ],
)
def test_target_status(value, low, high, target, direction, status):
    assert target_status(ComponentValue(value, 1.0, low, high), target, direction) == status


def test_change_test_is_a_z_test_of_the_difference():
    result = change_test("2026-09", ComponentValue(82.0, 1.5), ComponentValue(78.0, 2.0))
    assert result["change"] == pytest.approx(4.0) and result["se"] == pytest.approx(2.5)
    assert result["z"] == pytest.approx(1.6) and result["p_value"] == pytest.approx(0.109598583, abs=1e-8)
    assert result["result"] == "no_significant_change"
    big = change_test("2026-09", ComponentValue(90.0, 1.0), ComponentValue(80.0, 1.0))
    assert big["result"] == "increase" and big["p_value"] < 0.05
    # Two exact values (census rates at 100 % and 50 %): a difference without sampling error.
    exact = change_test("2026-09", ComponentValue(50.0, 0.0), ComponentValue(100.0, 0.0))
    assert exact["p_value"] == 0.0 and exact["result"] == "decrease" and exact["z"] is None
    assert change_test("x", ComponentValue(None), ComponentValue(1.0, 1.0))["result"] == "not_available"


def test_trend_is_weighted_least_squares_with_dispersion():
    series = [("a", ComponentValue(70.0, 1.0)), ("b", ComponentValue(None)), ("c", ComponentValue(74.0, 2.0))]
    series += [("d", ComponentValue(75.0, 1.0)), ("e", ComponentValue(79.0, 0.1))]
    result = trend_test(series)
    assert result["points"] == 4
    x = np.array([0.0, 2.0, 3.0, 4.0])
    y = np.array([70.0, 74.0, 75.0, 79.0])
    s = np.array([1.0, 2.0, 1.0, 0.5])  # 0.1 is raised to the 0.5 floor
    slope, intercept = np.polyfit(x, y, 1, w=1 / s)
    w = 1 / s**2
    sxx = np.sum(w * (x - np.average(x, weights=w)) ** 2)
    phi = max(1.0, np.sum(w * (y - intercept - slope * x) ** 2) / 2)
    assert result["slope"] == pytest.approx(slope)
    assert result["dispersion"] == pytest.approx(phi)
    assert result["slope_se"] == pytest.approx(math.sqrt(phi / sxx))
    assert result["p_value"] == pytest.approx(2 * stats.t.sf(slope / math.sqrt(phi / sxx), 2))
    assert result["result"] == "increase"
    assert trend_test(series[:3])["result"] == "not_available"
