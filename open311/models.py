"""Open311 tables: partner api keys, extra questions per service, what a POST carried, posted updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.models import Case
from core.db import db, utcnow

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


class ApiKey(db.Model):
    """A partner system's api_key; only its SHA-256 is stored (the key is shown once, at creation)."""

    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(100), index=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ServiceAttribute(db.Model):
    """An extra question (GeoReport v2 attribute) a category asks of Open311 clients."""

    __tablename__ = "open311_service_attributes"
    __table_args__ = (UniqueConstraint("category_code", "code", name="uq_open311_service_attributes_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    variable: Mapped[bool] = mapped_column(default=True)
    datatype: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(default=False)
    datatype_description: Mapped[str | None] = mapped_column(String(200))
    order: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    # [{"key": "...", "name": "..."}] for the list datatypes.
    values: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceChange(db.Model):
    """An edit of a service's questions; the newest one is the discovery document's changeset."""

    __tablename__ = "open311_service_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Open311Request(db.Model):
    """What an Open311 POST carried beyond the case itself: the key, the token and the raw extras."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_api_keys.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address_id: Mapped[str | None] = mapped_column(String(64))
    media_url: Mapped[str | None] = mapped_column(Text)
    # Identifiers of the submitter's device and account in the partner's system: staff only.
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    api_key: Mapped[ApiKey] = relationship(lazy="joined")
    case: Mapped[Case] = relationship(lazy="joined")


class Open311Update(db.Model):
    """An update a partner posted (mySociety servicerequestupdates); its client update_id makes it
    idempotent: posting the same one again returns the first answer."""

    __tablename__ = "open311_updates"
    __table_args__ = (UniqueConstraint("client", "client_update_id", name="uq_open311_updates_client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    client_update_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"))
    media_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
