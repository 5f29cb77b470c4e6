"""Survey definitions through the API: checks, versions (a published version never changes), roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import Conflict
from surveys.models import SurveyResponse, SurveyVersion
from surveys.services import definitions
from tests.surveys.conftest import choice, definition, likert


def test_the_three_templates_are_published_under_their_slugs(client, templates):
    assert set(templates) == {"hotline-callback", "service-satisfaction", "government-work"}
    for slug in templates:
        body = client.get(f"/api/v1/surveys/{slug}").json
        assert body["status"] == "open" and body["version"] == 1 and body["languages"] == ["zh-CN", "en"]
        assert all(question["text"]["en"] for question in body["questions"])
    callback = client.get("/api/v1/surveys/hotline-callback").json
    assert [q["type"] for q in callback["questions"]] == ["likert5", "yes_no", "text"]
    assert callback["questions"][0]["point_labels"][0]["zh-CN"] == "非常不满意"
    # Seeding again keeps what is there.
    assert set(definitions.seed_templates().values()) == {"kept (open, version 1)"}


def test_acsi_template_maps_scored_questions_to_constructs(templates):
    _survey, version = templates["service-satisfaction"]
    scored = [q for q in version.questions if q.get("construct")]
    assert {q["construct"] for q in scored} == {
        "image", "expectation", "perceived_quality", "perceived_value", "satisfaction", "complaint", "loyalty"
    }  # fmt: skip
    assert all(q["indicator"] for q in scored)
    assert any(q.get("reverse") for q in scored) and any(q.get("dont_know") for q in scored)
    assert any(q.get("show_if") for q in version.questions)
    assert {"indicator": "SAT", "op": ">=", "value": 80} in version.definition["targets"]
    margins = version.definition["weighting"]["margins"]
    assert set(margins) == {"district", "age_group", "sex"}
    assert (
        sum(margins["district"].values())
        == sum(margins["sex"].values())
        == sum(margins["age_group"].values())
    )
    assert version.definition["quotas"]["dimensions"] == ["district"]


def test_create_publish_close_reopen_through_the_api(client, org):
    admin = org.auth("admin")
    created = client.post(
        "/api/v1/surveys", json={"slug": "street-lights", "definition": definition()}, headers=admin
    )
    assert (
        created.status_code == 201
        and created.json["status"] == "draft"
        and created.json["draft_version"] == 1
    )
    assert client.get("/api/v1/surveys/street-lights").status_code == 404  # drafts are not public
    published = client.post("/api/v1/surveys/street-lights/publish", headers=admin).json
    assert published["status"] == "open" and published["published_version"] == 1
    assert client.post("/api/v1/surveys/street-lights/publish", headers=admin).status_code == 409
    assert client.post("/api/v1/surveys/street-lights/close", headers=admin).json["status"] == "closed"
    closed = client.post("/api/v1/surveys/street-lights/responses", json={"answers": {"q1": 4}})
    assert closed.status_code == 409 and closed.json["message"] == "this survey is closed"
    assert client.post("/api/v1/surveys/street-lights/reopen", headers=admin).json["status"] == "open"
    taken = client.post(
        "/api/v1/surveys", json={"slug": "street-lights", "template": "government-work"}, headers=admin
    )
    assert taken.status_code == 409


def test_roles_guard_the_definition_api(client, org):
    body = {"slug": "x-survey", "template": "government-work"}
    assert client.post("/api/v1/surveys", json=body).status_code == 401
    for user in ("analyst", "supervisor", "dispatcher"):
        assert client.post("/api/v1/surveys", json=body, headers=org.auth(user)).status_code == 403
    assert client.post("/api/v1/surveys", json=body, headers=org.auth("admin")).status_code == 201
    assert client.get("/api/v1/surveys", headers=org.auth("analyst")).status_code == 200
    assert client.get("/api/v1/surveys", headers=org.auth("handler")).status_code == 403


def test_bad_definitions_are_refused_field_by_field(client, org):
    admin = org.auth("admin")

    def errors_of(body):
        response = client.post("/api/v1/surveys", json={"slug": "bad-one", "definition": body}, headers=admin)
        assert response.status_code == 422
        return response.json["errors"]

    # Each question on its own first ...
    two = [{"value": "a", "label": {"zh-CN": "甲"}}, {"value": "b", "label": {"zh-CN": "乙"}}]
    errors = errors_of(
        definition(
            likert("q1"),
            {"code": "c", "type": "single", "text": {"zh-CN": "?"}, "options": two[:1]},
            {"code": "t", "type": "text", "text": {"zh-CN": "?"}, "reverse": True},
            likert("half", construct="satisfaction"),
            likert("Bad Code"),
        )
    )
    assert errors == {
        "questions.1.options": ["give at least two options"],
        "questions.2.reverse": ["not used by this type of question"],
        "questions.3.indicator": ["a scored question needs both a construct and an indicator code"],
        "questions.4.code": ["lower-case letters, digits and _, at most 32"],
    }
    # ... then how they fit together.
    errors = errors_of(
        definition(
            likert("q1"),
            likert("q1"),
            likert("later", show_if={"question": "z", "in": [1]}),
            likert("neg", show_if={"question": "q1", "in": [True]}),
            {"code": "t", "type": "text", "text": {"zh-CN": "?"}},
            targets=[{"indicator": "NOPE", "value": 80}],
            quotas={"dimensions": ["sex"], "cells": [{"sex": "female", "target": 5}]},
            case_feedback={"rating": "t"},
            languages=["zh-CN", "en"],
        )
    )
    assert errors["questions.1.code"] == ["another question has this code"]
    assert errors["questions.2.show_if"] == ["must refer to an earlier question"]
    assert errors["questions.3.show_if"] == ["values must be possible answers of that question"]
    assert errors["questions.0.text"] == ["give the text and option labels in every language of the survey"]
    assert errors["targets.0.indicator"] == ["no question measures this indicator"]
    assert errors["quotas.dimensions"] == ["a quota dimension needs a question asking for it"]
    assert errors["case_feedback.rating"] == ["must name a Likert 1–5 question"]
    unknown_district = definition(choice("d", ["350102", "999999"], attribute="district"))
    assert errors_of(unknown_district) == {"questions.0.options": ["unknown GB/T 2260 codes: 999999"]}


def test_a_published_version_is_immutable_and_edits_make_a_new_version(client, org):
    admin = org.auth("admin")
    client.post("/api/v1/surveys", json={"slug": "parks", "definition": definition()}, headers=admin)
    client.post("/api/v1/surveys/parks/publish", headers=admin)
    assert client.post("/api/v1/surveys/parks/responses", json={"answers": {"q1": 4}}).status_code == 201

    changed = definition(likert("q1", construct="satisfaction", indicator="SAT"), likert("q2"))
    draft = client.put("/api/v1/surveys/parks/draft", json={"definition": changed}, headers=admin)
    assert draft.status_code == 200 and draft.json["number"] == 2 and draft.json["published_at"] is None
    # Editing the draft again changes version 2, not a third version.
    again = client.put("/api/v1/surveys/parks/draft", json={"definition": changed}, headers=admin)
    assert again.json["number"] == 2
    # Respondents still get version 1 until version 2 is published.
    assert client.get("/api/v1/surveys/parks").json["version"] == 1
    client.post("/api/v1/surveys/parks/publish", headers=admin)
    assert client.get("/api/v1/surveys/parks").json["version"] == 2
    assert (
        client.post("/api/v1/surveys/parks/responses", json={"answers": {"q1": 4}}).status_code == 422
    )  # q2

    versions = client.get("/api/v1/surveys/parks/versions", headers=admin).json
    assert [len(v["definition"]["questions"]) for v in versions] == [1, 2]
    first = db.session.scalar(select(SurveyVersion).where(SurveyVersion.number == 1))
    assert [r.version_id for r in db.session.scalars(select(SurveyResponse))] == [first.id]
    # Neither the model nor a raw assignment may rewrite a published definition.
    with pytest.raises(Conflict):
        first.replace_definition(changed)
    first.definition = changed
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    assert len(db.session.get(SurveyVersion, first.id).definition["questions"]) == 1
