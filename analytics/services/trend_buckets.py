"""Trend buckets and report periods in local days: [start, end) cut into months or ISO weeks; years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from core.db import utcnow

INTERVALS = ("month", "week")


@dataclass(frozen=True)
class Bucket:
    """One point of a trend: its label and its local days [start, end)."""

    label: str
    start: date
    end: date


def local_today() -> date:
    """Today in the app's time zone."""
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def split_period(start: date, end: date, interval: str) -> list[Bucket]:
    """[start, end) cut at month starts or Mondays; the first and last bucket may be partial."""
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    buckets = []
    day = start
    while day < end:
        if interval == "month":
            cut, label = _next_month(day), f"{day.year}-{day.month:02d}"
        else:
            year, week, weekday = day.isocalendar()
            cut, label = day + timedelta(days=8 - weekday), f"{year}-W{week:02d}"
        buckets.append(Bucket(label, day, min(cut, end)))
        day = cut
    return buckets


def count_buckets(start: date, end: date, interval: str) -> int:
    """How many points split_period would give, without building them."""
    if start >= end:
        return 0
    if interval == "month":
        return (end.year - start.year) * 12 + end.month - start.month + (1 if end.day > 1 else 0)
    first_monday = start - timedelta(days=start.weekday())
    return (end - first_monday).days // 7 + (1 if (end - first_monday).days % 7 else 0)


def default_period(today: date) -> tuple[date, date]:
    """The dashboard's default: the current month and the eleven before it, up to and including today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today + timedelta(days=1)


def year_period(year: int, today: date) -> tuple[date, date]:
    """[1 January, next 1 January) of `year`, cut after today while the year is still running.

    Cases due after today have not had their chance yet, so counting them would understate every rate.
    """
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return start, min(end, max(start + timedelta(days=1), today + timedelta(days=1)))
