"""Helpers for the survey analytics tests: publish small surveys and store known answers quickly.

`store` writes complete responses the way surveys.services.responses does (same answer columns through
its answer_fields), in one commit, so a test can hold hundreds of respondents with exact answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy import insert

from core.db import db
from surveys import questions as q
from surveys.models import SurveyAnswer, SurveyResponse
from surveys.services import definitions
from surveys.services.responses import answer_fields
from tests.analytics_api.conftest import local
from tests.surveys.conftest import choice, definition, likert, publish

__all__ = ["choice", "definition", "likert", "publish", "store", "scores", "t_crit"]


def store(slug: str, rows: Iterable[dict[str, Any]], when: str | datetime, **attributes: Any) -> None:
    """Complete responses to the published version, submitted at `when` (local 'YYYY-MM-DD HH:MM').

    Each row maps question codes to answers; `district`, `age_group`, `sex` keys in a row (or in
    `attributes`) become the respondent's attributes, as answering the attribute questions does."""
    survey, version = definitions.get_public_survey(slug)
    moment = local(when) if isinstance(when, str) else when
    by_code = {question["code"]: question for question in version.questions}
    rows = list(rows)
    stored = []
    for row in rows:
        facts = {**attributes, **{k: row[k] for k in ("district", "age_group", "sex") if k in row}}
        stored.append(
            SurveyResponse(
                survey_id=survey.id,
                version_id=version.id,
                channel="link",
                status="complete",
                started_at=moment,
                updated_at=moment,
                submitted_at=moment,
                **facts,
            )
        )
    db.session.add_all(stored)
    db.session.flush()
    answers = [
        {"response_id": response.id, "question_code": code, **answer_fields(by_code[code], value)}
        for response, row in zip(stored, rows, strict=True)
        for code, value in row.items()
        if code in by_code
    ]
    if answers:
        db.session.execute(insert(SurveyAnswer), answers)
    db.session.commit()


def scores(rows: list[dict[str, Any]], codes: list[str], questions: dict[str, dict]) -> np.ndarray:
    """Each row's mean 0-100 score over the answered items `codes` (NaN when none): the raw recomputation."""
    out = []
    for row in rows:
        values = []
        for code in codes:
            value = row.get(code)
            if value is None or value == q.DONT_KNOW:
                continue
            kind = questions[code]["type"]
            low, high = q.RANGES.get(kind, (0, 1))
            score = 100.0 * (float(value) - low) / (high - low)
            values.append(100.0 - score if questions[code].get("reverse") else score)
        out.append(np.mean(values) if values else np.nan)
    return np.array(out)


def t_crit(df: int) -> float:
    """Two-sided 95 % Student t critical value."""
    return float(stats.t.ppf(0.975, df))
