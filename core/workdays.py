"""Statutory working-day calendar: chinese-calendar plus local overrides stored in the database.

chinese-calendar knows the State Council's holiday and make-up-day schedule for the years it ships;
beyond them we fall back to weekends plus the fixed-date statutory holidays, and admins enter the
official schedule as overrides (the State Council publishes it each November).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db

log = logging.getLogger(__name__)

# Fixed Gregorian statutory holidays (国务院《全国年节及纪念日放假办法》, 2025 revision).
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
# Longest span we walk when adding working days; a larger request is a bug, not a deadline.
_MAX_CALENDAR_DAYS = 3660
# The dates clients may send (API and forms): a wide margin around the years the service works in, and
# far from datetime's limits (0001-01-01 at local midnight is before year 1 in UTC: an OverflowError).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
FIRST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)
# Day 0 of the cumulative working-day counts (chinese-calendar starts in 2004).
_COUNT_BASE = date(2003, 12, 31)


class CalendarOverride(db.Model):
    """A local correction: this date is (or is not) a working day whatever the national calendar says."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


@cache
def _warn_uncovered(year: int) -> None:
    log.warning("chinese-calendar has no schedule for %s; using weekends + fixed holidays", year)


# The national schedule is data shipped with chinese-calendar, so a day's answer never changes while the
# process runs; memoised because deadline arithmetic asks about the same days over and over (bulk
# imports walk ~50 days per case, the SLA scan every open case's deadline).
@cache
def national_is_workday(day: date) -> bool:
    """Working day by the national schedule (fallback rule outside chinese-calendar's years)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_uncovered(day.year)
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


# Cumulative national working-day counts from _COUNT_BASE (index 0 = the base day), grown on demand and
# shared by every calendar of the process: building them costs ~0.3 s per 20 years, once.
_NATIONAL_COUNTS: list[int] = [0]
_COUNTS_LOCK = threading.Lock()


def _national_number(day: date) -> int:
    """National working days after _COUNT_BASE up to and including `day`."""
    index = (day - _COUNT_BASE).days
    if index < 0:
        raise ValueError(f"{day} is before {_COUNT_BASE}")
    if index >= len(_NATIONAL_COUNTS):
        with _COUNTS_LOCK:  # web workers' threads may grow it at once
            current = _COUNT_BASE + timedelta(days=len(_NATIONAL_COUNTS) - 1)
            while len(_NATIONAL_COUNTS) <= index:
                current += timedelta(days=1)
                _NATIONAL_COUNTS.append(_NATIONAL_COUNTS[-1] + national_is_workday(current))
    return _NATIONAL_COUNTS[index]


@dataclass(frozen=True)
class WorkCalendar:
    """The working-day calendar in force: national schedule + overrides, in one local time zone."""

    tz: ZoneInfo
    overrides: dict[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        """True if `day` is a working day."""
        override = self.overrides.get(day)
        return national_is_workday(day) if override is None else override

    def local_date(self, moment: datetime) -> date:
        """The calendar date of `moment` in the local zone."""
        return moment.astimezone(self.tz).date()

    def nth_workday_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (day 1 = the first working day after it)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        current, found = day, 0
        for _ in range(_MAX_CALENDAR_DAYS):
            current += timedelta(days=1)
            if self.is_workday(current):
                found += 1
                if found == n:
                    return current
        raise ValueError(f"no {n} working days within ten years of {day}")

    def end_of_day(self, day: date) -> datetime:
        """The last second of `day` in the local zone, as an aware datetime."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)

    def add_workdays(self, start: datetime, n: int) -> datetime:
        """Deadline n working days after `start`: the end of the n-th working day after its date."""
        return self.end_of_day(self.nth_workday_after(self.local_date(start), n))

    def extend_deadline(self, deadline: datetime, n: int) -> datetime:
        """Move a deadline by n further working days."""
        return self.add_workdays(deadline, n)

    def workday_number(self, day: date) -> int:
        """Working days from _COUNT_BASE (exclusive) up to and including `day`: differences of two of
        these count the working days between dates in O(1), for statistics over millions of cases.
        The national counts are shared by the process; this calendar's few overrides correct them."""
        number = _national_number(day)
        for override, is_workday in self.overrides.items():
            if _COUNT_BASE < override <= day:
                number += int(is_workday) - int(national_is_workday(override))
        return number

    def workdays_between(self, start: datetime, end: datetime) -> int:
        """Working days after start's date up to and including end's date (0 if end is not later)."""
        first, last = self.local_date(start), self.local_date(end)
        return self.workday_number(last) - self.workday_number(first) if last > first else 0


def load_calendar(tz_name: str) -> WorkCalendar:
    """Build the calendar with the overrides stored in the database."""
    rows = db.session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
    return WorkCalendar(tz=ZoneInfo(tz_name), overrides={day: flag for day, flag in rows})
