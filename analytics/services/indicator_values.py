"""Values of indicator components for a period, on 0-100 with their standard error and 95 % CI.

Survey index: the construct's (or indicator code's) index from analytics.services.survey_indices, with
its design-based SE and t interval, weighted by the indicator's survey_weighting where the survey
defines population margins (unweighted otherwise); a suppressed small cell has no value.
Complaint KPI rate p of n cases: 100 p with the binomial SE 100 sqrt(p (1 - p) / n) and the Wilson
interval (which stays inside 0-100 and is honest near 100 %). A reversed component is 100 - value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from analytics.models import IndicatorComponent
from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.services.indicator_admin import is_construct
from analytics.services.periods import Period
from analytics.services.survey_indices import compute_survey_index
from analytics.services.survey_weighting import WeightingError, margins_of
from analytics.stats import wilson_interval


@dataclass(frozen=True)
class ComponentValue:
    """A component in one period: value on 0-100 (None with a reason when there is none)."""

    value: float | None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str | None = None
    weighting: str | None = None  # survey components: the weighting used

    def reversed(self) -> ComponentValue:
        """100 - value (a lower-is-better component turned higher-is-better)."""
        if self.value is None:
            return self
        return ComponentValue(
            100.0 - self.value,
            self.se,
            100.0 - self.ci_high,
            100.0 - self.ci_low,
            self.n,
            None,
            self.weighting,
        )


class ComponentSource:
    """Computes component values, caching survey reports and KPI tables across indicators and periods."""

    def __init__(self) -> None:
        self._surveys: dict[tuple, Any] = {}
        self._kpis: dict[tuple, list[dict[str, Any]]] = {}

    def value(self, component: IndicatorComponent, period: Period, survey_weighting: str) -> ComponentValue:
        """The component's value in `period`."""
        if component.source == "survey_index":
            found = self._survey_value(component, period.start, period.end, survey_weighting)
        else:
            found = self._kpi_value(component, period.start, period.end)
        return found.reversed() if component.reverse else found

    def _survey_report(self, slug: str, start: date, end: date, weighting: str) -> dict[str, Any] | str:
        key = (slug, start, end, weighting)
        if key not in self._surveys:
            try:
                self._surveys[key] = compute_survey_index(slug, start, end, weighting=weighting)
            except WeightingError as exc:
                self._surveys[key] = f"survey weighting failed: {exc.errors['weighting'][0]}"
        return self._surveys[key]

    def _survey_value(
        self, component: IndicatorComponent, start: date, end: date, wanted: str
    ) -> ComponentValue:
        survey = component.survey
        published = survey.published
        weighting = wanted if published is not None and margins_of(published.definition) else "none"
        report = self._survey_report(survey.slug, start, end, weighting)
        if isinstance(report, str):
            return ComponentValue(None, reason=report, weighting=weighting)
        kind = "construct" if is_construct(component.code) else "indicator"
        rows = report["groups"][0]["indices"] if report["groups"] else []
        row = next((r for r in rows if r["kind"] == kind and r["code"] == component.code), None)
        if row is None:
            return ComponentValue(None, n=0, reason="no survey responses in the period", weighting=weighting)
        if row["suppressed"]:
            return ComponentValue(None, n=row["n"], reason=row["reason"], weighting=weighting)
        return ComponentValue(
            row["estimate"], row["se"], row["ci_low"], row["ci_high"], row["n"], weighting=weighting
        )

    def _kpi_value(self, component: IndicatorComponent, start: date, end: date) -> ComponentValue:
        group_by = "hotline" if component.hotline else "none"
        key = (start, end, group_by)
        if key not in self._kpis:
            self._kpis[key] = compute_complaint_kpis(start, end, group_by)
        wanted = component.hotline or "all"
        group = next((g for g in self._kpis[key] if g["key"] == wanted), None)
        number = group["kpis"][component.code] if group is not None else {"n": 0, "value": None}
        if number["value"] is None:
            return ComponentValue(
                None, n=number["n"], reason="no cases in this KPI's population in the period"
            )
        p, n = float(number["value"]), int(number["n"])
        se = math.sqrt(p * (1.0 - p) / n)
        low, high = wilson_interval(p, se, n, 0.95, None)
        return ComponentValue(100.0 * p, 100.0 * se, 100.0 * low, 100.0 * high, n)
