"""The post-case call-back (回访) loop: an invitation to the call-back survey after each reply, and the
answer handed back to the case through the complaints rating rules (complaints.services.public)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select

from complaints.models import Case
from complaints.services.followup import CALLBACK_INVITER_KEY
from complaints.services.public import apply_rating, reply_is_rated
from complaints.states import Status
from core.db import db
from core.regions import Region
from surveys.models import Survey, SurveyInvitation, SurveyResponse, SurveyVersion
from surveys.services.invitations import invitation_link, new_invitation
from surveys.vocab import SurveyStatus

FEEDBACK_SOURCE = "callback_survey"


def callback_survey() -> Survey | None:
    """The open call-back survey (QUALITYLINE_SURVEY_CALLBACK_SLUG) if it can rate cases."""
    survey = db.session.scalar(
        select(Survey).where(Survey.slug == current_app.config["SURVEY_CALLBACK_SLUG"])
    )
    if survey is None or survey.status != SurveyStatus.OPEN or survey.published is None:
        return None
    return survey if survey.published.definition.get("case_feedback") else None


def create_callback_invitation(case: Case, now: datetime) -> str | None:
    """The hook complaints.services.followup calls for each reply: a single-use invitation to the call-back
    survey, returned as the link its notice carries; None (the tracking link is sent instead) while no
    call-back survey is open. Runs in the caller's transaction."""
    survey = callback_survey()
    if survey is None:
        return None
    # One live token per case: an earlier reply's invitation must not rate this reply.
    for earlier in db.session.scalars(
        select(SurveyInvitation).where(
            SurveyInvitation.case_id == case.id,
            SurveyInvitation.used_at.is_(None),
            SurveyInvitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    channel, contact = (
        ("sms", case.complainant_mobile)
        if case.complainant_mobile
        else ("email", case.complainant_email)
        if case.complainant_email
        else (None, None)
    )
    district = db.session.get(Region, case.region_code)
    attributes = {"district": case.region_code} if district is not None and district.level == 3 else {}
    invitation, token = new_invitation(
        survey,
        now + timedelta(days=survey.published.definition["invitation_days"]),
        channel=channel,
        contact=contact,
        attributes=attributes,
        case_id=case.id,
    )
    # The complaints outbox sends this first message; reminders come from the survey outbox.
    invitation.sent_at = now
    return invitation_link(token)


def init_callback(app: Flask) -> None:
    """Offer create_callback_invitation to complaints (which must not import surveys)."""
    app.extensions[CALLBACK_INVITER_KEY] = create_callback_invitation


def apply_case_feedback(response: SurveyResponse, version: SurveyVersion, now: datetime) -> bool:
    """Hand a call-back answer to its case once: the rating (5 非常满意 … 1 非常不满意), resolved and comment
    go through complaints' rating rules, so a bad rating opens the rectification task and, per policy,
    reopens the case, and a good one closes a replied case. Returns whether the case was rated; it is not
    when the answer has no rating, the case moved on (reopened, rated on the tracking page) or the
    invitation belongs to an earlier reply. Runs in the caller's transaction."""
    if response.case_feedback_at is not None or response.case_id is None:
        return False
    response.case_feedback_at = now
    mapping = version.definition.get("case_feedback")
    if not mapping:
        return False
    answers = {answer.question_code: answer.value for answer in response.answers}
    rating = answers.get(mapping["rating"])
    if isinstance(rating, bool) or not isinstance(rating, int):
        return False
    resolved = answers.get(mapping.get("resolved") or "")
    comment = answers.get(mapping.get("comment") or "")
    case = db.session.scalar(select(Case).where(Case.id == response.case_id).with_for_update(of=Case))
    invitation = db.session.get(SurveyInvitation, response.invitation_id) if response.invitation_id else None
    if (
        case is None
        or case.status not in (Status.REPLIED, Status.CLOSED)
        or reply_is_rated(case)
        or (
            invitation is not None and case.replied_at is not None and invitation.created_at < case.replied_at
        )
    ):
        return False
    apply_rating(
        case,
        rating,
        resolved if isinstance(resolved, bool) else None,
        comment if isinstance(comment, str) and comment else None,
        FEEDBACK_SOURCE,
    )
    response.case_rating_applied = True
    return True
