"""The complaint KPIs as SQL: each family of KPIs shares one population (the cases whose deadline for that
step falls in the period) and counts its numerators with the expressions below.

One place for the expressions keeps the three users in step: the raw KPI report, the rollup tables built
from the same GROUP BY, and the drill-down to the cases behind a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, and_, case, cast, false, func, literal, or_, select

from analytics.kpis import GROUP_BY
from complaints.models import Case, Policy
from core.auth.models import Department
from core.db import db
from core.errors import InvalidInput


@dataclass(frozen=True)
class Family:
    """A population: cases whose `due` column falls in the period."""

    name: str
    due: ColumnElement


FAMILIES: dict[str, Family] = {
    "decision": Family("decision", Case.acceptance_due_at),
    "sign": Family("sign", Case.sign_due_at),
    "contact": Family("contact", Case.contact_due_at),
    "handling": Family("handling", Case.handling_due_at),
    "feedback": Family("feedback", Case.feedback_due_at),
    # Ratings have no deadline: the rating KPIs count the cases rated in the period.
    "rating": Family("rating", Case.rated_at),
}

REPLIED = Case.replied_at.is_not(None)


def satisfied_condition() -> ColumnElement[bool]:
    """rating in the satisfied_ratings of the case's own policy version (one OR branch per version)."""
    branches = [
        and_(Case.policy_version == version, Case.rating.in_(rules.get("satisfied_ratings", [])))
        for version, rules in db.session.execute(select(Policy.version, Policy.rules))
    ]
    return or_(*branches) if branches else false()


def measure_conditions() -> dict[str, dict[str, ColumnElement[bool]]]:
    """family -> {counter: condition}; each counter counts the family's cases meeting its condition."""
    return {
        "decision": {
            "done": Case.decided_at.is_not(None),
            "on_time": Case.decided_at <= Case.acceptance_due_at,
            # merged is a decision too (DESIGN.md lifecycle), so duplicates share this population.
            "merged": Case.duplicate_of_id.is_not(None),
        },
        "sign": {"done": Case.signed_at.is_not(None), "on_time": Case.signed_at <= Case.sign_due_at},
        "contact": {
            "done": Case.contacted_at.is_not(None),
            "on_time": Case.contacted_at <= Case.contact_due_at,
        },
        "handling": {
            "done": REPLIED,
            # handling_due_at is the deadline in force: approve_extension and reopen move it.
            "on_time": Case.replied_at <= Case.handling_due_at,
            "first_time": and_(
                REPLIED, Case.return_count == 0, Case.reopen_count == 0, Case.extended_days == 0
            ),
        },
        "feedback": {
            "done": Case.feedback_at.is_not(None),
            # 回访: of the replied cases owing feedback, those whose citizen gave a rating.
            "callback_due": REPLIED,
            "callback_done": and_(REPLIED, Case.rated_at.is_not(None)),
        },
        "rating": {"satisfied": satisfied_condition(), "resolved": Case.rated_resolved.is_(True)},
    }


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SUM(CASE ...) rather than COUNT(*) FILTER: the same SQL on SQLite and PostgreSQL."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def handling_sums() -> dict[str, ColumnElement]:
    """Sums of the handling family that are not counts: loss recovered and handling working days."""
    return {
        "loss_recovered": func.coalesce(func.sum(case((REPLIED, Case.loss_recovered), else_=None)), 0),
        "handling_days_sum": func.coalesce(func.sum(case((REPLIED, Case.handling_workdays), else_=None)), 0),
        "handling_days_n": count_where(and_(REPLIED, Case.handling_workdays.is_not(None))),
    }


def group_column(group_by: str) -> ColumnElement:
    """The column a KPI report groups by (422 for an unknown dimension)."""
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


def local_day(column: ColumnElement, tz_name: str) -> ColumnElement[date]:
    """The local calendar day of a UTC timestamp column, computed by the database."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone(tz_name, column), Date)
    # SQLite has no time zones; the offset of the zone now is right for zones without DST (Asia/Shanghai).
    offset = datetime.combine(date.today(), time(12)).astimezone(ZoneInfo(tz_name)).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return func.date(column, f"{hours:+d} hours")
