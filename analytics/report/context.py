"""What every report section works with: the chapter it returns, the report's period with the numbers
several chapters share, and rendering a template fragment outside a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from flask import current_app
from markupsafe import Markup

from analytics.services import complaint_kpis, ledger, volumes
from analytics.services.trend_buckets import Bucket, split_period


@dataclass
class Section:
    """One numbered chapter of the report."""

    key: str
    title: str
    body: Markup


@dataclass
class ReportContext:
    """The report's year and cut-off, and the numbers several sections share (computed once)."""

    year: int
    start: date
    end: date  # exclusive: 1 January of the next year, or the day after the report date
    as_of: datetime

    @property
    def complete(self) -> bool:
        return self.end == date(self.year + 1, 1, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @cached_property
    def totals(self) -> dict[str, dict[str, Any]]:
        return complaint_kpis.compute_complaint_kpis(self.start, self.end, "none")[0]["kpis"]

    @cached_property
    def months(self) -> list[tuple[Bucket, dict[str, dict[str, Any]], int]]:
        """(month, KPIs of the cases due that month, cases received that month)."""
        return [
            (
                bucket,
                complaint_kpis.compute_complaint_kpis(bucket.start, bucket.end, "none")[0]["kpis"],
                sum(volumes.count_received(bucket.start, bucket.end, "kind").values()),
            )
            for bucket in split_period(self.start, self.end, "month")
        ]

    @cached_property
    def breaches(self) -> list[ledger.Breach]:
        return ledger.list_breaches(self.start, self.end, self.as_of)


def render_fragment(template: str, **values: Any) -> Markup:
    """A report template rendered on its own (no request: the report is written by a command)."""
    return Markup(current_app.jinja_env.get_template(template).render(**values))
