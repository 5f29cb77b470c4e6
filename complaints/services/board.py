"""The supervisor board: where deadlines are slipping, which cases break a 100 % rule, what waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case

from complaints.models import Case, Rectification
from core.auth.models import Department
from core.db import db, utcnow

AT_RISK_WINDOW = timedelta(hours=24)
OPEN_WITH_DEADLINE = Case.next_due_at.is_not(None)
LIST_LIMIT = 50


@dataclass(frozen=True)
class DepartmentLoad:
    """Open cases with a deadline for one department (None = still at dispatch)."""

    department: str | None
    open: int
    overdue: int
    at_risk: int


@dataclass(frozen=True)
class Board:
    """Everything the supervisor board shows."""

    loads: list[DepartmentLoad]
    rule_breaks: dict[str, list[Case]]
    rule_break_counts: dict[str, int]
    pending_extensions: list[Case]
    open_rectifications: list[tuple[Rectification, Case]]


# The three 100 % rules and the cases currently breaking each (their stage deadline has passed).
def _rule_conditions(now):
    return {
        "acceptance": and_(Case.status == "registered", Case.acceptance_due_at < now),
        "handling": and_(
            Case.status.in_(("accepted", "assigned", "in_progress")), Case.handling_due_at < now
        ),
        "feedback": and_(
            Case.status.in_(("replied", "rejected", "transferred")),
            Case.feedback_at.is_(None),
            Case.feedback_due_at < now,
        ),
    }


def department_loads() -> list[DepartmentLoad]:
    """Open, overdue and at-risk (due within 24 h) counts per department, worst first."""
    now = utcnow()
    rows = db.session.execute(
        select(
            Department.name,
            func.count(),
            func.sum(sql_case((Case.next_due_at < now, 1), else_=0)),
            func.sum(
                sql_case((and_(Case.next_due_at >= now, Case.next_due_at < now + AT_RISK_WINDOW), 1), else_=0)
            ),
        )
        .select_from(Case)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(OPEN_WITH_DEADLINE)
        .group_by(Department.name)
    ).all()
    loads = [
        DepartmentLoad(name, total, int(overdue or 0), int(risk or 0)) for name, total, overdue, risk in rows
    ]
    return sorted(loads, key=lambda load: (-load.overdue, -load.at_risk, load.department or ""))


def build_board() -> Board:
    """Collect the board in a handful of indexed queries."""
    now = utcnow()
    breaks, counts = {}, {}
    for rule, condition in _rule_conditions(now).items():
        counts[rule] = db.session.scalar(select(func.count()).select_from(Case).where(condition)) or 0
        breaks[rule] = list(
            db.session.scalars(
                select(Case).where(condition).order_by(Case.next_due_at, Case.id).limit(LIST_LIMIT)
            )
        )
    pending = list(
        db.session.scalars(
            select(Case)
            .where(Case.pending_extension_days.is_not(None))
            .order_by(Case.handling_due_at)
            .limit(LIST_LIMIT)
        )
    )
    rectifications = list(
        db.session.execute(
            select(Rectification, Case)
            .join(Case, Case.id == Rectification.case_id)
            .where(Rectification.status == "open")
            .order_by(Rectification.due_at)
            .limit(LIST_LIMIT)
        ).tuples()
    )
    return Board(department_loads(), breaks, counts, pending, rectifications)
