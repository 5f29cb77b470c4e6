"""Rows that hang off a case: audit events, outbox notifications, rectification tasks, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class CaseEvent(db.Model):
    """Append-only audit record of one action; `hash` chains it to the case's previous event."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # The hash covers sha256(reason_salt + reason), not the free text itself, so the retention job can
    # erase the text (and the salt) and the chain still verifies (complaints/services/audit.py).
    reason_salt: Mapped[str | None] = mapped_column(String(32))
    reason_digest: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Notification(db.Model):
    """Outbox row written in the state change's transaction; a scheduler job delivers it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template: Mapped[str] = mapped_column(String(48))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(254))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Template language (zh-CN, en); None = QUALITYLINE_NOTICE_LOCALE at delivery time.
    locale: Mapped[str | None] = mapped_column(String(8))


class Rectification(db.Model):
    """整改 task opened by a dissatisfied rating; reported back when the case is replied again."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")
    reported_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]

    def mark_overdue(self, at: datetime) -> None:
        """The report-back deadline passed while the task was still open (flagged once)."""
        if self.status != "open" or self.overdue_at is not None:
            raise ValueError("only an open task not yet flagged can become overdue")
        self.overdue_at = at


class IdempotencyKey(db.Model):
    """Maps a client's Idempotency-Key to the case its first submission created."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
