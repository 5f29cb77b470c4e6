"""Import bookkeeping: one row per import run and one per imported source record (idempotency)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class ImportBatch(db.Model):
    """One `flask complaints import` run that wrote cases (dry runs write nothing)."""

    __tablename__ = "case_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(8))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    on_invalid: Mapped[str] = mapped_column(String(8))
    rows_total: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    already_imported: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class ImportedCase(db.Model):
    """Source record -> case: (source, external_id) is unique, so a re-run skips what it already took."""

    __tablename__ = "imported_cases"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_imported_cases_source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("case_imports.id"))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # SHA-256 of the source row as read: a later export that changed the row is reported, not re-applied.
    row_hash: Mapped[str] = mapped_column(String(64))
    media_url: Mapped[str | None] = mapped_column(Text)
