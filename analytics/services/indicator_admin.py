"""Indicator definitions: create, replace, delete, list (admins write; analysts and supervisors read).

A definition is checked as a whole before it is stored: every component must name a real source (a
published survey's construct or indicator code; a complaint KPI that is a rate), fixed weights must
be positive and sum to 1, an AHP matrix must be n x n for n components with consistency ratio < 0.1
(Saaty), entropy weights are derived at evaluation time and take no weights.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from analytics.kpis import KPI_BY_CODE
from analytics.models import Indicator, IndicatorComponent
from analytics.stats import StatsInputError, ahp_weights
from core.auth.models import User
from core.db import db
from core.errors import Conflict, InvalidInput, NotFound
from surveys.models import Survey
from surveys.vocab import CONSTRUCTS

WEIGHT_TOLERANCE = 1e-6
FIELDS = ("name_zh", "name_en", "sector", "unit", "target", "direction", "attribute", "weighting")


def list_indicators(sector: str | None = None, code: str | None = None) -> list[Indicator]:
    """Indicator definitions by code, optionally of one sector or one code."""
    query = select(Indicator).order_by(Indicator.code)
    if sector:
        query = query.where(Indicator.sector == sector)
    if code:
        query = query.where(Indicator.code == code)
    return list(db.session.scalars(query))


def get_indicator(code: str) -> Indicator:
    """The indicator with this code (404 otherwise)."""
    indicator = db.session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"no indicator {code!r}")
    return indicator


def survey_codes(survey: Survey) -> set[str]:
    """Constructs and indicator codes measured by any published version of the survey."""
    codes: set[str] = set()
    for version in survey.versions:
        if version.published_at is None:
            continue
        for question in version.questions:
            if question.get("construct"):
                codes.update((question["construct"], question["indicator"]))
    return codes


def _check_component(index: int, raw: dict[str, Any], errors: dict[str, list[str]]) -> IndicatorComponent:
    where = f"components.{index}"
    component = IndicatorComponent(
        position=index,
        source=raw["source"],
        code=raw["code"],
        hotline=raw.get("hotline"),
        weight=raw.get("weight"),
        reverse=bool(raw.get("reverse")),
    )
    if raw["source"] == "survey_index":
        survey = db.session.scalar(select(Survey).where(Survey.slug == (raw.get("survey") or "")))
        if survey is None or survey.published is None:
            errors[f"{where}.survey"] = ["unknown or unpublished survey"]
        elif raw["code"] not in survey_codes(survey):
            errors[f"{where}.code"] = [f"unknown survey construct or indicator code for {survey.slug!r}"]
        component.survey = survey
        if raw.get("hotline"):
            errors[f"{where}.hotline"] = ["only complaint KPIs take a hotline"]
    else:
        kpi = KPI_BY_CODE.get(raw["code"])
        if kpi is None:
            errors[f"{where}.code"] = ["unknown KPI code"]
        elif kpi.unit != "rate":
            errors[f"{where}.code"] = ["only rate KPIs can be components (they are scaled to 0-100)"]
        if raw.get("survey"):
            errors[f"{where}.survey"] = ["only survey indices take a survey"]
    return component


def _check_weights(body: dict[str, Any], components: list[IndicatorComponent], errors: dict) -> None:
    method, n = body["weighting"], len(components)
    given = [c.weight for c in components]
    if method == "fixed":
        if any(w is None or w <= 0 for w in given):
            errors["components"] = ["fixed weighting needs a positive weight on every component"]
        elif abs(sum(given) - 1.0) > WEIGHT_TOLERANCE:
            errors["components"] = [f"weights must sum to 1 (they sum to {sum(given):.6g})"]
    elif any(w is not None for w in given):
        errors["components"] = [f"{method} weighting derives the weights; leave component weights out"]
    if method != "fixed" and n < 2:
        errors["weighting"] = [f"{method} weighting needs at least two components"]
    matrix = body.get("ahp_matrix")
    if method != "ahp":
        if matrix is not None:
            errors["ahp_matrix"] = ["only AHP weighting takes a pairwise matrix"]
        return
    if matrix is None or len(matrix) != n or any(len(row) != n for row in matrix):
        errors["ahp_matrix"] = [f"give a {n} x {n} pairwise comparison matrix (one row per component)"]
        return
    try:
        ahp_weights(matrix)
    except StatsInputError as exc:
        errors["ahp_matrix"] = [str(exc)]


def _apply(indicator: Indicator, body: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    components = [_check_component(i, raw, errors) for i, raw in enumerate(body["components"])]
    _check_weights(body, components, errors)
    if errors:
        raise InvalidInput.many(errors)
    for name in FIELDS:
        setattr(indicator, name, body.get(name))
    indicator.name_en = body.get("name_en") or ""
    indicator.ahp_matrix = body.get("ahp_matrix")
    indicator.survey_weighting = body.get("survey_weighting") or "raking"
    indicator.components.clear()
    db.session.flush()  # old rows go before new ones take their positions
    indicator.components.extend(components)


def create_indicator(body: dict[str, Any], staff: User | None) -> Indicator:
    """A new indicator; 409 when the code is taken, 422 naming every field at fault."""
    if db.session.scalar(select(Indicator.id).where(Indicator.code == body["code"])) is not None:
        raise Conflict(f"an indicator {body['code']!r} already exists", {"code": ["already taken"]})
    indicator = Indicator(code=body["code"], created_by_id=staff.id if staff else None)
    try:
        _apply(indicator, body)
        db.session.add(indicator)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return indicator


def replace_indicator(code: str, body: dict[str, Any]) -> Indicator:
    """Replace an indicator's definition (its code stays)."""
    indicator = get_indicator(code)
    try:
        _apply(indicator, body)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return indicator


def delete_indicator(code: str) -> None:
    """Remove an indicator and its components."""
    db.session.delete(get_indicator(code))
    db.session.commit()


def describe_indicator(indicator: Indicator) -> dict[str, Any]:
    """The definition as the API shows it, with the AHP weights and CR when AHP is used."""
    body: dict[str, Any] = {
        "code": indicator.code,
        **{name: getattr(indicator, name) for name in FIELDS},
        "survey_weighting": indicator.survey_weighting,
        "ahp_matrix": indicator.ahp_matrix,
        "components": [c.describe() for c in indicator.components],
    }
    if indicator.ahp_matrix is not None:
        result = ahp_weights(indicator.ahp_matrix)
        body["ahp"] = {
            "weights": result.weights.tolist(),
            "lambda_max": result.lambda_max,
            "consistency_ratio": result.consistency_ratio,
        }
    return body


def is_construct(code: str) -> bool:
    """Whether a survey component's code names a construct (else it is an indicator code)."""
    return code in CONSTRUCTS
