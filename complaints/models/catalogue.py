"""Reference tables: the category catalogue, versioned deadline policies and routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import Department
from core.db import db, utcnow


class Category(db.Model):
    """A node of the complaint category tree (China Consumers Association goods/services + public)."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    is_active: Mapped[bool] = mapped_column(default=True)


class Policy(db.Model):
    """A version of the deadline and rating rules; every case records the version it is judged under."""

    __tablename__ = "policies"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    effective_from: Mapped[datetime]
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(db.Model):
    """Category prefix (+ optional region) -> department; the most specific match wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_prefix: Mapped[str] = mapped_column(String(16), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    priority: Mapped[int] = mapped_column(default=0)

    department: Mapped[Department] = relationship(lazy="joined")
