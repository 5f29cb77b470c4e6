"""Idempotency-Key for survey answers: a client that retries after a lost answer (timeout, dropped
connection, 503) with the same key gets the response its first attempt stored, never a second one and
never a 409 for its own used invitation. The same contract as complaint intake
(complaints/services/intake.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from core.db import db
from core.errors import InvalidInput
from surveys.models import SurveyResponse

MAX_KEY_LENGTH = 128


def submission_hash(**parts: Any) -> str:
    """SHA-256 of what a submission sent, to tell a retry from a different answer under the same key."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def replayed_response(survey_id: int, key: str | None, request_hash: str | None) -> SurveyResponse | None:
    """The response an earlier submission with this key stored, if any; 422 if it sent something else."""
    if key is None:
        return None
    response = db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.idempotency_key == key
        )
    )
    if response is not None and response.request_hash != request_hash:
        raise InvalidInput("Idempotency-Key", "was already used for a different submission")
    return response
