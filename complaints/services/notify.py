"""Queue citizen notices in the outbox, inside the caller's transaction (delivered by the scheduler)."""

from __future__ import annotations

from typing import Any

from complaints.models import Case, Notification
from core.db import db


def queue_notice(case: Case, template: str, params: dict[str, Any] | None = None) -> Notification | None:
    """Add an outbox row for the case's complainant: SMS to the mobile, else e-mail; None if unreachable."""
    if case.complainant_mobile:
        channel, recipient = "sms", case.complainant_mobile
    elif case.complainant_email:
        channel, recipient = "email", case.complainant_email
    else:
        return None
    notice = Notification(
        case_id=case.id,
        template=template,
        channel=channel,
        recipient=recipient,
        params={"tracking_code": case.tracking_code, **(params or {})},
    )
    db.session.add(notice)
    return notice


def queue_staff_notice(
    case: Case, template: str, recipient: str, params: dict[str, Any] | None = None
) -> Notification:
    """Add an in-app outbox row for staff; `recipient` is "role:<role>" or "department:<code>"."""
    notice = Notification(
        case_id=case.id,
        template=template,
        channel="in_app",
        recipient=recipient,
        params={"tracking_code": case.tracking_code, **(params or {})},
    )
    db.session.add(notice)
    return notice
