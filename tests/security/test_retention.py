"""Retention: QUALITYLINE_RETENTION_DAYS after a case ended its citizen's name, phone, e-mail and free
text are gone from every table (case, outbox, audit reasons, call-back survey, Open311 request), while the
KPIs and the 100 % ledger come out the same, open and recently closed cases keep theirs, the run is
idempotent and every audit chain still verifies."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import func, select, update

from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.services.ledger import list_breaches
from complaints import jobs
from complaints.models import Case, CaseEvent, IdempotencyKey, Rectification
from complaints.services.audit import GENESIS_HASH, event_digest, verify_audit_chain
from complaints.services.intake import find_case_by_code
from core.db import db, utcnow
from open311.models import Open311Request
from open311.services.keys import create_api_key
from surveys.services.callback import create_callback_invitation
from surveys.services.definitions import seed_templates
from tests.conftest import complaint_body

OLD = {"name": "王秘密", "mobile": "13912345678", "email": "wang.secret@example.com"}
KEPT = {"name": "李保留", "mobile": "13700001111", "email": "li.keep@example.com"}
GROUPS = ("none", "department", "region", "category", "channel", "kind")


class Flow:
    """One case driven through the API, with the citizen's identity planted in every free-text field."""

    def __init__(self, client, org, who: dict[str, str], key: str | None = None):
        self.client, self.org, self.who = client, org, who
        body = complaint_body(
            title=f"{who['name']}的电水壶漏电",
            description=f"我是{who['name']}，电话{who['mobile']}，水壶漏电。",
            address=f"鼓楼区{who['name']}家",
            latitude=26.08,
            longitude=119.3,
            complainant=dict(who),
        )
        headers = {"Idempotency-Key": key} if key else {}
        created = client.post("/api/v1/complaints", json=body, headers=headers).json
        self.code, self.key = created["tracking_code"], created["access_key"]

    def act(self, action, user, body=None):
        response = self.client.post(
            f"/api/v1/cases/{self.code}/actions/{action}", json=body or {}, headers=self.org.auth(user)
        )
        assert response.status_code == 200, (action, response.json)

    def to_replied(self):
        self.act("accept", "dispatcher")
        self.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
        self.act("sign", "handler")
        self.act("contact", "handler", {"channel": "phone", "note": f"已致电{self.who['mobile']}"})
        self.reply()
        return self

    def reply(self):
        text = f"已联系{self.who['name']}，商家退款。"
        self.act("reply", "handler", {"outcome": "resolved", "reply": text, "loss_recovered": "99.00"})

    def rate(self, rating, comment):
        response = self.client.post(
            f"/api/v1/complaints/{self.code}/rating",
            json={"rating": rating, "resolved": rating > 3, "comment": comment},
            headers={"X-Access-Key": self.key},
        )
        assert response.status_code == 200, response.json

    @property
    def case(self) -> Case:
        return find_case_by_code(self.code)


def answer_callback(client, flow: Flow) -> None:
    """The call-back survey invitation for the reply, answered with a comment naming the citizen."""
    link = create_callback_invitation(flow.case, utcnow())
    db.session.commit()
    token = link.rsplit("/", 1)[1]
    answers = {"satisfaction": 5, "resolved": True, "comment": f"{flow.who['name']}很满意"}
    response = client.post(
        "/api/v1/surveys/hotline-callback/responses", json={"answers": answers, "token": token}
    )
    assert response.status_code == 201, response.json


def backdate(flow: Flow, days: int = 1100) -> None:
    """Make the case have ended `days` ago (beyond the default 1095-day retention)."""
    shift = timedelta(days=days)
    case = flow.case
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(
            received_at=case.received_at - shift,
            decided_at=case.decided_at - shift if case.decided_at else None,
            closed_at=case.closed_at - shift if case.closed_at else None,
        )
    )
    db.session.commit()


def planted_anywhere(who: dict[str, str]) -> list[str]:
    """Every table and value that still holds the citizen's name, phone or e-mail."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            text = json.dumps([str(value) for value in row], ensure_ascii=False)
            found += [f"{table.name}: {needle}" for needle in who.values() if needle in text]
    return found


AS_OF = utcnow() + timedelta(days=1)


def statistics() -> dict:
    """Every KPI by every dimension, and the 100 % ledger, over all of the cases' history."""
    start, end = date.today() - timedelta(days=1500), date.today() + timedelta(days=200)
    kpis = {group: compute_complaint_kpis(start, end, group) for group in GROUPS}
    ledger = list_breaches(start, end, as_of=AS_OF)
    return {"kpis": kpis, "ledger": sorted(map(repr, ledger))}


