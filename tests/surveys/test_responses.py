"""Public responses through the API: per-question 422s, stored answers, quotas, repeats, period, throttle."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.app import create_app
from core.clock import travel_to
from core.db import db
from core.web.extensions import limiter
from surveys.models import SurveyResponse
from surveys.services import definitions
from tests.surveys.conftest import VALID, choice, definition, likert, publish

URL = "/api/v1/surveys/every-type/responses"


def post(client, answers, **extra):
    return client.post(URL, json={"answers": answers, **extra})


def test_a_valid_response_is_stored_answer_by_answer(client, every_type):
    response = post(client, {**VALID, "many": "dont_know"}, locale="en")
    assert response.status_code == 201, response.json
    assert response.json["status"] == "complete" and response.json["is_duplicate"] is False
    stored = db.session.scalar(select(SurveyResponse))
    assert stored.channel == "link" and stored.locale == "en" and stored.version.number == 1
    answers = {a.question_code: a for a in stored.answers}
    assert answers["lik"].number == 4 and answers["s11"].number == 0
    assert answers["yn"].number == 1 and answers["yn"].value is True
    assert answers["one"].choice == "b" and answers["note"].text == "很好"
    assert answers["many"].dont_know and answers["many"].choices is None
    assert stored.answer_map()["many"] == "dont_know"


def test_every_invalid_answer_gets_its_own_error(client, every_type):
    bad = {
        "lik": 6,
        "s10": 0,
        "s11": "7",
        "yn": "yes",
        "one": "z",
        "many": ["a", "b", "c"],
        "nps": 11,
        "note": "这段意见远远超过了二十个字的长度限制，所以会被拒绝。",
        "ghost": 1,
    }
    response = post(client, bad)
    assert response.status_code == 422
    assert response.json["errors"] == {
        "answers.lik": ["Give a whole number from 1 to 5."],
        "answers.s10": ["Give a whole number from 1 to 10."],
        "answers.s11": ["Give a whole number from 0 to 10."],
        "answers.yn": ["Answer yes or no."],
        "answers.one": ["Choose one of the options."],
        "answers.many": ["Choose at most 2 options."],
        "answers.nps": ["Give a whole number from 0 to 10."],
        "answers.note": ["At most 20 characters."],
        "answers.ghost": ["Unknown question."],
    }
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    missing = post(client, {"lik": 3}).json["errors"]
    assert missing["answers.s10"] == ["This question needs an answer."] and "answers.many" not in missing
    assert post(client, "not an object").status_code == 422


def test_skip_logic_through_the_api(client, every_type):
    no_follow_up = {k: v for k, v in VALID.items() if k != "follow"}
    assert post(client, {**no_follow_up, "yn": False}).status_code == 201
    asked = post(client, {**no_follow_up, "yn": True})
    assert asked.json["errors"] == {"answers.follow": ["This question needs an answer."]}
    skipped = post(client, {**VALID, "yn": False})
    assert skipped.json["errors"] == {
        "answers.follow": ["This question is skipped for your earlier answers."]
    }


def test_drafts_and_unknown_surveys_are_404(client, ctx):
    definitions.create_survey("draft-only", definition(), None)
    assert client.get("/api/v1/surveys/draft-only").status_code == 404
    assert client.post("/api/v1/surveys/draft-only/responses", json={"answers": {"q1": 1}}).status_code == 404
    assert client.get("/api/v1/surveys/nothing-here").json["code"] == 404


QUOTA_SURVEY = definition(
    choice("sex", ["female", "male"], attribute="sex"),
    likert("q1"),
    quotas={"dimensions": ["sex"], "cells": [{"sex": "female", "target": 2}]},
)


def test_quotas_screen_out_full_cells(client, ctx):
    publish("quota-test", QUOTA_SURVEY)
    url = "/api/v1/surveys/quota-test/responses"
    for n in range(2):
        ok = client.post(url, json={"answers": {"sex": "female", "q1": 4}}, headers={"User-Agent": f"p{n}"})
        assert ok.status_code == 201
    full = client.post(url, json={"answers": {"sex": "female", "q1": 4}}, headers={"User-Agent": "p3"})
    assert full.status_code == 409 and "all the answers we need" in full.json["message"]
    # Cells the quota table does not list have no limit.
    for n in range(3):
        male = client.post(url, json={"answers": {"sex": "male", "q1": 2}}, headers={"User-Agent": f"m{n}"})
        assert male.status_code == 201
    cells = [r.quota_cell for r in db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))]
    assert cells == ["sex=female"] * 2 + ["sex=male"] * 3
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 5


def test_repeats_from_one_device_are_flagged_not_dropped(client, every_type):
    first = post(client, VALID)
    again = post(client, VALID)
    other = client.post(URL, json={"answers": VALID}, headers={"User-Agent": "another phone"})
    assert [r.status_code for r in (first, again, other)] == [201, 201, 201]
    assert (first.json["is_duplicate"], again.json["is_duplicate"], other.json["is_duplicate"]) == (
        False,
        True,
        False,
    )
    duplicate = db.session.get(SurveyResponse, again.json["id"])
    assert duplicate.duplicate_of_id == first.json["id"]
    assert duplicate.device_hash and "127.0.0.1" not in duplicate.device_hash  # keyed hash, not the address


def test_respondent_attributes_for_weighting(client, every_type):
    body = {"district": "350102", "age_group": "30-39", "sex": "female"}
    response = post(client, VALID, respondent=body)
    stored = db.session.get(SurveyResponse, response.json["id"])
    assert (stored.district, stored.age_group, stored.sex) == ("350102", "30-39", "female")
    wrong = post(client, VALID, respondent={"district": "999999", "age_group": "teen"})
    assert set(wrong.json["errors"]) == {"respondent.age_group"}
    unknown = post(client, VALID, respondent={"district": "999999"})
    assert unknown.json["errors"] == {"respondent.district": ["Unknown district."]}


def test_fieldwork_period_bounds_responses(client, ctx):
    publish("q4-survey", definition(period={"label": "2026Q4", "start": "2026-10-01", "end": "2026-12-31"}))
    url = "/api/v1/surveys/q4-survey/responses"
    shanghai = ZoneInfo("Asia/Shanghai")
    with travel_to(datetime(2026, 9, 30, 23, 59, tzinfo=shanghai)):
        assert (
            client.post(url, json={"answers": {"q1": 3}}).json["message"] == "this survey has not started yet"
        )
    with travel_to(datetime(2026, 12, 31, 23, 59, tzinfo=shanghai)):
        assert client.post(url, json={"answers": {"q1": 3}}).status_code == 201
    with travel_to(datetime(2027, 1, 1, 0, 1, tzinfo=shanghai)):
        assert client.post(url, json={"answers": {"q1": 3}}).json["message"] == "this survey has ended"


def test_open_link_answers_are_throttled_per_address(tmp_path):
    # core.web.extensions.limiter is one object for every app: give the session app its setting back.
    enabled = limiter.enabled
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
                "RATELIMIT_ENABLED": True,
                "SURVEY_RESPONSE_RATE_LIMIT": "2 per minute",
            }
        )
        with app.app_context():
            db.create_all(bind_key=None)  # a throwaway database for this app only (no replica bind)
        client = app.test_client()
        url = "/api/v1/surveys/none/responses"
        statuses = [client.post(url, json={"answers": {}}).status_code for _ in range(3)]
        assert statuses == [404, 404, 429]
    finally:
        limiter.enabled = enabled
