"""Data behind the dashboard's quality panels and the report's quality chapters: the case histories A-E,
the shipped surveys with answers in September and October 2026 (enough for the ACSI model), a few call-back
answers (a suppressed small cell) with invitations, the default indicator set, and personal data planted in
cases, survey answers and invitation contacts."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from analytics.services.indicator_seed import seed_default_indicators
from core.db import db
from surveys.demo import fake_answers
from surveys.models import SurveyResponse
from surveys.services import definitions
from surveys.services.invitations import new_invitation
from tests.analytics_api.conftest import local
from tests.analytics_api.survey_fixtures import store
from tests.analytics_api.test_kpis import build_histories
from tests.web.test_analytics_pages import PLANTED, plant_personal_data

PER_MONTH = 60  # respondents per population survey and month: above the model's minimum of 40
CALLBACKS = 6  # call-back answers: below the minimum cell of 30, so suppressed
SURVEY_SECRETS = ("问卷隐私赵六", "13698765432", "survey-secret@example.com", "答卷里的秘密评论")
SECRETS = PLANTED + SURVEY_SECRETS


def answers(slug: str, count: int, rng: random.Random) -> list[dict]:
    """Plausible answers to the published version of `slug`, a planted secret in every free-text answer."""
    _survey, version = definitions.get_public_survey(slug)
    rows = [fake_answers(version.questions, rng) for _ in range(count)]
    text_codes = [q["code"] for q in version.questions if q["type"] == "text"]
    for row in rows:
        row.update(dict.fromkeys(text_codes, f"{SURVEY_SECRETS[3]} {SURVEY_SECRETS[0]} {SURVEY_SECRETS[1]}"))
    return rows


def callback_answers() -> None:
    """Call-back answers in October and four invitations sent to planted contacts, two of them answered."""
    survey, _version = definitions.get_public_survey("hotline-callback")
    rows = [
        {"satisfaction": 5 - i % 3, "resolved": i % 2 == 0, "comment": SURVEY_SECRETS[3]}
        for i in range(CALLBACKS)
    ]
    store("hotline-callback", rows, "2026-10-12 10:00")
    sent = local("2026-10-11 09:00")
    invitations = []
    for i, contact in enumerate((SURVEY_SECRETS[1], SURVEY_SECRETS[2], PLANTED[1], PLANTED[2])):
        invitation, _token = new_invitation(
            survey, sent + timedelta(days=30), channel="sms" if i % 2 == 0 else "email", contact=contact
        )
        invitation.sent_at = sent
        invitations.append(invitation)
    db.session.flush()
    answered = db.session.scalars(
        select(SurveyResponse)
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id)
        .limit(2)
    ).all()
    for response, invitation in zip(answered, invitations, strict=False):
        response.invitation_id = invitation.id
    db.session.commit()


def build_panel_data(client, org, seed: int = 7) -> dict:
    """Everything the quality panels show for 2026-09-01..2026-11-01; returns the case histories."""
    cases = build_histories(client, org)
    planted = plant_personal_data(client, org)
    definitions.seed_templates()
    rng = random.Random(seed)
    for slug in ("service-satisfaction", "government-work"):
        for month in ("2026-09", "2026-10"):
            store(slug, answers(slug, PER_MONTH, rng), f"{month}-14 10:00")
    callback_answers()
    seed_default_indicators()
    return {"cases": cases, "planted": planted}
