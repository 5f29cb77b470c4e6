"""PersonalDataAccess: one row per full disclosure of a person's data to a staff member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import db, utcnow


class PersonalDataAccess(db.Model):
    """Append-only: who saw which fields of which subject (a case, a survey export), when and how.

    Kept apart from the case audit chain: viewing is not a step of the case, must not move its hash
    chain or the KPIs read from it, and also covers subjects that are not cases."""

    __tablename__ = "personal_data_access"
    __table_args__ = (Index("ix_personal_data_access_subject", "subject_type", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # the role then: roles can change later
    subject_type: Mapped[str] = mapped_column(String(16))  # "case" | "survey"
    subject: Mapped[str] = mapped_column(String(64))  # tracking code or survey slug
    fields: Mapped[list[str]] = mapped_column(JSON)  # e.g. ["complainant.name", "complainant.mobile"]
    purpose: Mapped[str] = mapped_column(String(64))  # the page or endpoint that showed them

    user: Mapped[User] = relationship(lazy="joined")
