"""Reporting periods: month and ISO-week buckets, the point count guard, defaults."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.services.trend_buckets import count_buckets, default_period, split_period


def test_months_are_cut_at_month_starts_and_keep_partial_ends():
    buckets = split_period(date(2025, 11, 15), date(2026, 2, 2), "month")
    assert [(b.label, b.start, b.end) for b in buckets] == [
        ("2025-11", date(2025, 11, 15), date(2025, 12, 1)),
        ("2025-12", date(2025, 12, 1), date(2026, 1, 1)),
        ("2026-01", date(2026, 1, 1), date(2026, 2, 1)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 2)),
    ]


def test_weeks_run_monday_to_sunday_with_iso_week_labels():
    # 1 January 2027 is a Friday in ISO week 53 of 2026.
    buckets = split_period(date(2026, 12, 30), date(2027, 1, 12), "week")
    assert [(b.label, b.start, b.end) for b in buckets] == [
        ("2026-W53", date(2026, 12, 30), date(2027, 1, 4)),
        ("2027-W01", date(2027, 1, 4), date(2027, 1, 11)),
        ("2027-W02", date(2027, 1, 11), date(2027, 1, 12)),
    ]


@pytest.mark.parametrize("interval", ["month", "week"])
def test_the_point_count_matches_the_buckets(interval):
    start = date(2025, 12, 20)
    for days in range(1, 120, 3):
        for offset in range(0, 9):
            begin = start + timedelta(days=offset)
            end = begin + timedelta(days=days)
            buckets = split_period(begin, end, interval)
            assert count_buckets(begin, end, interval) == len(buckets), (begin, end)
    assert count_buckets(start, start, interval) == 0


def test_the_default_period_is_twelve_months_through_today():
    assert default_period(date(2026, 11, 22)) == (date(2025, 12, 1), date(2026, 11, 23))
    assert default_period(date(2026, 12, 31)) == (date(2026, 1, 1), date(2027, 1, 1))
    start, end = default_period(date(2026, 3, 5))
    assert len(split_period(start, end, "month")) == 12
