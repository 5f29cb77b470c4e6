"""SLA engine: set-based marking of due-soon and overdue cases, the system's 督办 the day after a missed
deadline, and escalation to the supervisor when a case is still overdue some working days later.

Marks live in cases.sla_flag for the current deadline (next_due_at) and step NULL -> due_soon ->
overdue -> urged -> escalated; any change of the deadline resets the flag (Case.refresh_next_due), so
each deadline is urged and escalated at most once. Finding and marking the cases is set-based SQL
(chunked UPDATEs and SELECTs over the (sla_flag, next_due_at) index); urges and escalations then go
through the model methods and the audit chain case by case, in locked batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, not_, or_, select, text, update

from complaints.models import Case, SlaFlag
from complaints.services.audit import append_event
from complaints.services.notify import queue_staff_notice
from complaints.states import Kind, Status
from core.db import db, utcnow
from core.workdays import WorkCalendar, load_calendar

BATCH = 500
MARK_CHUNK = 5000
URGE_REASON = "超过办理时限，系统自动督办"
ESCALATE_REASON = "督办后仍超期，升级至主管"


@dataclass(frozen=True)
class MarkReport:
    """Rows each marking statement changed."""

    cleared: int
    due_soon: int
    overdue: int


def _calendar() -> WorkCalendar:
    return load_calendar(current_app.config["TIMEZONE"])


def local_midnight(calendar: WorkCalendar, day: date) -> datetime:
    """The first instant of `day` in the calendar's zone."""
    return datetime.combine(day, time(0), tzinfo=calendar.tz)


def due_soon_horizon(calendar: WorkCalendar, now: datetime, workdays: int) -> datetime:
    """Deadlines up to this instant are due soon: the end of the n-th working day after today (0: today)."""
    if workdays < 1:
        return calendar.end_of_day(calendar.local_date(now))
    return calendar.add_workdays(now, workdays)


def escalation_cutoff(calendar: WorkCalendar, now: datetime, workdays: int) -> datetime:
    """Deadlines before this instant have had `workdays` working days after their day and are escalated."""
    today = calendar.local_date(now)
    day, counted = today, 0
    for _ in range(3660):
        if counted >= workdays:
            return local_midnight(calendar, day + timedelta(days=1))
        counted += calendar.is_workday(day)
        day -= timedelta(days=1)
    raise ValueError(f"no {workdays} working days within ten years before {today}")


def _mark(where, flag: str | None) -> int:
    """Set the flag on every row matching `where`, in chunks of short transactions (a long UPDATE over a
    backlog would hold its row locks against the staff working those cases)."""
    marked = 0
    while True:
        if db.session.get_bind().dialect.name == "postgresql":
            # The planner takes "flag unset" and "deadline passed" as independent, expects a fifth of all
            # cases and picks a sequential scan; in truth almost none match. Keep it on the index.
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
        chunk = select(Case.id).where(where).limit(MARK_CHUNK)
        statement = (
            update(Case)
            .where(Case.id.in_(chunk.scalar_subquery()), where)
            # updated_at stays: a mark is derived from the deadline, not a change someone made.
            .values(sla_flag=flag, updated_at=Case.updated_at)
            .execution_options(synchronize_session=False)
        )
        count = db.session.execute(statement).rowcount
        db.session.commit()
        marked += count
        if count < MARK_CHUNK:
            return marked


def mark_deadlines(now: datetime | None = None) -> MarkReport:
    """Set-based: flag open cases whose deadline is near (due_soon) or past (overdue); clear stale flags."""
    now = now or utcnow()
    horizon = due_soon_horizon(_calendar(), now, current_app.config["SLA_DUE_SOON_WD"])
    late_flags = (SlaFlag.OVERDUE.value, SlaFlag.URGED.value, SlaFlag.ESCALATED.value)
    # Each branch names its flags, so all three are (flag, deadline) index ranges: no scan of old marks.
    cleared = _mark(
        or_(
            and_(Case.sla_flag.in_((SlaFlag.DUE_SOON.value, *late_flags)), Case.next_due_at.is_(None)),
            and_(Case.sla_flag == SlaFlag.DUE_SOON.value, Case.next_due_at > horizon),
            and_(Case.sla_flag.in_(late_flags), Case.next_due_at >= now),
        ),
        None,
    )
    due_soon = _mark(
        and_(Case.sla_flag.is_(None), Case.next_due_at >= now, Case.next_due_at <= horizon),
        SlaFlag.DUE_SOON.value,
    )
    # Two statements, not one with OR: each is then a single (flag, deadline) index range.
    overdue = _mark(and_(Case.sla_flag.is_(None), Case.next_due_at < now), SlaFlag.OVERDUE.value)
    overdue += _mark(
        and_(Case.sla_flag == SlaFlag.DUE_SOON.value, Case.next_due_at < now), SlaFlag.OVERDUE.value
    )
    return MarkReport(cleared, due_soon, overdue)


