"""A starting set of Fuzhou service-quality indicators over the shipped surveys and the complaint KPIs.

Targets follow the city's plans: satisfaction indices are expected (预期性) targets, the 100 % handling
rule is binding (约束性). A producer-services (生产性服务业) satisfaction indicator needs a survey of that
sector; none ships, so define it once such a survey is published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from analytics.models import Indicator
from analytics.services.indicator_admin import create_indicator
from core.db import db
from surveys.models import Survey


def _survey(slug: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"source": "survey_index", "survey": slug, "code": code, **extra}


def _kpi(code: str, **extra: Any) -> dict[str, Any]:
    return {"source": "complaint_kpi", "code": code, **extra}


def _indicator(code: str, name_zh: str, name_en: str, **fields: Any) -> dict[str, Any]:
    body = {"code": code, "name_zh": name_zh, "name_en": name_en, "unit": "index", "direction": "higher"}
    return body | {"sector": None, "ahp_matrix": None, "survey_weighting": "raking"} | fields


DEFAULT_INDICATORS: tuple[dict[str, Any], ...] = (
    _indicator(
        "FZ-CS-SAT",
        "生活性服务业顾客满意度",
        "Consumer services customer satisfaction",
        sector="consumer_services",
        target=80.0,
        attribute="expected",
        weighting="fixed",
        components=[_survey("service-satisfaction", "satisfaction", weight=1.0)],
    ),
    _indicator(
        "FZ-CS-SQI",
        "生活性服务业服务质量指数",
        "Consumer services quality index",
        sector="consumer_services",
        target=80.0,
        attribute="expected",
        weighting="ahp",
        # Quality is judged twice as important as satisfaction and three times as value (CR 0.008).
        ahp_matrix=[[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.5, 1]],
        components=[
            _survey("service-satisfaction", "perceived_quality"),
            _survey("service-satisfaction", "satisfaction"),
            _survey("service-satisfaction", "perceived_value"),
        ],
    ),
    _indicator(
        "FZ-GOV-SAT",
        "政府工作满意度",
        "Satisfaction with government work",
        sector="government",
        target=85.0,
        attribute="expected",
        weighting="fixed",
        components=[_survey("government-work", "satisfaction", weight=1.0)],
    ),
    _indicator(
        "FZ-12345-SAT",
        "12345热线满意率",
        "12345 hotline satisfaction rate",
        sector="hotline_callback",
        unit="percent",
        target=90.0,
        attribute="expected",
        weighting="fixed",
        components=[_kpi("satisfaction_rate", hotline="12345", weight=1.0)],
    ),
    _indicator(
        "FZ-COMPLETION",
        "投诉办结率",
        "Complaint completion rate",
        unit="percent",
        target=100.0,
        attribute="binding",
        weighting="fixed",
        components=[_kpi("completion_rate", weight=1.0)],
    ),
    _indicator(
        "FZ-HOTLINE-QI",
        "热线服务质量综合指数",
        "Hotline service quality index",
        sector="hotline_callback",
        target=85.0,
        attribute="expected",
        weighting="entropy",
        components=[_kpi("satisfaction_rate"), _kpi("resolution_rate"), _kpi("completion_on_time_rate")],
    ),
    _indicator(
        "FZ-SQ-CSI",
        "服务质量综合满意度",
        "Overall service quality satisfaction",
        target=85.0,
        attribute="expected",
        weighting="fixed",
        components=[
            _survey("service-satisfaction", "satisfaction", weight=0.5),
            _survey("government-work", "satisfaction", weight=0.3),
            _kpi("satisfaction_rate", weight=0.2),
        ],
    ),
)


def seed_default_indicators() -> dict[str, str]:
    """Create the default indicators that do not exist yet; {code: outcome}. Safe to repeat."""
    outcome = {}
    have = set(db.session.scalars(select(Indicator.code)))
    published = set(db.session.scalars(select(Survey.slug).where(Survey.published_version.is_not(None))))
    for body in DEFAULT_INDICATORS:
        needed = {c["survey"] for c in body["components"] if c["source"] == "survey_index"} - published
        if body["code"] in have:
            outcome[body["code"]] = "exists"
        elif needed:
            outcome[body["code"]] = f"skipped: publish {', '.join(sorted(needed))} first (flask surveys seed)"
        else:
            create_indicator(body, None)
            outcome[body["code"]] = "created"
    return outcome
