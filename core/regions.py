"""GB/T 2260 administrative divisions (the region catalogue every case and department points at)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class Region(db.Model):
    """One administrative division, identified by its six-digit GB/T 2260 code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]  # 1 province, 2 prefecture city, 3 district/county
