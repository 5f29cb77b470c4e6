"""Mediation termination: a normal complaint still in mediation the day after its handling deadline is
closed with outcome "unresolved" (SAMR Order 20: no agreement within the limit ends the mediation), and
the complainant is told so; the department sees it in its inbox."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import and_, select

from complaints.models import Case
from complaints.policy import DeadlineRules
from complaints.services.audit import append_event
from complaints.services.catalogue import deadline_rules
from complaints.services.notify import queue_notice, queue_staff_notice
from complaints.services.sla import BATCH, local_midnight
from complaints.states import Kind, Outcome, Status
from core.db import db, utcnow
from core.workdays import load_calendar

TERMINATION_REPLY = (
    "自受理之日起在调解期限内双方未能达成调解协议，依法终止调解。投诉人可依法申请仲裁或向人民法院提起诉讼。"
)
TERMINATION_REASON = "调解期限届满，终止调解"


def terminate_expired_mediations(now: datetime | None = None) -> int:
    """End the mediation of every normal complaint whose handling deadline day has passed; returns count."""
    now = now or utcnow()
    calendar = load_calendar(current_app.config["TIMEZONE"])
    today_start = local_midnight(calendar, calendar.local_date(now))
    where = and_(
        Case.kind == Kind.COMPLAINT.value,
        Case.status == Status.IN_PROGRESS.value,
        Case.priority == "normal",
        Case.handling_due_at < today_start,
    )
    rules: dict[int, DeadlineRules] = {}
    ended = 0
    while batch := list(
        db.session.scalars(
            select(Case)
            .where(where)
            .order_by(Case.handling_due_at, Case.id)
            .limit(BATCH)
            .with_for_update(of=Case, skip_locked=True)
        )
    ):
        for case in batch:
            policy = rules.setdefault(case.policy_version, deadline_rules(case.policy_version))
            limit = case.handling_due_at.isoformat()
            case.record_reply(
                now,
                Outcome.UNRESOLVED.value,
                TERMINATION_REPLY,
                None,
                policy.feedback_due(now),
                policy.handling_workdays(case.accepted_at, now),
            )
            payload = {
                "outcome": Outcome.UNRESOLVED.value,
                "loss_recovered": None,
                "mediation_terminated": True,
                "handling_due_at": limit,
            }
            append_event(
                case, "reply", Status.IN_PROGRESS.value, None, "system", now, TERMINATION_REASON, payload
            )
            queue_notice(case, "mediation_terminated", {"handling_due_at": limit})
            if case.department is not None:
                queue_staff_notice(
                    case,
                    "mediation_terminated_staff",
                    f"department:{case.department.code}",
                    {"handling_due_at": limit},
                )
        db.session.commit()
        ended += len(batch)
        if len(batch) < BATCH:
            break
    return ended
