"""The cases behind a KPI number: its population (the denominator), the ones counted (the numerator) or
the ones missing, for one group of the report. Only non-personal fields leave this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, select, tuple_

from analytics.kpis import KPI_BY_CODE
from analytics.services.complaint_kpis import period_bounds
from analytics.services.kpi_sql import FAMILIES, REPLIED, group_column, measure_conditions
from complaints.models import Case
from core.auth.models import Department
from core.db import UTCDateTime, db
from core.errors import InvalidInput

PARTS = ("all", "met", "unmet")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The moment each family's step was done (shown next to its deadline).
DONE_AT = {
    "decision": Case.decided_at,
    "sign": Case.signed_at,
    "contact": Case.contacted_at,
    "handling": Case.replied_at,
    "feedback": Case.feedback_at,
    "rating": Case.rated_at,
}


@dataclass(frozen=True)
class KpiCases:
    """A KPI's definition of its cases: family, extra population filter and the numerator's condition."""

    family: str
    population: ColumnElement[bool] | None
    counted: ColumnElement[bool] | None  # None: every case of the population counts (averages, sums)


def _kpi_cases(code: str) -> KpiCases:
    c = measure_conditions()
    table = {
        "acceptance_rate": KpiCases("decision", None, c["decision"]["done"]),
        "acceptance_on_time_rate": KpiCases("decision", None, c["decision"]["on_time"]),
        "sign_rate": KpiCases("sign", None, c["sign"]["done"]),
        "sign_on_time_rate": KpiCases("sign", None, c["sign"]["on_time"]),
        "response_rate": KpiCases("contact", None, c["contact"]["on_time"]),
        "completion_rate": KpiCases("handling", None, c["handling"]["done"]),
        "completion_on_time_rate": KpiCases("handling", None, c["handling"]["on_time"]),
        "feedback_rate": KpiCases("feedback", None, c["feedback"]["done"]),
        "callback_rate": KpiCases("feedback", REPLIED, c["feedback"]["callback_done"]),
        "satisfaction_rate": KpiCases("rating", None, c["rating"]["satisfied"]),
        "resolution_rate": KpiCases("rating", None, c["rating"]["resolved"]),
        "first_time_rate": KpiCases("handling", REPLIED, c["handling"]["first_time"]),
        "duplicate_rate": KpiCases("decision", None, c["decision"]["merged"]),
        "avg_handling_workdays": KpiCases("handling", and_(REPLIED, Case.accepted_at.is_not(None)), None),
        "loss_recovered": KpiCases("handling", REPLIED, Case.loss_recovered > 0),
    }
    if code not in table:
        raise InvalidInput("code", f"unknown KPI; one of {', '.join(KPI_BY_CODE)}")
    return table[code]


def make_cursor(due: datetime, case_id: int) -> str:
    """URL-safe text of a page's last (deadline, id): microseconds since the epoch and the id."""
    return f"{(due - EPOCH) // timedelta(microseconds=1)}.{case_id}"


def parse_cursor(after: str | None) -> tuple[datetime, int] | None:
    """The (deadline, id) a page continues after, from its `next_after` text (422 when malformed)."""
    if not after:
        return None
    micros, _, case_id = after.partition(".")
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(case_id)
    except (ValueError, OverflowError):
        raise InvalidInput("after", "use the next_after value of the previous page") from None


def list_kpi_cases(
    code: str,
    start: date,
    end: date,
    group_by: str = "none",
    key: str | None = None,
    part: str = "all",
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """One page of the cases behind KPI `code` for [start, end) and group `key`, by deadline then id."""
    if part not in PARTS:
        raise InvalidInput("part", f"must be one of {', '.join(PARTS)}")
    spec = _kpi_cases(code)
    family = FAMILIES[spec.family]
    lo, hi = period_bounds(start, end)
    column = group_column(group_by)
    conditions = [family.due >= lo, family.due < hi]
    if spec.population is not None:
        conditions.append(spec.population)
    if group_by != "none":
        if key in (None, ""):
            conditions.append(Case.department_id.is_(None) if group_by == "department" else column.is_(None))
        else:
            conditions.append(column == key)
    # CASE puts SQL's unknown (a comparison with a NULL timestamp) on the "not met" side, as the KPI does.
    met = case((spec.counted, 1), else_=0) if spec.counted is not None else literal(1)
    if part == "met":
        conditions.append(met == 1)
    elif part == "unmet":
        conditions.append(met == 0)
    if after is not None:
        cursor = tuple_(literal(after[0], UTCDateTime()), literal(after[1]))
        conditions.append(tuple_(family.due, Case.id) > cursor)
    query = (
        select(
            Case.id,
            Case.tracking_code,
            Case.kind,
            Case.channel,
            Case.hotline,
            Case.category_code,
            Case.region_code,
            Department.code.label("department_code"),
            Case.status,
            Case.received_at,
            family.due.label("due_at"),
            DONE_AT[spec.family].label("done_at"),
            met.label("met"),
            Case.rating,
            Case.handling_workdays,
            Case.loss_recovered,
        )
        .outerjoin(Department, Department.id == Case.department_id)
        .where(*conditions)
        .order_by(family.due, Case.id)
        .limit(limit)
    )
    rows = [dict(row._mapping) for row in db.session.execute(query)]
    for row in rows:
        row["met"] = bool(row["met"])
    return rows
