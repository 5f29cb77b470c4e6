"""The three-rate score (三率: 响应率, 解决率, 满意率) per unit with configurable weights, and a fair ranking.

score = 100 x sum(w_i x rate_i) / sum(w_i). Fair: a unit is ranked only when every rate rests on at least
`min_cases` cases (a unit with 3 cases is not "first" or "last"), and every score carries a 95 % interval
so close scores are read as close. The interval treats the three rates as independent binomial
proportions; 解决率 and 满意率 come from the same ratings and are positively correlated, so the interval is
a little narrow for units whose ratings drive both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app

from analytics.services.complaint_kpis import compute_complaint_kpis
from core.errors import InvalidInput

RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
Z95 = 1.959964


@dataclass(frozen=True)
class Weights:
    """Normalised weights of the three rates."""

    response: float
    resolution: float
    satisfaction: float

    def as_tuple(self) -> tuple[float, float, float]:
        return self.response, self.resolution, self.satisfaction


def parse_weights(raw: tuple[float, float, float] | str | None = None) -> Weights:
    """Weights from the request or the THREE_RATE_WEIGHTS setting, normalised to sum to 1."""
    if raw is None:
        raw = current_app.config["THREE_RATE_WEIGHTS"]
    if isinstance(raw, str):
        try:
            raw = tuple(float(part) for part in raw.split(","))  # type: ignore[assignment]
        except ValueError:
            raise InvalidInput("weights", "give three numbers separated by commas") from None
    values = tuple(raw)  # type: ignore[arg-type]
    if len(values) != 3 or any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
        raise InvalidInput("weights", "give three non-negative weights with a positive sum")
    total = sum(values)
    return Weights(*(v / total for v in values))


def _score(rates: list[tuple[int, float | None]], weights: Weights) -> tuple[float | None, float | None]:
    """(score 0-100, its standard error) or (None, None) when a weighted rate has no cases."""
    score = variance = 0.0
    for (n, p), w in zip(rates, weights.as_tuple(), strict=True):
        if w == 0:
            continue
        if p is None or n == 0:
            return None, None
        score += w * p
        variance += w * w * p * (1 - p) / n
    return round(100 * score, 2), round(100 * math.sqrt(variance), 3)


def rank_units(
    start: date,
    end: date,
    group_by: str = "department",
    weights: Weights | None = None,
    min_cases: int | None = None,
    source: str = "raw",
) -> dict[str, Any]:
    """Three-rate scores of the units of `group_by` for [start, end), ranked fairly (1 = best)."""
    weights = weights or parse_weights()
    min_cases = current_app.config["RANKING_MIN_CASES"] if min_cases is None else min_cases
    units = []
    for group in compute_complaint_kpis(start, end, group_by, source):
        rates = [(group["kpis"][code]["n"], group["kpis"][code]["value"]) for code in RATES]
        score, se = _score(rates, weights)
        fewest = min(n for (n, _), w in zip(rates, weights.as_tuple(), strict=True) if w > 0)
        reason = None
        if score is None:
            reason = "no cases behind a weighted rate"
        elif fewest < min_cases:
            reason = f"fewer than {min_cases} cases behind a rate"
        units.append(
            {
                "key": group["key"],
                **{code: {"n": n, "value": value} for code, (n, value) in zip(RATES, rates, strict=True)},
                "score": score,
                "se": se,
                "ci_low": None if score is None else round(max(0.0, score - Z95 * se), 2),
                "ci_high": None if score is None else round(min(100.0, score + Z95 * se), 2),
                "ranked": reason is None,
                "not_ranked_reason": reason,
                "rank": None,
            }
        )
    ranked = sorted((u for u in units if u["ranked"]), key=lambda u: -u["score"])
    for position, unit in enumerate(ranked, start=1):
        # Competition ranking: equal scores share the better rank (1, 1, 3).
        previous = ranked[position - 2] if position > 1 else None
        unit["rank"] = previous["rank"] if previous and previous["score"] == unit["score"] else position
    units.sort(key=lambda u: (u["rank"] is None, u["rank"] or 0, -(u["score"] or 0), u["key"] or ""))
    return {
        "weights": dict(zip(("response", "resolution", "satisfaction"), weights.as_tuple(), strict=True)),
        "min_cases": min_cases,
        "units": units,
    }
