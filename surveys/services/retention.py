"""The surveys' part of the retention period: call-back survey data tied to a case whose personal data
complaints erases (complaints/services/retention.py calls erase_case_respondents in its transaction)."""

from __future__ import annotations

from sqlalchemy import select, update

from core.db import db
from surveys.models import SurveyAnswer, SurveyInvitation, SurveyMessage, SurveyResponse


def erase_case_respondents(case_ids: list[int]) -> None:
    """Erase the invitation contacts (phone, e-mail) and free-text answers of the cases' call-back
    surveys; the scored answers stay, so indices and response rates do not change."""
    invitations = select(SurveyInvitation.id).where(SurveyInvitation.case_id.in_(case_ids))
    db.session.execute(
        update(SurveyInvitation).where(SurveyInvitation.case_id.in_(case_ids)).values(contact=None)
    )
    # A failed send's error text may quote the number or address.
    db.session.execute(
        update(SurveyMessage).where(SurveyMessage.invitation_id.in_(invitations)).values(last_error=None)
    )
    responses = select(SurveyResponse.id).where(SurveyResponse.case_id.in_(case_ids))
    db.session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.response_id.in_(responses), SurveyAnswer.text.is_not(None))
        .values(text=None)
    )
