"""Construct indices of a sector: every published survey of the sector, and their pooled index.

Surveys of one sector ask different questions, so only constructs (not survey-specific indicator
codes) pool. Each survey is an independent sample of the sector's population; the pooled index is
sum_j a_j I_j with a_j proportional to survey j's Kish effective n for that construct, and
SE = sqrt(sum_j a_j^2 SE_j^2) (analytics.stats.composite_indicator), normal 95 % CI clipped to
[0, 100]. Suppressed survey cells stay out of the pool. Surveys are weighted as asked where they
define population margins, unweighted otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from analytics.services.survey_data import CONSTRUCT_NAMES
from analytics.services.survey_indices import compute_survey_index, min_cell
from analytics.services.survey_weighting import margins_of
from analytics.stats import composite_indicator
from core.db import db
from core.errors import InvalidInput
from surveys.models import Survey
from surveys.vocab import CONSTRUCTS, SECTORS


def sector_surveys(sector: str) -> list[Survey]:
    """Published surveys whose published version belongs to `sector`, by slug."""
    if sector not in SECTORS:
        raise InvalidInput("sector", f"must be one of {', '.join(SECTORS)}")
    surveys = db.session.scalars(
        select(Survey).where(Survey.published_version.is_not(None)).order_by(Survey.slug)
    )
    return [s for s in surveys if s.published.definition["sector"] == sector]


def _pool(code: str, parts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": code,
        "name_zh": CONSTRUCT_NAMES[code][0],
        "name_en": CONSTRUCT_NAMES[code][1],
        "surveys": [
            {"survey": slug, **{k: r[k] for k in ("estimate", "se", "n", "effective_n")}} for slug, r in parts
        ],
    }
    used = [r for _slug, r in parts if not r["suppressed"]]
    if not used:
        return (
            row
            | {"suppressed": True, "reason": "every survey's cell is suppressed or empty", "n": 0}
            | dict.fromkeys(("estimate", "se", "ci_low", "ci_high", "effective_n"))
        )
    pooled = composite_indicator(
        [r["estimate"] for r in used], [r["effective_n"] for r in used], se=[r["se"] for r in used]
    )
    return row | {
        "suppressed": False,
        "reason": None,
        "estimate": pooled.estimate,
        "se": pooled.se,
        "ci_low": max(0.0, pooled.ci_low),
        "ci_high": min(100.0, pooled.ci_high),
        "n": sum(r["n"] for r in used),
        "effective_n": sum(r["effective_n"] for r in used),
    }


def compute_sector_index(sector: str, start: date, end: date, weighting: str = "none") -> dict[str, Any]:
    """Per-survey and pooled construct indices of `sector` for [start, end), JSON-ready."""
    surveys = sector_surveys(sector)
    reports = []
    for survey in surveys:
        method = weighting if margins_of(survey.published.definition) else "none"
        reports.append(compute_survey_index(survey.slug, start, end, weighting=method))
    constructs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for report in reports:
        for row in report["groups"][0]["indices"] if report["groups"] else ():
            if row["kind"] == "construct":
                constructs.setdefault(row["code"], []).append((report["survey"], row))
    return {
        "sector": sector,
        "sector_zh": SECTORS[sector],
        "from": start.isoformat(),
        "to": end.isoformat(),
        "min_cell": min_cell(),
        "surveys": [
            {"survey": r["survey"], "responses": r["responses"], "weighting": r["weighting"]["method"]}
            for r in reports
        ],
        "indices": [_pool(code, constructs[code]) for code in CONSTRUCTS if code in constructs],
    }
