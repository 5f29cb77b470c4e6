"""The statutory working-day calendar."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.workdays import WorkCalendar, national_is_workday

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar(tz=SHANGHAI)


def test_national_day_2026_is_skipped_and_make_up_saturday_counts():
    # Received Wed 30 Sep 2026; 1-7 Oct are holidays, Sat 10 Oct is a make-up working day.
    received = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)
    assert CAL.nth_workday_after(received.date(), 1) == date(2026, 10, 8)
    assert CAL.nth_workday_after(received.date(), 3) == date(2026, 10, 10)
    assert CAL.nth_workday_after(received.date(), 4) == date(2026, 10, 12)  # Sunday 11 Oct skipped
    due = CAL.add_workdays(received, 3)
    assert due == datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)


def test_seven_working_days_across_mid_autumn_and_national_day():
    # Fri 25 Sep 2026 is Mid-Autumn; Sun 20 Sep is a make-up day (before the start, so irrelevant).
    received = datetime(2026, 9, 24, 9, 0, tzinfo=SHANGHAI)
    # Day 1..7: 28, 29, 30 Sep, 8, 9, 10 Oct (Sat make-up), 12 Oct.
    assert CAL.add_workdays(received, 7).date() == date(2026, 10, 12)


def test_day_one_is_the_first_working_day_after_receipt_even_on_a_weekend():
    received = datetime(2026, 11, 21, 10, 0, tzinfo=SHANGHAI)  # Saturday
    assert CAL.add_workdays(received, 1).date() == date(2026, 11, 23)


def test_receipt_late_at_night_utc_counts_by_local_date():
    # 17:30 UTC on Thu 19 Nov is 01:30 Fri 20 Nov in Shanghai: day 1 is Mon 23 Nov.
    received = datetime(2026, 11, 19, 17, 30, tzinfo=UTC)
    assert CAL.add_workdays(received, 1).date() == date(2026, 11, 23)


def test_overrides_win_over_the_national_calendar():
    cal = WorkCalendar(tz=SHANGHAI, overrides={date(2026, 11, 23): False, date(2026, 11, 22): True})
    received = datetime(2026, 11, 21, 10, 0, tzinfo=SHANGHAI)
    assert cal.nth_workday_after(received.date(), 1) == date(2026, 11, 22)
    assert cal.nth_workday_after(received.date(), 2) == date(2026, 11, 24)


def test_years_beyond_the_library_fall_back_to_weekends_and_fixed_holidays():
    assert national_is_workday(date(2030, 10, 2)) is False  # National Day
    assert national_is_workday(date(2030, 1, 1)) is False
    assert national_is_workday(date(2030, 1, 2)) is True  # Wednesday
    assert national_is_workday(date(2030, 1, 5)) is False  # Saturday


def test_workdays_between_counts_working_days_only():
    start = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    end = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)
    assert CAL.workdays_between(start, end) == 4  # 8, 9, 10 (make-up), 12 Oct
    assert CAL.workdays_between(end, start) == 0


def test_nonpositive_counts_are_refused():
    with pytest.raises(ValueError):
        CAL.nth_workday_after(date(2026, 1, 5), 0)


def test_workdays_between_equals_a_day_by_day_count_over_random_spans():
    """The O(1) count (differences of cumulative numbers) equals walking the days one by one."""
    calendar = WorkCalendar(SHANGHAI, overrides={date(2026, 11, 2): False, date(2026, 11, 8): True})

    def walked(start, end):
        first, last = calendar.local_date(start), calendar.local_date(end)
        count = 0
        while first < last:
            first += timedelta(days=1)
            count += calendar.is_workday(first)
        return count

    rng = random.Random(5)
    for _ in range(2000):
        start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 800))
        end = start + timedelta(hours=rng.randint(-200, 24 * 120))
        assert calendar.workdays_between(start, end) == walked(start, end)
    with pytest.raises(ValueError):
        calendar.workday_number(date(2000, 1, 1))
