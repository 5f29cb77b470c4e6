"""The whole case lifecycle through POST /cases/<code>/actions/<action>: states, roles, departments."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from complaints.models import CaseEvent, Notification, Rectification
from core.clock import travel_to
from core.db import db
from tests.conftest import complaint_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Flow:
    """Drives one case through the API as the right people."""

    def __init__(self, client, org, **overrides):
        self.client, self.org = client, org
        created = client.post("/api/v1/complaints", json=complaint_body(**overrides)).json
        self.code, self.key = created["tracking_code"], created["access_key"]

    def act(self, action, user, body=None, expect=200):
        response = self.client.post(
            f"/api/v1/cases/{self.code}/actions/{action}", json=body or {}, headers=self.org.auth(user)
        )
        assert response.status_code == expect, (action, user, response.json)
        return response.json

    def get(self, user="supervisor"):
        return self.client.get(f"/api/v1/cases/{self.code}", headers=self.org.auth(user))

    def to_in_progress(self):
        self.act("accept", "dispatcher")
        self.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
        self.act("sign", "handler")
        return self

    def to_replied(self):
        self.to_in_progress()
        self.act(
            "reply",
            "handler",
            {"outcome": "resolved", "reply": "已调解，商家退款。", "loss_recovered": "299.00"},
        )
        return self

    def rate(self, rating, resolved=True, comment=None):
        return self.client.post(
            f"/api/v1/complaints/{self.code}/rating",
            json={"rating": rating, "resolved": resolved, "comment": comment},
            headers={"X-Access-Key": self.key},
        )


def test_happy_path_from_registration_to_close(client, org):
    flow = Flow(client, org)
    accepted = flow.act("accept", "dispatcher")
    assert accepted["status"] == "accepted" and accepted["deadlines"]["handling_due_at"]
    routed = client.get(f"/api/v1/cases/{flow.code}/routing", headers=org.auth("dispatcher"))
    assert routed.status_code == 200 and routed.json["code"] == "GL-SCJG"
    assigned = flow.act("assign", "dispatcher")  # no department given: the routing suggestion is used
    assert assigned["status"] == "assigned" and assigned["department_code"] == "GL-SCJG"
    assert flow.act("sign", "handler")["status"] == "in_progress"
    replied = flow.act(
        "reply", "handler", {"outcome": "resolved", "reply": "商家已退款", "loss_recovered": "299.00"}
    )
    assert replied["status"] == "replied" and replied["loss_recovered"] == "299.00"
    refused = flow.act("close", "operator", expect=409)
    assert refused["code"] == 409 and "feedback" in refused["message"]
    flow.act("feedback", "operator", {"channel": "phone", "note": "电话告知处理结果"})
    closed = flow.act("close", "operator")
    assert closed["status"] == "closed" and closed["closed_at"] and closed["deadlines"]["next_due_at"] is None
    events = client.get(f"/api/v1/cases/{flow.code}/events", headers=org.auth("supervisor")).json
    assert [e["action"] for e in events] == [
        "register",
        "accept",
        "assign",
        "sign",
        "reply",
        "feedback",
        "close",
    ]
    assert [e["seq"] for e in events] == list(range(1, 8))
    templates = set(db.session.scalars(select(Notification.template)))
    assert {"receipt", "accepted", "replied"} <= templates


def test_deadlines_come_from_the_policy_and_the_calendar(client, org):
    with travel_to(datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)):
        flow = Flow(client, org, kind="inquiry", respondent={})
        accepted = flow.act("accept", "dispatcher")
    # Inquiry: 3 working days from acceptance on Tue 29 Sep -> 30 Sep, 8 Oct, 9 Oct.
    assert accepted["deadlines"]["handling_due_at"] == "2026-10-09T15:59:59+00:00"


def test_policy_versions_apply_to_new_cases_only(client, org):
    old = Flow(client, org)
    response = client.post(
        "/api/v1/policies", json={"rules": {"acceptance_wd": 3}, "note": "faster"}, headers=org.auth("admin")
    )
    assert response.status_code == 201 and response.json["version"] == 2
    new = Flow(client, org)
    assert old.get().json["policy_version"] == 1 and new.get().json["policy_version"] == 2
    old_due = datetime.fromisoformat(old.get().json["deadlines"]["acceptance_due_at"])
    new_due = datetime.fromisoformat(new.get().json["deadlines"]["acceptance_due_at"])
    assert new_due < old_due
    bad = client.post("/api/v1/policies", json={"rules": {"acceptance_wd": 0}}, headers=org.auth("admin"))
    assert bad.status_code == 422 and "rules.acceptance_wd" in bad.json["errors"]


def test_reject_transfer_and_merge(client, org):
    rejected = Flow(client, org)
    body = rejected.act("reject", "dispatcher", {"reason_code": 3, "reason": "经营性购买"})
    assert body["status"] == "rejected" and body["rejection_code"] == 3
    assert rejected.act("reject", "dispatcher", {"reason_code": 7, "reason": "x"}, expect=422)["errors"][
        "reason_code"
    ]
    transferred = Flow(client, org)
    assert (
        transferred.act("transfer", "dispatcher", {"to": "福州市公安局", "reason": "涉嫌诈骗"})["status"]
        == "transferred"
    )
    transferred.act("feedback", "operator", {"channel": "sms"})
    assert transferred.act("close", "dispatcher")["status"] == "closed"
    original, duplicate = Flow(client, org), Flow(client, org)
    merged = duplicate.act("merge", "dispatcher", {"into": original.code})
    assert merged["status"] == "merged" and merged["duplicate_of"] == original.code
    assert Flow(client, org).act("merge", "dispatcher", {"into": duplicate.code}, expect=409)
    assert Flow(client, org).act("merge", "dispatcher", {"into": "QL-NOPE"}, expect=422)["errors"]["into"]


def test_return_goes_back_to_dispatch_within_the_window(client, org):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)  # Monday
    with travel_to(start):
        flow = Flow(client, org)
        flow.act("accept", "dispatcher")
        flow.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    with travel_to(start + timedelta(days=1)):
        returned = flow.act("return", "handler", {"reason": "不属于本辖区"})
    assert (
        returned["status"] == "accepted"
        and returned["department_code"] is None
        and returned["return_count"] == 1
    )
    with travel_to(start + timedelta(days=1, hours=1)):
        flow.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    with travel_to(start + timedelta(days=5)):  # Sat 28 Nov: past the 2-working-day window (ends Wed)
        late = flow.act("return", "handler", {"reason": "太晚"}, expect=409)
    assert "window" in late["message"]
    assert flow.act("return", "handler", {}, expect=422)["errors"]["reason"]


def test_extension_request_and_approval_move_the_deadline(client, org):
    flow = Flow(client, org, kind="report", respondent={"name": "无证药店"})
    flow.to_in_progress()
    before = datetime.fromisoformat(flow.get().json["deadlines"]["handling_due_at"])
    flow.act("extend", "handler", {"days": 16, "reason": "需检测"}, expect=422)  # reports: at most 15
    flow.act("extend", "handler", {"days": 15, "reason": "需送检"})
    assert flow.get().json["pending_extension_days"] == 15
    flow.act("approve_extension", "handler", expect=403)
    approved = flow.act("approve_extension", "supervisor")
    after = datetime.fromisoformat(approved["deadlines"]["handling_due_at"])
    assert after - before >= timedelta(days=15 * 7 / 5 - 1) and approved["extended_days"] == 15
    flow.act("approve_extension", "supervisor", expect=409)


def test_urge_keeps_state_and_counts(client, org):
    flow = Flow(client, org).to_in_progress()
    urged = flow.act("urge", "supervisor", {"note": "请于今日答复"})
    assert urged["status"] == "in_progress" and urged["urge_count"] == 1
    flow.act("urge", "dispatcher", {"note": "x"}, expect=403)


def test_handlers_see_and_act_only_on_their_department(client, org):
    flow = Flow(client, org)
    flow.act("accept", "dispatcher")
    flow.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    assert flow.get("handler").status_code == 200
    hidden = flow.get("other_handler")
    assert hidden.status_code == 404 and hidden.json["code"] == 404
    flow.act("sign", "other_handler", expect=404)
    assert (
        client.get(f"/api/v1/cases/{flow.code}/events", headers=org.auth("other_handler")).status_code == 404
    )
    listed = client.get("/api/v1/cases", headers=org.auth("other_handler")).json["items"]
    assert flow.code not in [c["tracking_code"] for c in listed]
    flow.act("sign", "handler")


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("accept", {"dispatcher", "supervisor", "admin"}),
        ("reply", {"handler", "supervisor", "admin"}),
        ("reopen", {"supervisor", "admin"}),
        ("feedback", {"operator", "dispatcher", "handler", "supervisor", "admin"}),
    ],
)
def test_role_checks_on_actions(client, org, action, allowed):
    for user in ("operator", "dispatcher", "handler", "supervisor", "admin", "analyst"):
        flow = Flow(client, org)
        if action in ("reply", "reopen", "feedback"):
            flow.to_in_progress()
        if action in ("reopen", "feedback"):
            flow.act("reply", "handler", {"outcome": "resolved", "reply": "ok"})
        bodies = {
            "reply": {"outcome": "resolved", "reply": "ok"},
            "reopen": {"reason": "复查"},
            "feedback": {"channel": "sms"},
        }
        expected = 200 if user in allowed else 403
        flow.act(action, user, bodies.get(action), expect=expected)


def test_illegal_transitions_are_409_and_change_nothing(client, org):
    flow = Flow(client, org)
    before = db.session.scalar(select(func.count()).select_from(CaseEvent))
    body = flow.act("sign", "supervisor", expect=409)
    assert body["status"] == "Conflict" and "registered" in body["message"]
    flow.act("reply", "supervisor", {"outcome": "resolved", "reply": "x"}, expect=409)
    flow.act("reopen", "supervisor", {"reason": "x"}, expect=409)
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == before
    assert flow.get().json["status"] == "registered"


def test_action_errors(client, org):
    flow = Flow(client, org)
    assert client.post(f"/api/v1/cases/{flow.code}/actions/accept", json={}).status_code == 401
    bad_token = client.post(
        f"/api/v1/cases/{flow.code}/actions/accept", json={}, headers={"Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401 and bad_token.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        client.post(
            "/api/v1/cases/QL-NOPE/actions/accept", json={}, headers=org.auth("dispatcher")
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/cases/{flow.code}/actions/explode", json={}, headers=org.auth("dispatcher")
        ).status_code
        == 404
    )
    flow.act("accept", "dispatcher", {"surprise": True}, expect=422)
    flow.act("accept", "dispatcher")
    flow.act("assign", "dispatcher", {"department_code": "NOPE"}, expect=404)


def test_good_rating_records_feedback_and_closes(client, org):
    flow = Flow(client, org).to_replied()
    response = flow.rate(5, comment="很满意")
    assert (
        response.status_code == 200 and response.json["status"] == "closed" and response.json["rating"] == 5
    )
    assert flow.rate(4).status_code == 409  # one rating per reply
    actions = [e["action"] for e in response.json["timeline"]]
    assert actions[-3:] == ["rate", "feedback", "close"]


def test_bad_rating_opens_rectification_and_reopens(client, org):
    flow = Flow(client, org).to_replied()
    response = flow.rate(2, resolved=False, comment="问题没有解决")
    assert response.status_code == 200 and response.json["status"] == "in_progress"
    task = db.session.scalar(select(Rectification))
    assert task.status == "open" and task.rating == 2
    case = flow.get().json
    assert case["reopen_count"] == 1 and case["rating"] == 2
    flow.act("reply", "handler", {"outcome": "resolved", "reply": "已重新处理"})
    db.session.expire_all()
    assert db.session.scalar(select(Rectification)).status == "reported"
    assert flow.rate(5).json["status"] == "closed"


def test_bad_rating_without_reopen_policy_keeps_the_case(client, org):
    client.post(
        "/api/v1/policies", json={"rules": {"reopen_on_bad_rating": False}}, headers=org.auth("admin")
    )
    flow = Flow(client, org).to_replied()
    response = flow.rate(1, resolved=False)
    assert response.json["status"] == "replied"
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 1


def test_rating_errors(client, org):
    flow = Flow(client, org)
    assert flow.rate(5).status_code == 409  # not replied yet
    flow.to_replied()
    assert flow.rate(6).status_code == 422
    assert flow.rate(0).status_code == 422
    wrong = client.post(
        f"/api/v1/complaints/{flow.code}/rating",
        json={"rating": 5, "resolved": True},
        headers={"X-Access-Key": "wrong"},
    )
    assert wrong.status_code == 404


def test_supervisor_reopens_a_closed_case(client, org):
    flow = Flow(client, org).to_replied()
    flow.act("feedback", "operator", {"channel": "phone"})
    flow.act("close", "operator")
    reopened = flow.act("reopen", "supervisor", {"reason": "回访发现未解决"})
    assert (
        reopened["status"] == "in_progress"
        and reopened["closed_at"] is None
        and reopened["reopen_count"] == 1
    )


def test_confidential_reporter_hidden_from_handlers(client, org):
    flow = Flow(
        client,
        org,
        kind="report",
        is_confidential=True,
        complainant={"name": "举报人甲", "mobile": "13700001111"},
        respondent={"name": "某工厂"},
    )
    flow.act("accept", "dispatcher")
    flow.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    as_handler = flow.get("handler")
    assert as_handler.json["complainant"] == {
        "name": None,
        "mobile": None,
        "email": None,
        "hidden": True,
        "masked": False,
    }
    assert "13700001111" not in as_handler.get_data(as_text=True)
    assert "举报人甲" not in as_handler.get_data(as_text=True)
    listing = client.get("/api/v1/cases", headers=org.auth("dispatcher")).get_data(as_text=True)
    assert "13700001111" not in listing and "1370000" not in listing
    assert flow.get("supervisor").json["complainant"]["mobile"] == "13700001111"


def test_allowed_actions_follow_state_and_role(client, org):
    flow = Flow(client, org)
    assert set(flow.get("dispatcher").json["allowed_actions"]) == {"accept", "reject", "transfer", "merge"}
    assert flow.get("operator").json["allowed_actions"] == []


def test_actions_without_a_body_work(client, org):
    flow = Flow(client, org)
    response = client.post(f"/api/v1/cases/{flow.code}/actions/accept", headers=org.auth("dispatcher"))
    assert response.status_code == 200 and response.json["status"] == "accepted"


def test_local_calendar_override_moves_deadlines(client, org):
    received = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # Friday
    with travel_to(received):
        before = Flow(client, org, kind="inquiry", respondent={}).act("accept", "dispatcher")
    # Inquiry: 3 WD -> Mon 23, Tue 24, Wed 25 Nov.
    assert before["deadlines"]["handling_due_at"] == "2026-11-25T15:59:59+00:00"
    declared = client.post(
        "/api/v1/calendar/overrides",
        json={"day": "2026-11-24", "is_workday": False, "note": "台风停工"},
        headers=org.auth("admin"),
    )
    assert declared.status_code == 201
    assert (
        client.post(
            "/api/v1/calendar/overrides",
            json={"day": "2026-11-24", "is_workday": False},
            headers=org.auth("supervisor"),
        ).status_code
        == 403
    )
    with travel_to(received):
        after = Flow(client, org, kind="inquiry", respondent={}).act("accept", "dispatcher")
    assert after["deadlines"]["handling_due_at"] == "2026-11-26T15:59:59+00:00"
    listed = client.get("/api/v1/calendar/overrides", headers=org.auth("supervisor")).json
    assert listed == [{"day": "2026-11-24", "is_workday": False, "note": "台风停工"}]


def test_routing_prefers_the_most_specific_rule(client, org):
    admin = org.auth("admin")
    flow = Flow(client, org, kind="help", category_code="P01", respondent={}, title="停水")
    route = lambda: client.get(f"/api/v1/cases/{flow.code}/routing", headers=org.auth("dispatcher"))  # noqa: E731
    assert route().json["code"] == "FZ-SW"  # city-wide rule for P01
    created = client.post(
        "/api/v1/routing-rules",
        json={"category_prefix": "P01", "region_code": "350102", "department_code": "GL-SCJG"},
        headers=admin,
    )
    assert created.status_code == 201 and created.json["department_code"] == "GL-SCJG"
    assert route().json["code"] == "GL-SCJG"  # same prefix, region match wins
    bad = client.post(
        "/api/v1/routing-rules", json={"category_prefix": "ZZ", "department_code": "GL-SCJG"}, headers=admin
    )
    assert bad.status_code == 422 and "category_prefix" in bad.json["errors"]
    assert (
        client.post(
            "/api/v1/routing-rules",
            json={"category_prefix": "P", "department_code": "GL-SCJG"},
            headers=org.auth("dispatcher"),
        ).status_code
        == 403
    )
    unrouted = Flow(client, org, kind="inquiry", category_code="A03", respondent={})
    assert (
        client.get(f"/api/v1/cases/{unrouted.code}/routing", headers=org.auth("dispatcher")).status_code
        == 404
    )
    unrouted.act("accept", "dispatcher")
    assert "department_code" in unrouted.act("assign", "dispatcher", {}, expect=422)["errors"]