def build_cases(client, org) -> dict[str, Flow]:
    seed_templates()
    surveyed = Flow(client, org, OLD, key="retention-key-1").to_replied()
    merged = Flow(client, org, OLD)
    merged.act("merge", "dispatcher", {"into": surveyed.code})
    answer_callback(client, surveyed)  # closes it
    rerated = Flow(client, org, OLD).to_replied()
    rerated.rate(1, f"{OLD['name']}不满意，电话{OLD['mobile']}")  # rectification, reopened
    rerated.reply()
    rerated.rate(5, "满意")
    rejected = Flow(client, org, OLD)
    rejected.act("reject", "dispatcher", {"reason_code": 1, "reason": f"{OLD['name']}所诉不属于受理范围"})
    still_open = Flow(client, org, KEPT)
    still_open.act("accept", "dispatcher")
    recent = Flow(client, org, KEPT).to_replied()
    recent.rate(5, f"{KEPT['name']}满意")
    api_key, _ = create_api_key("partner")
    db.session.add(
        Open311Request(
            case_id=surveyed.case.id,
            api_key_id=api_key.id,
            token="retention-token",
            attributes={"caller": OLD["name"]},
            device_id=f"phone-{OLD['mobile']}",
            account_id=OLD["email"],
            media_url=f"https://photos.example/{OLD['mobile']}.jpg",
        )
    )
    db.session.commit()
    flows = {"surveyed": surveyed, "merged": merged, "rerated": rerated, "rejected": rejected}
    for flow in (*flows.values(), still_open):
        backdate(flow)
    return {**flows, "open": still_open, "recent": recent}


def test_erasure_removes_planted_personal_data_everywhere_and_keeps_the_statistics(ctx, client, org):
    flows = build_cases(client, org)
    assert {flows[name].case.status for name in ("surveyed", "merged", "rerated", "rejected")} == {
        "closed",
        "merged",
        "rejected",
    }
    assert db.session.scalar(
        select(func.count()).select_from(Rectification).where(Rectification.comment.contains(OLD["name"]))
    )
    found = planted_anywhere(OLD)
    for table in ("cases", "case_events", "notifications", "rectifications", "survey_invitations",
                  "survey_answers", "open311_requests"):  # fmt: skip
        assert any(hit.startswith(f"{table}:") for hit in found), (table, found)
    before, events_before = statistics(), db.session.scalar(select(func.count()).select_from(CaseEvent))
    assert sum(bool(kpi["n"]) for kpi in before["kpis"]["none"][0]["kpis"].values()) >= 5
    runner = ctx.test_cli_runner()

    dry = runner.invoke(args=["complaints", "erase-expired", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("4 finished cases"), dry.output
    assert planted_anywhere(OLD) == found  # a dry run changes nothing

    done = runner.invoke(args=["complaints", "erase-expired"])
    assert done.exit_code == 0 and "erased the personal data of 4 cases" in done.output, done.output
    db.session.remove()
    assert planted_anywhere(OLD) == []
    # The intake key's request hash digests the submission: the row goes.
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    for name in ("open", "recent"):  # open, or closed within the period: untouched
        case = flows[name].case
        assert (case.complainant_name, case.complainant_mobile, case.personal_data_erased_at) == (
            KEPT["name"],
            KEPT["mobile"],
            None,
        )
        assert KEPT["name"] in case.title
    assert statistics() == before
    assert verify_audit_chain() == (6, [])
    for name in ("surveyed", "merged", "rerated", "rejected"):
        case = flows[name].case
        assert case.personal_data_erased_at is not None
        assert case.rating == (5 if name in ("surveyed", "rerated") else None)  # outcomes stay
        last = db.session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == case.event_count)
        )
        assert last.action == "erase_personal_data" and last.actor_role == "system"
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events_before + 4

    # The nightly job finds nothing more to do.
    jobs.erase_expired()
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events_before + 4
    assert runner.invoke(args=["complaints", "erase-expired", "--dry-run"]).output.startswith("0 finished")
    assert statistics() == before and verify_audit_chain() == (6, [])


def rewrite_as_pre_commitment_chain(case: Case) -> str:
    """Rehash the case's chain the way events were hashed before migration 0008 (reason text itself)."""
    prev = GENESIS_HASH
    for event in db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ):
        event.reason_salt = event.reason_digest = None
        event.prev_hash = prev
        event.hash = prev = event_digest(
            prev, event.case_id, event.seq, event.action, event.from_state, event.to_state,
            event.actor_id, event.actor_role, event.at, event.reason, event.payload,
        )  # fmt: skip
    case.last_event_hash = prev
    db.session.commit()
    return prev


def test_an_older_chain_is_resealed_and_a_broken_one_is_left_for_investigation(ctx, client, org):
    legacy = Flow(client, org, OLD).to_replied()
    legacy.rate(5, f"{OLD['name']}满意")
    tampered = Flow(client, org, OLD)
    tampered.act("reject", "dispatcher", {"reason_code": 1, "reason": "不属于受理范围"})
    old_head = rewrite_as_pre_commitment_chain(legacy.case)
    assert verify_audit_chain() == (2, [])  # older chains still verify as they are
    db.session.execute(
        update(CaseEvent)
        .where(CaseEvent.case_id == tampered.case.id, CaseEvent.seq == 1)
        .values(actor_role="admin")
    )
    db.session.commit()
    for flow in (legacy, tampered):
        backdate(flow)

    result = ctx.test_cli_runner().invoke(args=["complaints", "erase-expired"])
    assert result.exit_code == 1, result.output
    assert "1 older chains re-sealed" in result.output and f"{tampered.code}: audit chain" in result.output
    db.session.remove()
    assert legacy.case.complainant_name is None and tampered.case.complainant_name == OLD["name"]
    erasure = db.session.scalar(
        select(CaseEvent).where(
            CaseEvent.case_id == legacy.case.id, CaseEvent.action == "erase_personal_data"
        )
    )
    assert erasure.payload["resealed_from"] == old_head
    checked, problems = verify_audit_chain()
    assert checked == 2 and [p.tracking_code for p in problems] == [tampered.code]
