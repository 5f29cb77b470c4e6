"""Demo survey data: responses to the two population surveys and call-back answers for replied demo cases,
all through the real services at backdated moments (core.clock.travel_to).

Answers follow a small ACSI-style model (image -> expectation -> quality -> value -> satisfaction ->
loyalty, plus noise) so indices, reliability and PLS path estimates on the demo data look like fieldwork.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from complaints.models import Case
from complaints.states import Status
from core.clock import travel_to, utcnow
from core.db import db
from core.errors import Conflict
from surveys import questions as q
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import callback, definitions, responses
from surveys.services.invitations import token_for

DISTRICT_WEIGHTS = {
    "350102": 7,
    "350103": 5,
    "350104": 9,
    "350105": 2,
    "350111": 8,
    "350112": 6,
    "350121": 8,
    "350122": 5,
    "350123": 2,
    "350124": 2,
    "350125": 2,
    "350128": 3,
    "350181": 10,
}
# How strongly each construct follows the respondent's general mood (the rest is noise).
LOADING = {
    "image": 0.7,
    "expectation": 0.5,
    "perceived_quality": 0.85,
    "perceived_value": 0.75,
    "satisfaction": 0.9,
    "complaint": 0.6,
    "loyalty": 0.8,
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _scaled(mood: float, loading: float, rng: random.Random, low: int, high: int, reverse: bool) -> int:
    latent = loading * mood + (1 - loading**2) ** 0.5 * rng.gauss(0, 1)
    share = min(max(0.72 + 0.16 * latent, 0.0), 1.0)  # centred near 72 on the 0-100 scale
    if reverse:
        share = 1 - share
    return round(low + share * (high - low))


def fake_answers(question_list: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    """One plausible respondent's answers, honouring skip logic."""
    mood, answers = rng.gauss(0, 1), {}
    for question in question_list:
        if not q.is_shown(question, answers):
            continue
        kind = question["type"]
        if question.get("dont_know") and rng.random() < 0.04:
            answers[question["code"]] = q.DONT_KNOW
        elif question.get("attribute") == "district":
            answers[question["code"]] = _pick(rng, DISTRICT_WEIGHTS)
        elif kind in q.RANGES:
            low, high = q.RANGES[kind]
            loading = LOADING.get(question.get("construct") or "", 0.5)
            answers[question["code"]] = _scaled(mood, loading, rng, low, high, bool(question.get("reverse")))
        elif kind == q.YES_NO:
            answers[question["code"]] = rng.random() < 0.3
        elif kind == q.SINGLE:
            answers[question["code"]] = rng.choice(q.option_values(question))
        elif kind == q.MULTI:
            limit = question.get("max_choices") or 2
            answers[question["code"]] = rng.sample(q.option_values(question), rng.randint(1, limit))
        elif kind == q.TEXT and rng.random() < 0.15:
            answers[question["code"]] = rng.choice(
                ["服务不错，继续保持。", "希望价格更透明。", "办事效率还可以提高。"]
            )
    return answers


def load_survey_demo(per_survey: int, callbacks: int, seed: int) -> Counter[str]:
    """Published templates, `per_survey` open-link responses to each population survey over the last
    30 days, and call-back answers for up to `callbacks` replied, unrated demo cases."""
    rng = random.Random(seed)
    definitions.seed_templates()
    done: Counter[str] = Counter()
    end = utcnow()
    for slug in ("service-satisfaction", "government-work"):
        _survey, version = definitions.get_public_survey(slug)
        for index in range(per_survey):
            moment = end - timedelta(days=30) + timedelta(seconds=rng.uniform(0, 30 * 86400))
            with travel_to(moment):
                try:
                    responses.submit_open_response(
                        slug,
                        fake_answers(version.questions, rng),
                        locale="zh-CN" if rng.random() < 0.9 else "en",
                        # One in fifty comes back from the same browser: the monitor shows it as a repeat.
                        device_key=f"demo-{slug}-{index if rng.random() > 0.02 else 0}",
                    )
                    done[slug] += 1
                except Conflict:  # a full quota cell screens the respondent out, as it would on the page
                    done[f"{slug} screened out"] += 1
    done.update(_answer_callbacks(callbacks, rng))
    return done


def _answer_callbacks(limit: int, rng: random.Random) -> Counter[str]:
    done: Counter[str] = Counter()
    cases = db.session.scalars(
        select(Case)
        .where(Case.status == Status.REPLIED, Case.rated_at.is_(None), Case.replied_at.is_not(None))
        .order_by(Case.id)
        .limit(limit)
    ).all()
    for case in cases:
        moment: datetime = case.replied_at + timedelta(hours=25)
        if moment > utcnow():
            continue
        with travel_to(moment):
            link = callback.create_callback_invitation(case, moment)
            db.session.commit()
            if link is None:
                return done
            invitation = db.session.scalar(
                select(SurveyInvitation)
                .where(SurveyInvitation.case_id == case.id)
                .order_by(SurveyInvitation.id.desc())
                .limit(1)
            )
            rating = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
        with travel_to(moment + timedelta(hours=rng.uniform(0.2, 30))):
            answers = {"satisfaction": rating, "resolved": rating >= 3}
            if rating <= 2:
                answers["comment"] = "问题没有真正解决，希望再核实。"
            responses.submit_invited_response(token_for(invitation.nonce), answers)
        done["call-back answers"] += 1
    return done


def has_demo_responses() -> bool:
    """Whether any survey response exists (flask surveys demo --if-empty)."""
    return db.session.scalar(select(SurveyResponse.id).limit(1)) is not None
