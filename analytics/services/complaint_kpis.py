"""Complaint KPIs for a period, grouped by a dimension (see analytics.kpis for the definitions).

Two sources give the same numbers (a test holds them equal on random data):
- raw: one GROUP BY per family over `cases` (analytics.services.kpi_sql), and the average handling time
  recounted in Python with the statutory calendar, an independent check on the stored working days;
- rollup: sums over the days of the period in kpi_due_daily (analytics.services.kpi_rollups), which is
  what the dashboard reads at millions of cases.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import func, select

from analytics.kpis import KPIS
from analytics.services import kpi_rollups
from analytics.services.kpi_sql import (
    FAMILIES,
    count_where,
    group_column,
    handling_sums,
    measure_conditions,
)
from complaints.models import Case
from core.auth.models import Department
from core.db import db
from core.errors import InvalidInput
from core.workdays import load_calendar

Counts = dict[str, Any]
Tallies = dict[str, dict[str | None, Counts]]
INTERVALS = ("day", "week", "month", "quarter", "year")
SOURCES = ("raw", "rollup")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The local-midnight instants of [start, end); 422 unless start < end."""
    if start >= end:
        raise InvalidInput("to", "must be after from")
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(0), tzinfo=tz)


def _raw_tallies(group_by: str, lo: datetime, hi: datetime) -> Tallies:
    key = group_column(group_by).label("key")
    conditions = measure_conditions()
    tallies: Tallies = {}
    for name, family in FAMILIES.items():
        measures: dict[str, Any] = {"n": func.count(Case.id)}
        measures.update({counter: count_where(cond) for counter, cond in conditions[name].items()})
        if name == "handling":
            measures.update(handling_sums())
        query = (
            select(key, *(m.label(k) for k, m in measures.items()))
            .select_from(Case)
            .outerjoin(Department, Department.id == Case.department_id)
            .where(family.due >= lo, family.due < hi)
            .group_by(key)
        )
        tallies[name] = {row.key: dict(row._mapping) for row in db.session.execute(query)}
    return tallies


def _raw_workdays(group_by: str, lo: datetime, hi: datetime) -> dict[str | None, tuple[int, int]]:
    """key -> (sum, count) of working days from acceptance to reply, counted on the calendar here."""
    key = group_column(group_by).label("key")
    rows = db.session.execute(
        select(key, Case.accepted_at, Case.replied_at)
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(
            Case.handling_due_at >= lo,
            Case.handling_due_at < hi,
            Case.replied_at.is_not(None),
            Case.accepted_at.is_not(None),
        )
    )
    calendar = load_calendar(current_app.config["TIMEZONE"])
    days: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        days[row.key][0] += calendar.workdays_between(row.accepted_at, row.replied_at)
        days[row.key][1] += 1
    return {k: (v[0], v[1]) for k, v in days.items()}


def _rate(numerator: int, n: int) -> float | None:
    return None if not n else round(numerator / n, 6)


def _kpi_values(t: dict[str, Counts], workdays: tuple[int, int]) -> dict[str, tuple[int, Any]]:
    """code -> (denominator, value) from one group's family counters."""
    d, s, c, h = t["decision"], t["sign"], t["contact"], t["handling"]
    f, r = t["feedback"], t["rating"]
    days_sum, days_n = workdays
    return {
        "acceptance_rate": (d["n"], _rate(d["done"], d["n"])),
        "acceptance_on_time_rate": (d["n"], _rate(d["on_time"], d["n"])),
        "sign_rate": (s["n"], _rate(s["done"], s["n"])),
        "sign_on_time_rate": (s["n"], _rate(s["on_time"], s["n"])),
        "response_rate": (c["n"], _rate(c["on_time"], c["n"])),
        "completion_rate": (h["n"], _rate(h["done"], h["n"])),
        "completion_on_time_rate": (h["n"], _rate(h["on_time"], h["n"])),
        "feedback_rate": (f["n"], _rate(f["done"], f["n"])),
        "callback_rate": (f["callback_due"], _rate(f["callback_done"], f["callback_due"])),
        "satisfaction_rate": (r["n"], _rate(r["satisfied"], r["n"])),
        "resolution_rate": (r["n"], _rate(r["resolved"], r["n"])),
        "first_time_rate": (h["done"], _rate(h["first_time"], h["done"])),
        "duplicate_rate": (d["n"], _rate(d["merged"], d["n"])),
        "avg_handling_workdays": (days_n, round(days_sum / days_n, 2) if days_n else None),
        "loss_recovered": (h["done"], Decimal(h["loss_recovered"] or 0).quantize(Decimal("0.01"))),
    }


def _assemble(group_by: str, tallies: Tallies, workdays: dict[str | None, tuple[int, int]]) -> list[dict]:
    keys = set().union(*tallies.values())
    if group_by == "none":
        keys.add("all")  # an empty period still answers with one row of n = 0
    empty: Counts = defaultdict(int)
    result = []
    for key in sorted(keys, key=lambda k: (k is None, k or "")):
        values = _kpi_values(
            {name: t.get(key, empty) for name, t in tallies.items()}, workdays.get(key, (0, 0))
        )
        result.append(
            {"key": key, "kpis": {k.code: {"n": values[k.code][0], "value": values[k.code][1]} for k in KPIS}}
        )
    return result


def compute_complaint_kpis(
    start: date, end: date, group_by: str = "none", source: str = "raw"
) -> list[dict[str, Any]]:
    """Every KPI of analytics.kpis for [start, end) per group: [{"key", "kpis": {code: {n, value}}}]."""
    lo, hi = period_bounds(start, end)
    if source == "rollup":
        tallies = kpi_rollups.read_rollup_tallies(start, end, group_by)
        handling = tallies["handling"]
        workdays = {k: (v["handling_days_sum"], v["handling_days_n"]) for k, v in handling.items()}
    else:
        tallies = _raw_tallies(group_by, lo, hi)
        workdays = _raw_workdays(group_by, lo, hi)
    return _assemble(group_by, tallies, workdays)


def split_periods(start: date, end: date, interval: str) -> list[tuple[date, date]]:
    """[start, end) cut at day / ISO week / month / quarter / year boundaries (ends may be partial)."""
    if start >= end:
        raise InvalidInput("to", "must be after from")
    if interval == "day":
        step_start = start
    elif interval == "week":
        step_start = start - timedelta(days=start.weekday())
    elif interval == "month":
        step_start = start.replace(day=1)
    elif interval == "quarter":
        step_start = start.replace(month=(start.month - 1) // 3 * 3 + 1, day=1)
    elif interval == "year":
        step_start = start.replace(month=1, day=1)
    else:
        raise InvalidInput("interval", f"must be one of {', '.join(INTERVALS)}")
    step = {
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "quarter": relativedelta(months=3),
        "year": relativedelta(years=1),
    }[interval]
    periods, current = [], step_start
    while current < end:
        following = current + step
        periods.append((max(current, start), min(following, end)))
        current = following
    if len(periods) > 800:
        raise InvalidInput("interval", "too many periods: choose a longer interval or a shorter range")
    return periods


def compute_kpi_series(
    start: date, end: date, interval: str, group_by: str = "none", source: str = "raw"
) -> list[dict[str, Any]]:
    """The KPI report per period of `interval`: [{"from", "to", "groups": [...]}] (trend lines)."""
    return [
        {"from": lo, "to": hi, "groups": compute_complaint_kpis(lo, hi, group_by, source)}
        for lo, hi in split_periods(start, end, interval)
    ]
