"""0-100 survey indices per construct and per indicator code, overall or by group, with SE, 95 % CI, n,
Kish effective n, design effect and response rate; small cells suppressed.

A respondent's score for a construct (or indicator code) is the mean of the items they answered, each
on 0-100 (analytics.services.survey_data); respondents who answered none of its items are outside
its domain. The index is the weighted mean of those scores (analytics.stats.construct_index on one
0-100 column, equal item weights), its SE the linearised design-based SE (calibration residuals after
post-stratification or raking; each respondent its own PSU), the CI a t interval (df = n - 1) clipped
to [0, 100]. effective_n and deff are Kish's, from the weights of the cell: n_eff = (sum w)^2 / sum w^2,
deff = n / n_eff (1 unweighted). A cell with fewer than QUALITYLINE_ANALYTICS_MIN_CELL respondents is
suppressed: no estimate, only n and the reason. Groups are estimated as domains of the whole sample
(weights are built once for the period).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from flask import current_app

from analytics.services.periods import period_of_day
from analytics.services.response_rates import response_rates
from analytics.services.survey_data import CONSTRUCT_NAMES, SurveySample, load_sample
from analytics.services.survey_weighting import Weighted, weight_sample
from analytics.stats import Suppressed, construct_index, design_effect, kish_effective_n, target_test
from core.errors import InvalidInput

# group_by values and their Chinese column headers ("district" is the same as "region").
GROUP_BY = {
    "none": "全部",
    "region": "区域",
    "district": "区域",
    "age_group": "年龄段",
    "sex": "性别",
    "month": "月份",
    "quarter": "季度",
    "version": "问卷版本",
}
UNKNOWN = "unknown"


def min_cell() -> int:
    """The smallest cell published (QUALITYLINE_ANALYTICS_MIN_CELL, at least 2 so a t interval exists)."""
    return max(2, int(current_app.config["ANALYTICS_MIN_CELL"]))


def group_keys(sample: SurveySample, group_by: str) -> np.ndarray | None:
    """Each respondent's group label (None for group_by=none); a missing attribute is 'unknown'."""
    if group_by not in GROUP_BY:
        raise InvalidInput("group_by", f"must be one of {', '.join(GROUP_BY)}")
    if group_by == "none":
        return None
    if group_by in ("month", "quarter"):
        return np.array([period_of_day(day, group_by) for day in sample.submitted], dtype=object)
    if group_by == "version":
        return np.array([str(v) for v in sample.version_numbers], dtype=object)
    name = "district" if group_by == "region" else group_by
    return np.array([UNKNOWN if v is None else v for v in sample.attributes[name]], dtype=object)


def _target_status(estimate: Any, target: dict[str, Any]) -> str:
    """met / not_met / indistinguishable (the 95 % CI covers the target)."""
    test = target_test(estimate, target["value"], direction="at_least" if target["op"] == ">=" else "at_most")
    if not test.ci_excludes_target:
        return "indistinguishable"
    return "met" if test.met else "not_met"


def _row(
    kind: str, code: str, items: list[str], estimate: Any, w: np.ndarray, targets: dict
) -> dict[str, Any]:
    name_zh, name_en = CONSTRUCT_NAMES.get(code, (code, code)) if kind == "construct" else (code, code)
    row: dict[str, Any] = {"kind": kind, "code": code, "name_zh": name_zh, "name_en": name_en, "items": items}
    if isinstance(estimate, Suppressed):
        return row | {
            "n": estimate.n,
            "suppressed": True,
            "reason": estimate.reason,
            **dict.fromkeys(("estimate", "se", "ci_low", "ci_high", "effective_n", "deff")),
        }
    row |= {
        "n": estimate.n,
        "suppressed": False,
        "reason": None,
        "estimate": estimate.estimate,
        "se": estimate.se,
        "ci_low": estimate.ci_low,
        "ci_high": estimate.ci_high,
        "effective_n": kish_effective_n(w),
        "deff": design_effect(w),
    }
    target = targets.get(code) if kind == "indicator" else None
    if target is not None:
        row["target"] = {**target, "status": _target_status(estimate, target)}
    return row


def estimate_rows(
    weighted: Weighted, keys: np.ndarray | None, minimum: int
) -> dict[str, list[dict[str, Any]]]:
    """{group label: [index rows]} for every construct and indicator code of the sample."""
    sample, w = weighted.sample, weighted.values
    targets = {t["indicator"]: t for t in sample.definition.get("targets") or ()}
    labels = ["all"] if keys is None else sorted(set(keys.tolist()))
    out: dict[str, list[dict[str, Any]]] = {label: [] for label in labels}
    if sample.n == 0:
        return out
    for group, codes in sample.groups().items():
        kind, code = group.split(":", 1)
        scores = sample.respondent_scores(codes)
        answered = np.isfinite(scores)
        # A group nobody in the domain belongs to has NaN item means; it is suppressed, so never shown.
        with np.errstate(invalid="ignore", divide="ignore"):
            result = construct_index(
                np.where(answered, scores, 0.0)[:, None],
                scale=(0.0, 100.0),
                survey_weights=weighted.weights,
                domain=answered,
                by=keys,
                min_n=minimum,
                # A lone respondent is its only stratum's only PSU; min_cell (>= 2) suppresses it anyway,
                # so let the suppression answer instead of the single-PSU error.
                singleton="skip",
            )
        for label in labels:
            estimate = result if keys is None else result[label]
            rows = answered if keys is None else answered & (keys == label)
            out[label].append(_row(kind, code, codes, estimate, w[rows], targets))
    return out


def compute_survey_index(
    slug: str,
    start: date,
    end: date,
    *,
    version: int | None = None,
    group_by: str = "none",
    weighting: str = "none",
    poststrata: str | None = None,
) -> dict[str, Any]:
    """Indices of survey `slug` for responses submitted in [start, end): the report as JSON-ready data."""
    sample = load_sample(slug, start, end, version)
    trim = (sample.definition.get("weighting") or {}).get("trim_upper")
    weighted = weight_sample(sample, weighting, poststrata, trim)
    keys = group_keys(weighted.sample, group_by)
    minimum = min_cell()
    rows = estimate_rows(weighted, keys, minimum)
    rates = response_rates(sample.survey, start, end, group_by)
    counts = {"all": weighted.sample.n} if keys is None else {}
    if keys is not None:
        for label in keys.tolist():
            counts[label] = counts.get(label, 0) + 1
    return {
        "survey": sample.survey.slug,
        "sector": sample.definition["sector"],
        "versions": [v.number for v in sample.versions],
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "min_cell": minimum,
        "responses": sample.n,
        "weighting": weighted.report,
        "groups": [
            {
                "key": label,
                "responses": counts.get(label, 0),
                "response_rate": rates.get(label, rates["*"]),
                "indices": rows[label],
            }
            for label in rows
        ],
    }
