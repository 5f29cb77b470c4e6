"""Survey weights for an analysis sample: none, post-stratification on one margin, or raking to all the
definition's population margins, with optional trimming (the definition's weighting.trim_upper).

Every respondent starts with weight 1 (open links and contact lists have no design weights). The
margins of a definition may disagree by up to 0.5 % (surveys.definition), raking needs one total, so
every margin is rescaled to the first margin's total. A margin category with population but no
respondent in the sample (a small district in a short period) cannot be met: it is dropped and the
margin rescaled to the same total (collapsing it into the others), and the report lists it.
Respondents without the attribute, or with a category the margin lacks, cannot be weighted and leave
the weighted sample (counted in the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.services.survey_data import SurveySample
from analytics.stats import StatsInputError, poststratify, rake, trim_weights
from core.errors import InvalidInput

METHODS = ("none", "poststratify", "raking")


class WeightingError(InvalidInput):
    """The sample cannot be weighted as asked (422 naming the weighting parameter)."""

    def __init__(self, reason: str):
        super().__init__("weighting", reason)


@dataclass(eq=False)
class Weighted:
    """A sample with its weights; `weights` is what estimation takes (a stats result carries calibration)."""

    sample: SurveySample
    weights: Any
    values: np.ndarray
    report: dict[str, Any]


def margins_of(definition: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The definition's population margins {dimension: {category: total}} (empty ones left out)."""
    margins = (definition.get("weighting") or {}).get("margins") or {}
    return {name: dict(levels) for name, levels in margins.items() if levels}


def _prepare(sample: SurveySample, margins: dict[str, dict[str, float]]) -> tuple[SurveySample, dict, dict]:
    """Drop unweightable respondents and empty categories; rescale margins to one total."""
    keep = np.ones(sample.n, dtype=bool)
    for name, levels in margins.items():
        keep &= np.array([value in levels for value in sample.attributes[name]], dtype=bool)
    kept = sample.subset(keep)
    if kept.n == 0:
        raise WeightingError("no respondent in this period has the attributes the margins need")
    total = sum(next(iter(margins.values())).values())
    fitted, collapsed = {}, {}
    for name, levels in margins.items():
        present = set(kept.attributes[name].tolist())
        empty = sorted(k for k in levels if k not in present)
        if empty:
            collapsed[name] = empty
        used = {k: v for k, v in levels.items() if k in present}
        scale = total / sum(used.values())
        fitted[name] = {k: v * scale for k, v in used.items()}
    return kept, fitted, {"excluded_unweightable": int(sample.n - kept.n), "collapsed_categories": collapsed}


def _calibration_report(result: Any) -> dict[str, Any]:
    report = result.report
    return {
        "converged": report.converged,
        "iterations": report.iterations,
        "max_relative_error": report.max_relative_error,
        "message": report.message,
    }


def weight_sample(
    sample: SurveySample, method: str, poststrata: str | None = None, trim_upper: float | None = None
) -> Weighted:
    """Weights for `sample` by `method` (none | poststratify | raking); 422 when they cannot be built."""
    if method not in METHODS:
        raise InvalidInput("weighting", f"must be one of {', '.join(METHODS)}")
    ones = np.ones(sample.n)
    if method == "none":
        return Weighted(sample, ones, ones, {"method": "none"})
    margins = margins_of(sample.definition)
    if not margins:
        raise WeightingError(
            "this survey defines no population margins, so it can only be analysed unweighted"
        )
    if sample.n == 0:
        return Weighted(sample, ones, ones, {"method": method, "note": "no respondents in the period"})
    if method == "poststratify":
        dimension = poststrata or next(iter(margins))
        if dimension not in margins:
            raise InvalidInput("poststrata", f"must be one of the survey's margins: {', '.join(margins)}")
        margins = {dimension: margins[dimension]}
    kept, fitted, report = _prepare(sample, margins)
    base = np.ones(kept.n)
    specs = {name: (kept.attributes[name], totals) for name, totals in fitted.items()}
    try:
        if method == "raking":
            result: Any = rake(base, specs, on_nonconvergence="return")
            if not result.report.converged:
                raise WeightingError(result.report.message)
        else:
            ((name, totals),) = fitted.items()
            result = poststratify(base, kept.attributes[name], totals)
        calibration = _calibration_report(result)
        if trim_upper is not None:
            result = trim_weights(
                result.weights, upper=trim_upper, margins=specs if method == "raking" else None
            )
            report["trimming"] = {
                "upper": trim_upper,
                "relative_to": "median",
                "trimmed": result.n_trimmed_upper,
                "converged": result.converged,
            }
    except StatsInputError as exc:
        raise WeightingError(str(exc)) from None
    report.update(
        method=method,
        margins=list(fitted),
        calibration=calibration,
        population_total=float(np.sum(result.weights)),
    )
    return Weighted(kept, result, np.asarray(result.weights, dtype=float), report)
