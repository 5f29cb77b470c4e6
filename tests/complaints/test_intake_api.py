"""Public intake, tracking, idempotency and operator registration through the HTTP API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from complaints.models import Case, CaseEvent, IdempotencyKey, Notification
from core.clock import travel_to
from core.db import db
from tests.conftest import complaint_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


def count_cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def submit(client, body=None, **headers):
    return client.post(
        "/api/v1/complaints", json=body if body is not None else complaint_body(), headers=headers
    )


def test_submission_is_registered_with_deadline_event_and_notice(client):
    with travel_to(datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)):
        response = submit(client)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "registered"
    assert body["tracking_code"].startswith("QL-20260930-") and len(body["tracking_code"]) == 20
    assert len(body["access_key"]) == 16
    # 7 working days after 30 Sep 2026 skip the National Day week and count Sat 10 Oct.
    assert body["deadlines"]["acceptance_due_at"] == "2026-10-15T15:59:59+00:00"
    case = db.session.scalar(select(Case))
    assert case.access_key_hash != body["access_key"] and body["access_key"] not in case.access_key_hash
    assert case.complainant_mobile == "13800138000" and case.policy_version == 1
    event = db.session.scalar(select(CaseEvent))
    assert (event.action, event.to_state, event.actor_role) == ("register", "registered", "citizen")
    notice = db.session.scalar(select(Notification))
    assert (notice.template, notice.channel, notice.recipient) == ("receipt", "sms", "13800138000")


BAD_INPUTS = [
    ({"kind": "rumour"}, "kind"),
    ({"kind": None}, "kind"),
    ({"category_code": "NOPE"}, "category_code"),
    ({"region_code": "110101"}, "region_code"),
    ({"region_code": "35010"}, "region_code"),
    ({"hotline": "110"}, "hotline"),
    ({"title": "x" * 101}, "title"),
    ({"description": "短"}, "description"),
    ({"amount_involved": "-1.00"}, "amount_involved"),
    ({"amount_involved": "1.005"}, "amount_involved"),
    ({"amount_involved": "NaN"}, "amount_involved"),
    ({"latitude": 91}, "latitude"),
    ({"unexpected": 1}, "unexpected"),
    ({"complainant": {"name": "张三", "mobile": "12345"}}, "complainant.mobile"),
    (
        {"complainant": {"name": "张三", "mobile": "13800138000", "email": "not-an-email"}},
        "complainant.email",
    ),
    ({"complainant": {"name": "张三"}}, "complainant.mobile"),
    ({"complainant": {"mobile": "13800138000"}}, "complainant.name"),
    ({"respondent": {}}, "respondent.name"),
    ({"respondent": {"name": "店", "credit_code": "91350100M000100Y44"}}, "respondent.credit_code"),
    ({"respondent": {"name": "店", "credit_code": "123"}}, "respondent.credit_code"),
    ({"kind": "inquiry", "complainant": {}}, "complainant"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(client, change, field):
    response = submit(client, complaint_body(**change))
    assert response.status_code == 422, response.json
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert field in body["errors"], body["errors"]
    assert body["errors"][field] and all(isinstance(m, str) for m in body["errors"][field])
    assert count_cases() == 0
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_missing_complaint_fields_are_all_reported_at_once(client):
    response = submit(client, complaint_body(complainant={}, respondent={}))
    assert response.status_code == 422
    assert {"complainant.name", "complainant.mobile", "respondent.name"} <= set(response.json["errors"])


def test_broken_json_and_wrong_content_type_are_refused(client):
    broken = client.post("/api/v1/complaints", data="{not json", content_type="application/json")
    assert broken.status_code in (400, 422) and broken.json["code"] == broken.status_code
    form = client.post("/api/v1/complaints", data={"kind": "complaint"})
    assert form.status_code in (400, 415, 422)
    assert count_cases() == 0


def test_credit_code_override_is_accepted_and_logged(client):
    body = complaint_body(
        respondent={"name": "老字号", "credit_code": "91350100M000100Y44", "credit_code_override": True}
    )
    response = submit(client, body)
    assert response.status_code == 201
    event = db.session.scalar(select(CaseEvent))
    assert event.payload["credit_code_override"] == "91350100M000100Y44"
    assert db.session.scalar(select(Case)).respondent_credit_code_override is True


def test_mobile_with_country_code_is_normalised(client):
    response = submit(client, complaint_body(complainant={"name": "李四", "mobile": "+86 139-1234-5678"}))
    assert response.status_code == 201
    assert db.session.scalar(select(Case.complainant_mobile)) == "13912345678"


def test_report_may_be_anonymous(client):
    body = complaint_body(
        kind="report", complainant={}, respondent={"name": "无证药店"}, is_confidential=True
    )
    response = submit(client, body)
    assert response.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0  # nobody to notify


def test_tracking_needs_the_right_key_and_a_wrong_key_looks_like_an_unknown_code(client):
    created = submit(client).json
    code, key = created["tracking_code"], created["access_key"]
    ok = client.get(f"/api/v1/complaints/{code}", headers={"X-Access-Key": key})
    assert ok.status_code == 200
    assert ok.json["timeline"][0]["action"] == "register"
    assert "complainant" not in ok.json and "13800138000" not in ok.get_data(as_text=True)
    wrong = client.get(f"/api/v1/complaints/{code}", headers={"X-Access-Key": "X" * 16})
    unknown = client.get("/api/v1/complaints/QL-20260101-AAAAAAAA", headers={"X-Access-Key": key})
    missing = client.get(f"/api/v1/complaints/{code}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json == unknown.json == missing.json


def test_idempotency_key_returns_the_same_case(client):
    first = submit(client, **{"Idempotency-Key": "retry-1"})
    second = submit(client, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == second.status_code == 201
    assert first.json["tracking_code"] == second.json["tracking_code"]
    assert first.json["access_key"] == second.json["access_key"]
    assert count_cases() == 1
    # The replayed key still opens the case.
    tracked = client.get(
        f"/api/v1/complaints/{first.json['tracking_code']}",
        headers={"X-Access-Key": second.json["access_key"]},
    )
    assert tracked.status_code == 200


def test_idempotency_key_reused_for_another_body_is_refused(client):
    assert submit(client, **{"Idempotency-Key": "k"}).status_code == 201
    other = submit(client, complaint_body(title="另一件事情"), **{"Idempotency-Key": "k"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    assert count_cases() == 1
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1


def test_operator_registers_phone_case_including_incomplete_complaint(client, org):
    body = complaint_body(channel="phone", complainant={"name": "王五"}, respondent={})
    response = client.post("/api/v1/cases", json=body, headers=org.auth("operator"))
    assert response.status_code == 201
    code = response.json["tracking_code"]
    case = client.get(f"/api/v1/cases/{code}", headers=org.auth("dispatcher")).json
    assert case["is_incomplete"] is True and case["channel"] == "phone"
    refused = client.post(f"/api/v1/cases/{code}/actions/accept", json={}, headers=org.auth("dispatcher"))
    assert refused.status_code == 409 and "code 5" in refused.json["message"]
    rejected = client.post(
        f"/api/v1/cases/{code}/actions/reject",
        json={"reason_code": 5, "reason": "未留电话"},
        headers=org.auth("dispatcher"),
    )
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"


def test_urgent_phone_case_counts_hours(client, org):
    received = datetime(2026, 11, 20, 22, 0, tzinfo=SHANGHAI)  # Friday night
    with travel_to(received):
        response = client.post(
            "/api/v1/cases",
            json=complaint_body(channel="phone", priority="urgent"),
            headers=org.auth("operator"),
        )
    due = datetime.fromisoformat(response.json["deadlines"]["acceptance_due_at"])
    assert due == received + timedelta(hours=2)


def test_citizens_cannot_set_priority_or_operator_channels(client):
    assert submit(client, complaint_body(priority="urgent")).status_code == 422
    assert submit(client, complaint_body(channel="phone")).status_code == 422


def test_operator_intake_needs_a_case_role(client, org):
    assert client.post("/api/v1/cases", json=complaint_body()).status_code == 401
    assert client.post("/api/v1/cases", json=complaint_body(), headers=org.auth("handler")).status_code == 403
    assert client.post("/api/v1/cases", json=complaint_body(), headers=org.auth("analyst")).status_code == 403


def test_catalogues_are_public(client):
    categories = client.get("/api/v1/categories").json
    regions = client.get("/api/v1/regions").json
    assert {"code": "G0101", "parent_code": "G01"}.items() <= next(
        c for c in categories if c["code"] == "G0101"
    ).items()
    assert any(r["code"] == "350102" and r["name"] == "鼓楼区" for r in regions)
