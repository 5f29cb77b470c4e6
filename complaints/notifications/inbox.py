"""The in-app inbox: staff notices addressed to a role or a department."""

from __future__ import annotations

from sqlalchemy import select

from complaints.models import Notification
from core.auth.models import User
from core.db import db


def recipients_for(user: User) -> list[str]:
    """The in-app addresses a staff member reads: their role and, if any, their department."""
    addresses = [f"role:{user.role}"]
    if user.department is not None:
        addresses.append(f"department:{user.department.code}")
    return addresses


def list_inbox(user: User, limit: int = 50) -> list[Notification]:
    """The newest delivered in-app notices for the user."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.channel == "in_app",
                Notification.status == "sent",
                Notification.recipient.in_(recipients_for(user)),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )
