"""A GeoReport v2 client's whole journey: list services, post with its api_key, follow the case to
closure through requests/<id> and servicerequestupdates, and post its own updates (mySociety)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from complaints.models import Case, CaseEvent, Notification
from complaints.services.audit import verify_audit_chain
from core.clock import travel_to
from core.db import db
from open311.models import Open311Update
from open311.services.keys import create_api_key
from tests.open311 import schemas
from tests.open311.conftest import GeoReport, request_form

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, 9, 0, tzinfo=SHANGHAI)  # a Monday


def _act(client, org, code, action, user, body=None):
    response = client.post(f"/api/v1/cases/{code}/actions/{action}", json=body or {}, headers=org.auth(user))
    assert response.status_code == 200, response.json


def _state(geo, code):
    request = geo.get(f"requests/{code}", schemas.REQUESTS)[0]
    return request["status"], request["status_notes"]


def test_a_client_follows_its_request_to_closure(geo, client, org):
    with travel_to(START):
        assert "P01" in {s["service_code"] for s in geo.get("services", schemas.SERVICES)}
        code = geo.post("requests", schemas.POST_RESPONSE, **request_form()).json[0]["service_request_id"]
        assert _state(geo, code) == ("open", "已登记，待受理（registered）")
    steps = [
        ("accept", "dispatcher", {}, "investigating"),
        ("assign", "dispatcher", {"department_code": "FZ-SW"}, "action_scheduled"),
        ("sign", "supervisor", {}, "in_progress"),
        ("reply", "supervisor", {"outcome": "resolved", "reply": "已修复管道"}, "fixed"),
        ("feedback", "operator", {"channel": "phone"}, "fixed"),
        ("close", "operator", {}, "fixed"),
    ]
    for hour, (action, user, body, _) in enumerate(steps, start=1):
        with travel_to(START + timedelta(hours=hour)):
            _act(client, org, code, action, user, body)
    with travel_to(START + timedelta(days=1)):
        request = geo.get(f"requests/{code}", schemas.REQUESTS)[0]
        assert request["status"] == "closed"
        assert request["status_notes"] == "已办结（closed）；办理结果：已解决（resolved）"
        assert request["agency_responsible"] == "福州水务集团"
        assert request["updated_datetime"] == "2026-09-07T15:00:00+08:00"  # closed at hour 6
        assert request["expected_datetime"].startswith("2026-09-14T23:59:59")  # help: 5 working days
        updates = geo.get("servicerequestupdates", schemas.UPDATES)
        assert [(u["external_status_code"], u["status"]) for u in updates] == [("register", "open")] + [
            (action, status) for action, _, _, status in steps
        ]
        assert updates[2]["description"] == "已派单（assigned）：福州水务集团"
        assert updates[4]["description"] == "已答复（replied）：已解决"
        window = geo.get(
            "servicerequestupdates",
            start_date="2026-09-07T11:30:00+08:00",
            end_date="2026-09-07T13:30:00+08:00",
        )
        assert [u["external_status_code"] for u in window] == ["sign", "reply"]
        assert len(geo.get("servicerequestupdates", page_size=2, page=2)) == 2


def test_a_partner_update_on_a_replied_case_is_the_citizens_feedback(geo, client, org):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    for action, user, body in [
        ("accept", "dispatcher", {}),
        ("assign", "dispatcher", {"department_code": "FZ-SW"}),
        ("sign", "supervisor", {}),
        ("reply", "supervisor", {"outcome": "resolved", "reply": "已修复"}),
    ]:
        _act(client, org, code, action, user, body)
    answer = geo.post(
        "servicerequestupdates", schemas.UPDATE_POST_RESPONSE, service_request_id=code, update_id="fms-77",
        status="FIXED", description="确认已经来水了", email="zhang@example.com", first_name="三",
    ).json  # fmt: skip
    case = db.session.scalar(select(Case).where(Case.tracking_code == code))
    assert case.status == "closed" and case.feedback_channel == "open311"
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert [e.action for e in events][-3:] == ["citizen_update", "feedback", "close"]
    update_event = events[-3]
    assert answer == [{"update_id": str(update_event.id)}]
    assert update_event.reason == "确认已经来水了" and update_event.payload["status"] == "fixed"
    assert "zhang@example.com" not in str(update_event.payload)
    # The same update_id again: the first answer, nothing applied twice.
    again = geo.post(
        "servicerequestupdates", service_request_id=code, update_id="fms-77", description="重复"
    ).json
    assert again == answer
    assert len(db.session.scalars(select(Open311Update)).all()) == 1
    # Staff are told; the partner's own update is not echoed back as a public step.
    notice = db.session.scalar(select(Notification).where(Notification.template == "open311_update"))
    assert notice.channel == "in_app" and notice.recipient == "role:operator"
    assert "citizen_update" not in {u["external_status_code"] for u in geo.get("servicerequestupdates")}
    assert geo.get(f"requests/{code}")[0]["status"] == "closed"
    assert verify_audit_chain()[1] == []


def test_an_open_update_on_an_open_case_only_informs_staff(geo):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    geo.post("servicerequestupdates", service_request_id=code, status="open", description="水管还在漏")
    case = db.session.scalar(select(Case).where(Case.tracking_code == code))
    assert case.status == "registered"
    notice = db.session.scalar(select(Notification).where(Notification.template == "open311_update"))
    assert notice.recipient == "role:dispatcher"


def test_a_partner_cannot_update_another_partners_request(geo, client):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    other = GeoReport(client, create_api_key("someone else")[1])
    body = other.post_both("servicerequestupdates", 404, service_request_id=code, description="冒充")
    assert body[0]["code"] == 404
    rotated = GeoReport(client, create_api_key("FixMyStreet 福州", "rotated key")[1])
    rotated.post("servicerequestupdates", service_request_id=code, description="同一合作方的新密钥")
