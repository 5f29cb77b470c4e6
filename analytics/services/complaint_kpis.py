"""Complaint KPIs for a period, grouped by a dimension, by set-based SQL on `cases` (see analytics.kpis).

Each family of KPIs shares one population (the cases whose deadline for that step is in the period), so
one GROUP BY query per family counts its denominator and numerators. Only the average handling time in
working days needs the statutory calendar, which SQL does not know: it reads two timestamps per replied
case of the period (not all cases) and counts working days with core.workdays.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, select

from analytics.kpis import GROUP_BY, KPIS
from complaints.models import Case, Policy
from core.auth.models import Department
from core.db import db
from core.errors import InvalidInput
from core.workdays import load_calendar

Counts = dict[str, Any]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The local-midnight instants of [start, end); 422 unless start < end."""
    if start >= end:
        raise InvalidInput("to", "must be after from")
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(0), tzinfo=tz)


def _group_column(group_by: str) -> ColumnElement:
    if group_by not in GROUP_BY:
        raise InvalidInput("group_by", f"must be one of {', '.join(GROUP_BY)}")
    return {
        "none": literal("all"),
        "department": Department.code,
        "region": Case.region_code,
        "category": Case.category_code,
        "channel": Case.channel,
        "hotline": Case.hotline,
        "kind": Case.kind,
    }[group_by]


def _count(condition: ColumnElement) -> ColumnElement:
    # SUM(CASE ...) rather than COUNT(*) FILTER: the same SQL on SQLite and PostgreSQL.
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def satisfied_condition() -> ColumnElement:
    """rating in the satisfied_ratings of the case's own policy version (one OR branch per version)."""
    branches = [
        and_(Case.policy_version == version, Case.rating.in_(rules.get("satisfied_ratings", [])))
        for version, rules in db.session.execute(select(Policy.version, Policy.rules))
    ]
    return or_(*branches) if branches else false()


def _tally(
    group_by: str, due: Any, start: datetime, end: datetime, measures: dict[str, ColumnElement]
) -> dict[str | None, Counts]:
    """{group key: {"n": cases with `due` in [start, end), measure: value}} in one query."""
    key = _group_column(group_by).label("key")
    query = (
        select(key, func.count(Case.id).label("n"), *(m.label(name) for name, m in measures.items()))
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(due >= start, due < end)
        .group_by(key)
    )
    return {row.key: dict(row._mapping) for row in db.session.execute(query)}


def _handling_workdays(group_by: str, start: datetime, end: datetime) -> dict[str | None, list[int]]:
    key = _group_column(group_by).label("key")
    rows = db.session.execute(
        select(key, Case.accepted_at, Case.replied_at)
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(
            Case.handling_due_at >= start,
            Case.handling_due_at < end,
            Case.replied_at.is_not(None),
            Case.accepted_at.is_not(None),
        )
    )
    calendar = load_calendar(current_app.config["TIMEZONE"])
    days: dict[str | None, list[int]] = defaultdict(list)
    for row in rows:
        days[row.key].append(calendar.workdays_between(row.accepted_at, row.replied_at))
    return days


def _rate(numerator: int, n: int) -> float | None:
    return None if n == 0 else round(numerator / n, 6)


def compute_complaint_kpis(start: date, end: date, group_by: str = "none") -> list[dict[str, Any]]:
    """Every KPI of analytics.kpis for [start, end) per group: [{"key", "kpis": {code: {n, value}}}]."""
    lo, hi = period_bounds(start, end)
    replied = Case.replied_at.is_not(None)
    decision = _tally(
        group_by,
        Case.acceptance_due_at,
        lo,
        hi,
        {
            "decided": _count(Case.decided_at.is_not(None)),
            "decided_on_time": _count(Case.decided_at <= Case.acceptance_due_at),
            # merged is a decision too (DESIGN.md lifecycle), so duplicates share this population.
            "merged": _count(Case.duplicate_of_id.is_not(None)),
        },
    )
    sign = _tally(
        group_by,
        Case.sign_due_at,
        lo,
        hi,
        {
            "signed": _count(Case.signed_at.is_not(None)),
            "signed_on_time": _count(Case.signed_at <= Case.sign_due_at),
        },
    )
    handling = _tally(
        group_by,
        Case.handling_due_at,
        lo,
        hi,
        {
            "replied": _count(replied),
            # handling_due_at is the deadline in force: approve_extension and reopen move it.
            "replied_on_time": _count(Case.replied_at <= Case.handling_due_at),
            "first_time": _count(
                and_(replied, Case.return_count == 0, Case.reopen_count == 0, Case.extended_days == 0)
            ),
            "loss": func.coalesce(func.sum(case((replied, Case.loss_recovered), else_=None)), 0),
        },
    )
    feedback = _tally(
        group_by, Case.feedback_due_at, lo, hi, {"fed_back": _count(Case.feedback_at.is_not(None))}
    )
    ratings = _tally(
        group_by,
        Case.rated_at,
        lo,
        hi,
        {"satisfied": _count(satisfied_condition()), "resolved": _count(Case.rated_resolved.is_(True))},
    )
    workdays = _handling_workdays(group_by, lo, hi)

    keys = set(decision) | set(sign) | set(handling) | set(feedback) | set(ratings)
    if group_by == "none":
        keys.add("all")  # an empty period still answers with one row of n = 0
    empty: Counts = defaultdict(int)
    result = []
    for key in sorted(keys, key=lambda k: (k is None, k or "")):
        d, s, h = decision.get(key, empty), sign.get(key, empty), handling.get(key, empty)
        f, r, w = feedback.get(key, empty), ratings.get(key, empty), workdays.get(key, [])
        values: dict[str, tuple[int, Any]] = {
            "acceptance_rate": (d["n"], _rate(d["decided"], d["n"])),
            "acceptance_on_time_rate": (d["n"], _rate(d["decided_on_time"], d["n"])),
            "sign_rate": (s["n"], _rate(s["signed"], s["n"])),
            "sign_on_time_rate": (s["n"], _rate(s["signed_on_time"], s["n"])),
            "completion_rate": (h["n"], _rate(h["replied"], h["n"])),
            "completion_on_time_rate": (h["n"], _rate(h["replied_on_time"], h["n"])),
            "feedback_rate": (f["n"], _rate(f["fed_back"], f["n"])),
            "satisfaction_rate": (r["n"], _rate(r["satisfied"], r["n"])),
            "resolution_rate": (r["n"], _rate(r["resolved"], r["n"])),
            "first_time_rate": (h["replied"], _rate(h["first_time"], h["replied"])),
            "duplicate_rate": (d["n"], _rate(d["merged"], d["n"])),
            "avg_handling_workdays": (len(w), round(sum(w) / len(w), 2) if w else None),
            "loss_recovered": (h["replied"], Decimal(h["loss"] or 0).quantize(Decimal("0.01"))),
        }
        result.append(
            {
                "key": key,
                "kpis": {kpi.code: {"n": values[kpi.code][0], "value": values[kpi.code][1]} for kpi in KPIS},
            }
        )
    return result
