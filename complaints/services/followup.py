"""After the reply: the feedback watchdog, the call-back (回访) invitation and overdue rectification tasks."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from complaints.models import Case, Notification, Policy, Rectification
from complaints.services.audit import append_event
from complaints.services.notify import queue_notice, queue_staff_notice
from complaints.services.sla import BATCH
from complaints.states import Status
from core.db import db, utcnow

# The notice that carries the result of each stage to the citizen; once delivered, the citizen knows.
RESULT_NOTICES = {
    Status.REPLIED: ("replied", "mediation_terminated"),
    Status.REJECTED: ("rejected",),
    Status.TRANSFERRED: ("transferred",),
}
FEEDBACK_NOTE = "结果通知已送达（系统记录）"


def _stage_start(status: Status):
    return Case.replied_at if status is Status.REPLIED else Case.decided_at


def record_delivered_feedback(now: datetime | None = None) -> int:
    """Feedback watchdog: a replied/rejected/transferred case without feedback whose result notice was
    delivered by SMS or e-mail gets that delivery recorded as its feedback (system, in the audit chain).
    Cases whose notice could not be delivered stay open and are urged by the SLA scan at their feedback
    deadline, so an operator calls the citizen."""
    now = now or utcnow()
    recorded = 0
    for status, templates in RESULT_NOTICES.items():
        pairs = db.session.execute(
            select(Case.id, Notification.id)
            .join(Notification, Notification.case_id == Case.id)
            .where(
                Case.status == status.value,
                Case.feedback_at.is_(None),
                Notification.template.in_(templates),
                Notification.status == "sent",
                Notification.channel.in_(("sms", "email")),
                Notification.created_at >= _stage_start(status),
            )
            .order_by(Case.id, Notification.sent_at)
        ).all()
        first_notice: dict[int, int] = {}
        for case_id, notice_id in pairs:
            first_notice.setdefault(case_id, notice_id)
        case_ids = list(first_notice)
        for start in range(0, len(case_ids), BATCH):
            cases = db.session.scalars(
                select(Case)
                .where(Case.id.in_(case_ids[start : start + BATCH]), Case.status == status.value)
                .where(Case.feedback_at.is_(None))
                .with_for_update(of=Case, skip_locked=True)
            ).all()
            for case in cases:
                notice = db.session.get(Notification, first_notice[case.id])
                case.record_feedback(notice.sent_at, notice.channel, FEEDBACK_NOTE)
                payload = {
                    "channel": notice.channel,
                    "notice_id": notice.id,
                    "delivered_at": notice.sent_at.isoformat(),
                }
                append_event(case, "feedback", status.value, None, "system", now, FEEDBACK_NOTE, payload)
            db.session.commit()
            recorded += len(cases)
    return recorded


# The surveys package registers a `(case, now) -> link | None` that makes a single-use call-back survey
# invitation (complaints must not import surveys); without it, or when it returns None, the tracking link.
CALLBACK_INVITER_KEY = "qualityline.callback_inviter"


def invite_to_callback(case: Case, now: datetime) -> Notification | None:
    """Invite the citizen to rate the latest reply (回访): a call-back survey link when the surveys package
    offers one, else the public tracking/rating link."""
    inviter = current_app.extensions.get(CALLBACK_INVITER_KEY)
    link = inviter(case, now) if inviter is not None else None
    if link is None:
        # The tracking page asks for the code (in the notice) and the access key, then offers the rating.
        link = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/track"
    case.callback_invited_at = now
    return queue_notice(case, "callback_invitation", {"link": link})


def send_callback_invitations(now: datetime | None = None) -> int:
    """Invite once per reply, callback_delay_hours (per policy) after it, unless already rated; replies older
    than CALLBACK_MAX_AGE_DAYS are left alone (no surveys about last year's case after an outage)."""
    now = now or utcnow()
    max_age = timedelta(days=current_app.config["CALLBACK_MAX_AGE_DAYS"])
    invited = 0
    for version, rules in db.session.execute(select(Policy.version, Policy.rules)).all():
        due_before = now - timedelta(hours=rules["callback_delay_hours"])
        where = and_(
            Case.policy_version == version,
            Case.replied_at <= due_before,
            Case.replied_at > due_before - max_age,
            Case.status.in_((Status.REPLIED.value, Status.CLOSED.value)),
            or_(Case.callback_invited_at.is_(None), Case.callback_invited_at < Case.replied_at),
            or_(Case.rated_at.is_(None), Case.rated_at < Case.replied_at),
        )
        while batch := list(
            db.session.scalars(
                select(Case)
                .where(where)
                .order_by(Case.id)
                .limit(BATCH)
                .with_for_update(of=Case, skip_locked=True)
            )
        ):
            for case in batch:
                invite_to_callback(case, now)
            db.session.commit()
            invited += len(batch)
            if len(batch) < BATCH:
                break
    return invited


def flag_overdue_rectifications(now: datetime | None = None) -> int:
    """Open rectification tasks past their report-back deadline: flag once, tell supervisor and department."""
    now = now or utcnow()
    tasks = db.session.scalars(
        select(Rectification)
        .where(Rectification.status == "open", Rectification.overdue_at.is_(None), Rectification.due_at < now)
        .order_by(Rectification.due_at)
        .with_for_update(skip_locked=True)
    ).all()
    for task in tasks:
        task.mark_overdue(now)
        case = db.session.get(Case, task.case_id)
        params = {"due_at": task.due_at.isoformat(), "rating": task.rating}
        queue_staff_notice(case, "rectification_overdue", "role:supervisor", params)
        if case.department is not None:
            queue_staff_notice(case, "rectification_overdue", f"department:{case.department.code}", params)
    db.session.commit()
    return len(tasks)
