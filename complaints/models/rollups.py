"""Daily KPI rollup rows: counts per local day x department x category x region x channel."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class KpiDaily(db.Model):
    """What happened on one local day to the cases of one cell, counted from the audit events.

    No foreign keys: this is a derived aggregate, rebuilt day by day by complaints.services.rollups.
    """

    __tablename__ = "kpi_daily"
    __table_args__ = (Index("ix_kpi_daily_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    department_id: Mapped[int | None]
    category_code: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(6))
    channel: Mapped[str] = mapped_column(String(16))

    registered: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    decided_on_time: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    transferred: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    replied: Mapped[int] = mapped_column(default=0)
    replied_on_time: Mapped[int] = mapped_column(default=0)
    feedback: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    urged: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    loss_recovered: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class KpiDueDaily(db.Model):
    """KPI counters of the cases due on one local day, per dimension value (analytics.services.kpi_rollups).

    One row per family (the step whose deadline falls on `day`), day, dimension (none, department, region,
    category, channel, hotline, kind) and key; a period's KPIs are sums over its days, so the dashboard reads
    a few thousand rows instead of millions of cases. Derived data: rebuilt from `cases`, never edited.
    """

    __tablename__ = "kpi_due_daily"
    __table_args__ = (Index("ix_kpi_due_daily_dimension_day", "dimension", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(12))
    day: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(32))  # "" = no department yet
    n: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    first_time: Mapped[int] = mapped_column(default=0)
    callback_due: Mapped[int] = mapped_column(default=0)
    callback_done: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    handling_days_sum: Mapped[int] = mapped_column(default=0)
    handling_days_n: Mapped[int] = mapped_column(default=0)
    loss_recovered: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal("0.00"))
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
