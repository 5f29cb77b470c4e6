"""Reporting periods of the indicator system: a year 'YYYY', a quarter 'YYYY-Qn' or a month 'YYYY-MM',
each the local days [start, end), with the period before it and runs of recent periods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from core.errors import InvalidInput

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")
KINDS = ("year", "quarter", "month")


@dataclass(frozen=True)
class Period:
    """A calendar period of local days [start, end)."""

    kind: str  # year, quarter, month
    year: int
    number: int  # quarter 1-4 or month 1-12; 1 for a year

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def months(self) -> int:
        return {"year": 12, "quarter": 3, "month": 1}[self.kind]

    @property
    def start(self) -> date:
        first_month = (
            1 if self.kind == "year" else (self.number - 1) * 3 + 1 if self.kind == "quarter" else self.number
        )
        return date(self.year, first_month, 1)

    @property
    def end(self) -> date:
        month0 = self.start.month - 1 + self.months
        return date(self.year + month0 // 12, month0 % 12 + 1, 1)

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods later (earlier when negative)."""
        per_year = 12 // self.months
        index = self.year * per_year + (self.number - 1) + steps
        return Period(self.kind, index // per_year, index % per_year + 1)


def parse_period(text: str) -> Period:
    """'2026', '2026-Q3' or '2026-09'; 422 on anything else."""
    match = _PATTERN.match(text or "")
    if match is None:
        raise InvalidInput("period", "use YYYY, YYYY-Qn or YYYY-MM")
    year = int(match["year"])
    if match["quarter"]:
        return Period("quarter", year, int(match["quarter"]))
    if match["month"]:
        return Period("month", year, int(match["month"]))
    return Period("year", year, 1)


def recent_periods(period: Period, count: int) -> list[Period]:
    """The `count` periods ending with `period`, oldest first."""
    return [period.shifted(step) for step in range(1 - count, 1)]


def current_period(now: datetime, kind: str = "month") -> Period:
    """The local calendar period holding `now`."""
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    if kind == "year":
        return Period("year", today.year, 1)
    if kind == "quarter":
        return Period("quarter", today.year, (today.month - 1) // 3 + 1)
    return Period("month", today.year, today.month)


def period_of_day(day: date, kind: str) -> str:
    """The label of the month or quarter a local day belongs to (for group_by=month|quarter)."""
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def period_of(day: date, kind: str) -> Period:
    """The calendar period of `kind` holding the local day `day`."""
    if kind == "year":
        return Period("year", day.year, 1)
    if kind == "quarter":
        return Period("quarter", day.year, (day.month - 1) // 3 + 1)
    return Period("month", day.year, day.month)


def covering_period(start: date, end: date) -> Period:
    """The calendar period a range of local days [start, end) is evaluated as: the latest month lying
    wholly inside it, or the year or quarter ending with that month when the range holds it whole (year
    first); a range holding no whole month gives the month of its last day (a part of it)."""
    last_day = date.fromordinal(end.toordinal() - 1)
    month = period_of(last_day, "month")
    if month.end > end:
        month = month.shifted(-1)
    if month.start < start:
        return period_of(last_day, "month")
    for kind in ("year", "quarter"):
        period = period_of(month.start, kind)
        if period.end == month.end and period.start >= start:
            return period
    return month
