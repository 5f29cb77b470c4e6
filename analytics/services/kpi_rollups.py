"""KPI rollups by deadline day (kpi_due_daily): built from `cases` with the same SQL as the raw report.

A rebuild runs, per family, one GROUP BY over the cases into a temporary table of fine cells (day x every
dimension), then derives each dimension's rows from those cells, so the big table is scanned once per
family whatever the number of dimensions. The nightly job rebuilds everything (a deadline can move a case
to another day, and a late reply changes a day long past, so there is no cheap "dirty" set to trust);
`flask analytics rollup` runs it on demand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    update,
)

from analytics.kpis import GROUP_BY
from analytics.services.kpi_sql import FAMILIES, count_where, handling_sums, local_day, measure_conditions
from complaints.models import Case, KpiDueDaily
from core.auth.models import Department
from core.db import db, utcnow
from core.workdays import load_calendar

COUNTERS = (
    "n",
    "done",
    "on_time",
    "merged",
    "first_time",
    "callback_due",
    "callback_done",
    "satisfied",
    "resolved",
    "handling_days_sum",
    "handling_days_n",
    "loss_recovered",
)
# Dimension -> the fine-cell column holding its key.
CELL_KEYS = {
    "none": None,
    "department": "department_code",
    "region": "region_code",
    "category": "category_code",
    "channel": "channel",
    "hotline": "hotline",
    "kind": "kind",
}

_cells_metadata = MetaData()
CELLS = Table(
    "tmp_kpi_cells",
    _cells_metadata,
    Column("family", String(12)),
    Column("day", Date),
    Column("department_code", String(32)),
    Column("region_code", String(6)),
    Column("category_code", String(16)),
    Column("channel", String(16)),
    Column("hotline", String(5)),
    Column("kind", String(16)),
    *(Column(name, Numeric(16, 2) if name == "loss_recovered" else Integer) for name in COUNTERS),
    prefixes=["TEMPORARY"],
)


DAYS = Table(
    "tmp_workday_numbers",
    _cells_metadata,
    Column("day", Date, primary_key=True),
    Column("number", Integer),
    prefixes=["TEMPORARY"],
)


def fill_handling_workdays() -> int:
    """Set handling_workdays on replied cases without it (rows older than the column, bulk imports).

    Set-based: a temporary table numbers every local day by the working days up to it (from the
    statutory calendar in Python), and one UPDATE takes the difference of the reply's and the
    acceptance's numbers, the same count as WorkCalendar.workdays_between.
    """
    tz_name = current_app.config["TIMEZONE"]
    missing = and_(Case.replied_at.is_not(None), Case.handling_workdays.is_(None))
    span = db.session.execute(
        select(func.min(Case.accepted_at), func.max(Case.replied_at)).where(missing)
    ).one()
    if span[1] is None:
        return 0
    calendar = load_calendar(tz_name)
    first = calendar.local_date(span[0] or span[1])
    last = calendar.local_date(span[1])
    connection = db.session.connection()
    DAYS.drop(connection, checkfirst=True)
    DAYS.create(connection)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    db.session.execute(insert(DAYS), [{"day": d, "number": calendar.workday_number(d)} for d in days])

    def number(column):
        return select(DAYS.c.number).where(DAYS.c.day == local_day(column, tz_name)).scalar_subquery()

    difference = number(Case.replied_at) - number(Case.accepted_at)
    filled = db.session.execute(
        update(Case)
        .where(missing)
        .values(
            handling_workdays=case((Case.accepted_at.is_(None), 0), (difference < 0, 0), else_=difference),
            # A derived figure filled in is not a change to the case: keep its updated_at.
            updated_at=Case.updated_at,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    DAYS.drop(connection)
    return filled


def _fill_cells(tz_name: str) -> None:
    conditions = measure_conditions()
    dims = [
        Department.code.label("department_code"),
        Case.region_code,
        Case.category_code,
        Case.channel,
        Case.hotline,
        Case.kind,
    ]
    for name, family in FAMILIES.items():
        day = local_day(family.due, tz_name).label("day")
        measures: dict[str, Any] = {"n": func.count(Case.id)}
        measures.update({counter: count_where(cond) for counter, cond in conditions[name].items()})
        if name == "handling":
            measures.update(handling_sums())
        query = (
            select(literal(name).label("family"), day, *dims, *(m.label(k) for k, m in measures.items()))
            .select_from(Case)
            .outerjoin(Department, Department.id == Case.department_id)
            .where(family.due.is_not(None))
            .group_by(day, *dims)
        )
        columns = ["family", "day", *(d.name for d in dims), *measures]
        db.session.execute(insert(CELLS).from_select(columns, query))


def rebuild_kpi_rollups() -> int:
    """Rebuild kpi_due_daily from the cases in one transaction; returns the rows written."""
    fill_handling_workdays()
    connection = db.session.connection()
    CELLS.drop(connection, checkfirst=True)
    CELLS.create(connection)
    _fill_cells(current_app.config["TIMEZONE"])
    db.session.execute(delete(KpiDueDaily))
    built_at = utcnow()
    # A family's cells leave the other families' counters NULL: those sum to 0.
    sums = [func.coalesce(func.sum(CELLS.c[name]), 0).label(name) for name in COUNTERS]
    for dimension, key_column in CELL_KEYS.items():
        key = literal("all") if key_column is None else func.coalesce(CELLS.c[key_column], "")
        key = key.label("key")
        query = select(
            CELLS.c.family,
            CELLS.c.day,
            literal(dimension).label("dimension"),
            key,
            *sums,
            literal(built_at, KpiDueDaily.built_at.type).label("built_at"),
        ).group_by(CELLS.c.family, CELLS.c.day, key)
        db.session.execute(
            insert(KpiDueDaily).from_select(
                ["family", "day", "dimension", "key", *COUNTERS, "built_at"], query
            )
        )
    CELLS.drop(connection)
    written = db.session.scalar(select(func.count()).select_from(KpiDueDaily)) or 0
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, or the planner guesses a handful of rows and picks a slow plan for the dashboard.
        db.session.execute(text("ANALYZE kpi_due_daily"))
        db.session.commit()
    return written


def rollups_built_at() -> datetime | None:
    """When the rollups were last rebuilt (None: never)."""
    return db.session.scalar(select(func.max(KpiDueDaily.built_at)))


def read_rollup_tallies(start: date, end: date, group_by: str) -> dict[str, dict[str, dict[str, Any]]]:
    """family -> {key: counters} summed over the days [start, end) from kpi_due_daily."""
    if group_by not in GROUP_BY:
        raise ValueError(group_by)
    rows = db.session.execute(
        select(
            KpiDueDaily.family,
            KpiDueDaily.key,
            *(func.sum(getattr(KpiDueDaily, name)).label(name) for name in COUNTERS),
        )
        .where(KpiDueDaily.dimension == group_by, KpiDueDaily.day >= start, KpiDueDaily.day < end)
        .group_by(KpiDueDaily.family, KpiDueDaily.key)
    )
    tallies: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FAMILIES}
    for row in rows:
        values = dict(row._mapping)
        family, key = values.pop("family"), values.pop("key")
        tallies[family][None if group_by == "department" and key == "" else key] = values
    return tallies
