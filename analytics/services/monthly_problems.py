"""每月一题 candidates: category x district problems of the period, ranked by a documented score.

A cell is one (category_code, region_code).  Every cell with cases in the period or its baseline gets
the excess-count test of hotspots.assess_units (BH over all cells).  Cells with at least min_count
cases in the period are candidates, scored in [0, 1]:

    score = 0.40 volume + 0.30 growth + 0.15 dissatisfaction + 0.15 repeat
    volume          = cases / cases of the largest candidate cell
    growth          = min(1, -log10(p) / 3)   (p of the excess-count test; p <= 0.001 scores 1;
                                               0 when the baseline is too short to test)
    dissatisfaction = rated cases rated 1 or 2 (不满意/非常不满意) / rated cases (0 when none rated)
    repeat          = cases whose complainant (mobile) had an earlier counted case in the same
                      category and district / cases
Volume leads because 每月一题 takes on what many citizens raise; growth next because a new surge is
what a monthly topic can still get ahead of; the two shares mark problems that handling has not solved.
Ties are broken by cases, then the codes.  The top `limit` candidates are returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select

from analytics.services.hotspot_periods import (
    HotspotPeriod,
    count_if,
    earlier_case_by_same_complainant,
    in_target,
)
from analytics.services.hotspots import (
    UnitTest,
    assess_units,
    category_names,
    count_by_window,
    is_flagged,
    region_names,
)
from complaints.models import Case
from complaints.states import BAD_RATINGS
from core.db import db

WEIGHTS = {"volume": 0.40, "growth": 0.30, "dissatisfaction": 0.15, "repeat": 0.15}
GROWTH_FULL_AT = 3.0  # -log10(p) at which growth scores 1 (p = 0.001)


@dataclass(frozen=True)
class MonthlyProblem:
    """A category x district cell with its test, shares and score (no case fields)."""

    category_code: str
    category_name: str | None
    region_code: str
    region_name: str | None
    test: UnitTest
    flagged: bool
    rated: int
    dissatisfied: int
    repeat_cases: int
    components: dict[str, float]
    score: float


def _growth(test: UnitTest) -> float:
    if test.p_value is None:
        return 0.0
    return min(1.0, -math.log10(max(test.p_value, 1e-300)) / GROWTH_FULL_AT)


def rank_monthly_problems(
    period: HotspotPeriod, alpha: float, min_count: int, limit: int
) -> list[MonthlyProblem]:
    """The `limit` best-scoring category x district cells with at least min_count cases in the period."""
    counts = count_by_window(period, Case.category_code, Case.region_code)
    tests = assess_units(counts, period)
    candidates = {cell: t for cell, t in tests.items() if t.observed >= min_count}
    if not candidates:
        return []
    shares = {
        (row.category_code, row.region_code): row
        for row in db.session.execute(
            select(
                Case.category_code,
                Case.region_code,
                count_if(Case.rating.is_not(None)).label("rated"),
                count_if(Case.rating.in_(sorted(BAD_RATINGS))).label("dissatisfied"),
                count_if(earlier_case_by_same_complainant("category_code", "region_code")).label("repeats"),
            )
            .where(in_target(period))
            .group_by(Case.category_code, Case.region_code)
        )
    }
    largest = max(t.observed for t in candidates.values())
    categories = category_names(c for c, _ in candidates)
    regions = region_names(r for _, r in candidates)
    problems = []
    for (category, region), test in candidates.items():
        row = shares[(category, region)]
        rated, dissatisfied, repeats = int(row.rated), int(row.dissatisfied), int(row.repeats)
        components = {
            "volume": test.observed / largest,
            "growth": _growth(test),
            "dissatisfaction": dissatisfied / rated if rated else 0.0,
            "repeat": repeats / test.observed,
        }
        score = sum(WEIGHTS[name] * value for name, value in components.items())
        problems.append(
            MonthlyProblem(
                category_code=category,
                category_name=categories.get(category),
                region_code=region,
                region_name=regions.get(region),
                test=test,
                flagged=is_flagged(test, alpha, min_count),
                rated=rated,
                dissatisfied=dissatisfied,
                repeat_cases=repeats,
                components={name: round(value, 6) for name, value in components.items()},
                score=round(score, 6),
            )
        )
    problems.sort(key=lambda p: (-p.score, -p.test.observed, p.category_code, p.region_code))
    return problems[:limit]
