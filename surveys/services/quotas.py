"""Quotas: which cell a respondent falls in, how full it is, and the questions that decide it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from core.db import db
from core.errors import Conflict
from surveys.models import SurveyResponse, SurveyVersion
from surveys.questions import N_, AnswerError
from surveys.vocab import ResponseStatus

FieldErrors = dict[str, list[AnswerError]]


class QuotaFull(Conflict):
    """The respondent's quota cell has all the responses it needs (409: screened out, nothing stored)."""


def quota_cell(definition: Mapping[str, Any], attributes: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The quota cell key ("district=350102|sex=female") and that cell's target (None: no limit)."""
    quotas = definition.get("quotas")
    if not quotas or any(attributes.get(d) is None for d in quotas["dimensions"]):
        return None, None
    dims = quotas["dimensions"]
    key = "|".join(f"{d}={attributes[d]}" for d in dims)
    cell = next((c for c in quotas["cells"] if all(c[d] == attributes[d] for d in dims)), None)
    return key, (cell["target"] if cell is not None else None)


def missing_quota_answers(version: SurveyVersion, attributes: Mapping[str, str]) -> FieldErrors:
    quotas = version.definition.get("quotas")
    if not quotas:
        return {}
    errors: FieldErrors = {}
    for dim in quotas["dimensions"]:
        if attributes.get(dim) is None:
            code = next(x["code"] for x in version.questions if x.get("attribute") == dim)
            errors[f"answers.{code}"] = [AnswerError(N_("Needed to check the survey quotas."))]
    return errors


def quota_count(survey_id: int, cell: str) -> int:
    """Complete, non-duplicate responses in a quota cell."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.quota_cell == cell,
                SurveyResponse.status == ResponseStatus.COMPLETE,
                SurveyResponse.is_duplicate.is_(False),
            )
        )
        or 0
    )


def screening_questions(version: SurveyVersion) -> list[dict[str, Any]]:
    """The questions about the respondent (district, age group, sex), asked first when the survey has
    quotas, so a full quota cell screens out before the rest is filled in; [] without quotas."""
    if not version.definition.get("quotas"):
        return []
    return [question for question in version.questions if question.get("attribute")]
