"""Evaluate the indicator system for a period: component values, weights, composite value with its
propagated SE and CI, target status, trend over recent periods and the change from the period before.

Composite C = sum_j a_j v_j with weights a (sum 1); Var C = sum_j a_j^2 SE_j^2, the components taken
as independent (separate surveys and the complaint register; analytics.stats.composite_indicator).
CI: a one-component indicator keeps its component's interval (t for survey indices, Wilson for KPI
rates); a composite uses C -/+ 1.96 SE; both clipped to [0, 100]. Status, with "higher is better":
met when the CI lies at or above the target, not_met when it lies below, indistinguishable when it
covers the target; mirrored for "lower is better". A target at the end of the scale (100, or 0 when
lower is better) cannot be shown statistically, so there the point value decides (every case counts).
Weights: fixed as stored; AHP from the stored matrix (eigenvector, CR < 0.1); entropy from the
matrix of the components' values in the last ENTROPY_PERIODS periods ending with the evaluated one
(rows with a missing value left out, at least two needed), min-max normalised. The weights found for
the evaluated period are used for its trend and change too, so the values compare like with like.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics.models import ATTRIBUTES, Indicator
from analytics.services.indicator_admin import list_indicators
from analytics.services.indicator_trends import change_test, trend_test
from analytics.services.indicator_values import ComponentSource, ComponentValue
from analytics.services.periods import Period, recent_periods
from analytics.stats import StatsInputError, ahp_weights, composite_indicator, entropy_weights

ENTROPY_PERIODS = 6
STATUS_ZH = {"met": "达标", "not_met": "未达标", "indistinguishable": "与目标无显著差异", "no_data": "无数据"}


def indicator_weights(
    indicator: Indicator, period: Period, source: ComponentSource
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """The component weights for `period` and how they were found (None with a reason when impossible)."""
    if indicator.weighting == "fixed":
        return np.array([c.weight for c in indicator.components], dtype=float), {"method": "fixed"}
    if indicator.weighting == "ahp":
        result = ahp_weights(indicator.ahp_matrix)
        return result.weights, {"method": "ahp", "consistency_ratio": result.consistency_ratio}
    periods = recent_periods(period, ENTROPY_PERIODS)
    rows, used = [], []
    for p in periods:
        values = [source.value(c, p, indicator.survey_weighting).value for c in indicator.components]
        if all(v is not None for v in values):
            rows.append(values)
            used.append(p.label)
    info: dict[str, Any] = {"method": "entropy", "periods": used}
    if len(rows) < 2:
        return None, info | {
            "reason": f"entropy weights need two periods with every component, have {len(rows)}"
        }
    try:
        benefit = [indicator.direction == "higher"] * len(indicator.components)
        return entropy_weights(np.array(rows), benefit=benefit), info
    except StatsInputError as exc:
        return None, info | {"reason": f"entropy weights undefined: {exc}"}


def composite(values: list[ComponentValue], weights: np.ndarray) -> ComponentValue:
    """The weighted composite with propagated SE and its CI (see the module docstring)."""
    missing = [i for i, v in enumerate(values) if v.value is None]
    if missing:
        return ComponentValue(
            None, reason=f"components {', '.join(str(i + 1) for i in missing)} have no value"
        )
    if len(values) == 1:
        return values[0]
    result = composite_indicator([v.value for v in values], weights, se=[v.se for v in values])
    return ComponentValue(
        result.estimate, result.se, max(0.0, result.ci_low), min(100.0, result.ci_high), n=None
    )


def target_status(value: ComponentValue, target: float, direction: str) -> str:
    """met / not_met / indistinguishable / no_data (see the module docstring)."""
    if value.value is None:
        return "no_data"
    higher = direction == "higher"
    at_scale_end = (target >= 100.0) if higher else (target <= 0.0)
    if at_scale_end:
        return "met" if (value.value >= target if higher else value.value <= target) else "not_met"
    low, high = value.ci_low, value.ci_high
    if higher:
        return "met" if low >= target else "not_met" if high < target else "indistinguishable"
    return "met" if high <= target else "not_met" if low > target else "indistinguishable"


def _value_fields(value: ComponentValue) -> dict[str, Any]:
    return {
        "value": value.value,
        "se": value.se,
        "ci_low": value.ci_low,
        "ci_high": value.ci_high,
        "n": value.n,
        "reason": value.reason,
    }


def evaluate_indicator(
    indicator: Indicator, period: Period, trend_periods: int, source: ComponentSource
) -> dict[str, Any]:
    """One indicator in `period`: definition, components, composite, status, trend and change."""
    weights, weight_info = indicator_weights(indicator, period, source)
    window = recent_periods(period, trend_periods)
    series: list[tuple[Period, ComponentValue]] = []
    components: list[ComponentValue] = []
    for p in window:
        values = [source.value(c, p, indicator.survey_weighting) for c in indicator.components]
        if p == period:
            components = values
        if weights is None:
            series.append((p, ComponentValue(None, reason=weight_info["reason"])))
        else:
            series.append((p, composite(values, weights)))
    current, previous = series[-1][1], series[-2][1] if len(series) > 1 else ComponentValue(None)
    status = target_status(current, indicator.target, indicator.direction)
    return {
        "code": indicator.code,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "sector": indicator.sector,
        "unit": indicator.unit,
        "target": indicator.target,
        "direction": indicator.direction,
        "attribute": indicator.attribute,
        "attribute_zh": ATTRIBUTES[indicator.attribute],
        "period": period.label,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        **_value_fields(current),
        "status": status,
        "status_zh": STATUS_ZH[status],
        "weighting": weight_info,
        "components": [
            {
                **component.describe(),
                "weight_used": None if weights is None else float(weights[i]),
                "survey_weighting": value.weighting,
                **_value_fields(value),
            }
            for i, (component, value) in enumerate(zip(indicator.components, components, strict=True))
        ],
        "change": change_test(period.shifted(-1).label, current, previous),
        "trend": trend_test([(p.label, v) for p, v in series]),
    }


def evaluate_indicators(
    period: Period, trend_periods: int = 6, sector: str | None = None, code: str | None = None
) -> list[dict[str, Any]]:
    """Every (or the selected) indicator evaluated for `period`."""
    source = ComponentSource()
    return [evaluate_indicator(i, period, trend_periods, source) for i in list_indicators(sector, code)]
