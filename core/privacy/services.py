"""Record a disclosure of personal data and read the log back (API and CLI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.auth.models import User
from core.db import db, utcnow
from core.privacy.models import PersonalDataAccess

SUBJECT_TYPES = ("case", "survey")


def record_access(
    actor: User, subject_type: str, subject: str, fields: Sequence[str], purpose: str
) -> PersonalDataAccess:
    """Write (and commit) one access row: `actor` was shown `fields` of `subject` by `purpose`."""
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"unknown subject type {subject_type!r}")
    row = PersonalDataAccess(
        at=utcnow(),
        user_id=actor.id,
        role=actor.role,
        subject_type=subject_type,
        subject=subject,
        fields=list(fields),
        purpose=purpose[:64],
    )
    db.session.add(row)
    db.session.commit()
    return row


@dataclass(frozen=True)
class AccessPage:
    """Newest first; pass next_after back as `after` for the next page (None on the last)."""

    items: list[PersonalDataAccess]
    next_after: int | None


def list_access(
    *,
    subject_type: str | None = None,
    subject: str | None = None,
    username: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    after: int | None = None,
    limit: int = 100,
) -> AccessPage:
    """The access rows matching every filter given, newest first ([start, end) on the access time)."""
    query = select(PersonalDataAccess)
    if subject_type:
        query = query.where(PersonalDataAccess.subject_type == subject_type)
    if subject:
        query = query.where(PersonalDataAccess.subject == subject)
    if username:
        query = query.join(User, User.id == PersonalDataAccess.user_id).where(User.username == username)
    if start:
        query = query.where(PersonalDataAccess.at >= start)
    if end:
        query = query.where(PersonalDataAccess.at < end)
    if after:
        query = query.where(PersonalDataAccess.id < after)
    rows = list(db.session.scalars(query.order_by(PersonalDataAccess.id.desc()).limit(limit + 1)))
    items = rows[:limit]
    return AccessPage(items, items[-1].id if len(rows) > limit else None)
