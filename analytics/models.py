"""The service-quality indicator system: admin-defined indicators, each a weighted combination of survey
indices and complaint KPIs with a target (docs/indicators.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from surveys.models import Survey

ATTRIBUTES = {"binding": "约束性", "expected": "预期性"}
DIRECTIONS = ("higher", "lower")
WEIGHTINGS = ("fixed", "ahp", "entropy")
UNITS = {"index": "分", "percent": "%"}
SOURCES = ("survey_index", "complaint_kpi")


class Indicator(db.Model):
    """One indicator: its target, attribute (binding 约束性 / expected 预期性) and how components combine."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    sector: Mapped[str | None] = mapped_column(String(24))
    unit: Mapped[str] = mapped_column(String(8), default="index")
    target: Mapped[float]
    direction: Mapped[str] = mapped_column(String(8), default="higher")
    attribute: Mapped[str] = mapped_column(String(8))
    weighting: Mapped[str] = mapped_column(String(8))
    # Saaty pairwise comparisons of the components (rows and columns in component order), AHP only.
    ahp_matrix: Mapped[list[list[float]] | None] = mapped_column(JSON)
    # How survey components are weighted where the survey defines population margins.
    survey_weighting: Mapped[str] = mapped_column(String(16), default="raking")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    components: Mapped[list[IndicatorComponent]] = relationship(
        back_populates="indicator",
        order_by="IndicatorComponent.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class IndicatorComponent(db.Model):
    """A survey index (survey + construct or indicator code) or a complaint KPI rate, on 0-100."""

    __tablename__ = "indicator_components"
    __table_args__ = (
        UniqueConstraint("indicator_id", "position", name="uq_indicator_components_indicator_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), index=True)
    position: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"), index=True)
    # survey_index: a construct or an indicator code of the survey; complaint_kpi: an analytics.kpis code.
    code: Mapped[str] = mapped_column(String(32))
    # complaint_kpi: only the cases of this hotline (12315, 12345 ...); None = every hotline.
    hotline: Mapped[str | None] = mapped_column(String(8))
    weight: Mapped[float | None]  # fixed weighting only
    # Lower-is-better components enter as 100 - value.
    reverse: Mapped[bool] = mapped_column(Boolean, default=False)

    indicator: Mapped[Indicator] = relationship(back_populates="components")
    survey: Mapped[Survey | None] = relationship(lazy="joined")

    def describe(self) -> dict[str, Any]:
        """The component as the API shows it."""
        return {
            "source": self.source,
            "survey": self.survey.slug if self.survey is not None else None,
            "code": self.code,
            "hotline": self.hotline,
            "weight": self.weight,
            "reverse": self.reverse,
        }