def responsible_party(case: Case) -> str:
    """Whose inbox an urge goes to: dispatch before assignment, the department while it handles, else
    the operators who owe the citizen feedback."""
    status = Status(case.status)
    if status in (Status.REGISTERED, Status.ACCEPTED):
        return "role:dispatcher"
    if status in (Status.ASSIGNED, Status.IN_PROGRESS) and case.department is not None:
        return f"department:{case.department.code}"
    return "role:operator"


# Normal complaints in mediation are not urged at their limit: the mediation job ends them instead.
_MEDIATION = and_(
    Case.kind == Kind.COMPLAINT.value, Case.status == Status.IN_PROGRESS.value, Case.priority == "normal"
)


def _locked_batch(where) -> list[Case]:
    """The next BATCH candidates, oldest deadline first, locked (rows another scan holds are skipped)."""
    # Ordered by the deadline alone, which the (sla_flag, next_due_at) index yields as it walks, so the
    # LIMIT stops the scan after BATCH rows. A tie-breaker on id is not in that index: PostgreSQL then
    # fetched and sorted every candidate for every batch (quadratic; ~1 s per batch with 78,000
    # overdue cases, bench/sla_bench.py). Ties are put in id order within the batch instead.
    batch = db.session.scalars(
        select(Case)
        .where(where)
        .order_by(Case.next_due_at)
        .limit(BATCH)
        .with_for_update(of=Case, skip_locked=True)
    )
    return sorted(batch, key=lambda case: (case.next_due_at, case.id))


def _stage_payload(case: Case, **extra: Any) -> dict[str, Any]:
    return {"stage": case.status, "due_at": case.next_due_at.isoformat(), "auto": True, **extra}


def urge_overdue(now: datetime | None = None) -> int:
    """One 督办 event (actor_role system) and one inbox notice per case whose deadline day has passed."""
    now = now or utcnow()
    calendar = _calendar()
    # "The day after the deadline": the deadline's local date is before today.
    today_start = local_midnight(calendar, calendar.local_date(now))
    where = and_(Case.sla_flag == SlaFlag.OVERDUE.value, Case.next_due_at < today_start, not_(_MEDIATION))
    urged = 0
    while batch := _locked_batch(where):
        for case in batch:
            case.mark_urged()
            payload = _stage_payload(case, urge_count=case.urge_count)
            append_event(case, "urge", case.status, None, "system", now, URGE_REASON, payload)
            queue_staff_notice(case, "sla_urge", responsible_party(case), _stage_payload(case))
        db.session.commit()
        urged += len(batch)
        if len(batch) < BATCH:
            break
    return urged


def escalate_overdue(now: datetime | None = None) -> int:
    """Tell the supervisors about urged cases still overdue SLA_ESCALATE_AFTER_WD working days later."""
    now = now or utcnow()
    after_wd = current_app.config["SLA_ESCALATE_AFTER_WD"]
    cutoff = escalation_cutoff(_calendar(), now, after_wd)
    where = and_(Case.sla_flag == SlaFlag.URGED.value, Case.next_due_at < cutoff)
    escalated = 0
    while batch := _locked_batch(where):
        for case in batch:
            case.mark_escalated(now)
            payload = _stage_payload(case, after_wd=after_wd)
            append_event(case, "escalate", case.status, None, "system", now, ESCALATE_REASON, payload)
            queue_staff_notice(case, "sla_escalation", "role:supervisor", payload)
        db.session.commit()
        escalated += len(batch)
        if len(batch) < BATCH:
            break
    return escalated


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """The SLA scan job's service: mark, then urge what is a day past its deadline."""
    now = now or utcnow()
    marks = mark_deadlines(now)
    return {
        "cleared": marks.cleared,
        "due_soon": marks.due_soon,
        "overdue": marks.overdue,
        "urged": urge_overdue(now),
    }
