"""Case volumes: cases received in a period, counted by kind, channel, hotline or department."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from analytics.services.complaint_kpis import period_bounds
from complaints.models import Case
from core.auth.models import Department
from core.db import db

DIMENSIONS = {
    "kind": Case.kind,
    "channel": Case.channel,
    "hotline": Case.hotline,
    "department": Department.code,
}


def count_received(start: date, end: date, by: str) -> dict[str | None, int]:
    """{key: cases received in [start, end)} by one of DIMENSIONS, largest first."""
    lo, hi = period_bounds(start, end)
    key = DIMENSIONS[by].label("key")
    rows = db.session.execute(
        select(key, func.count(Case.id).label("n"))
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(Case.received_at >= lo, Case.received_at < hi)
        .group_by(key)
    )
    return dict(sorted(((row.key, row.n) for row in rows), key=lambda item: (-item[1], item[0] or "")))
