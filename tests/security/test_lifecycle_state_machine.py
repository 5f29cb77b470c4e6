"""Model-based test of the case lifecycle (hypothesis.stateful): random sequences of every staff action,
by every role, and the citizen's rating, through the real HTTP API.

An independent model (the table of DESIGN.md section 3 written out again here: who may do what, from
which state, with which preconditions) predicts each answer: 200, or 403 (role), 404 (a handler's
other-department case, a wrong access key), 409 (state or precondition), 422 (field). After every step,
for the case it acted on (and for every case at the end of each sequence):
- the stored status is one of the legal states and the one the model expects;
- status and stage fields agree (a closed case has closed_at and a feedback, a registered one no
  decision, an assigned one a department, next_due_at is the current stage's deadline...);
- deadlines never move backwards, except where the design recomputes them: reopen sets a new handling
  deadline (the rectification period), return and reopen clear stage deadlines, and a stage entered
  again starts its own deadline from that moment; acceptance_due_at never changes;
- a refused request changes nothing: the case row, its audit events, its notices and rectifications
  are byte-for-byte the same;
- event_count is the number of audit events, the chain head is the last event's hash and its state the
  case's; at the end of each sequence `verify_audit_chain` (what `flask complaints verify-audit` runs)
  recomputes every chain and finds no problem (the log is append-only: a break would still show).
Bounded to a few seconds per database: 10 sequences of up to 40 steps, derandomized so CI repeats
itself; QUALITYLINE_LIFECYCLE_EXAMPLES=200 QUALITYLINE_FUZZ_RANDOM=1 explores further."""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, inspect, select, true
from sqlalchemy.orm import aliased

from complaints.models import Case, CaseEvent, Notification, Rectification
from complaints.services.audit import verify_audit_chain
from complaints.states import Status
from core.db import db
from tests.conftest import Org, complaint_body

EXAMPLES = int(os.environ.get("QUALITYLINE_LIFECYCLE_EXAMPLES", "10"))

# --- the model: DESIGN.md section 3, written out independently of complaints/states.py and actions.py
DISPATCH = {"dispatcher", "supervisor", "admin"}
HANDLE = {"handler", "supervisor", "admin"}
SUPERVISE = {"supervisor", "admin"}
MAY = {
    "accept": DISPATCH,
    "reject": DISPATCH,
    "transfer": DISPATCH,
    "merge": DISPATCH,
    "assign": DISPATCH,
    "sign": HANDLE,
    "return": HANDLE,
    "extend": HANDLE,
    "approve_extension": SUPERVISE,
    "urge": SUPERVISE,
    "contact": HANDLE,
    "reply": HANDLE,
    "feedback": {"operator", "dispatcher", "handler", "supervisor", "admin"},
    "close": {"operator", "dispatcher", "supervisor", "admin"},
    "reopen": SUPERVISE,
}
AWAITING_FEEDBACK = {"replied", "rejected", "transferred"}
FROM = {
    "accept": {"registered"},
    "reject": {"registered"},
    "transfer": {"registered"},
    "merge": {"registered"},
    "assign": {"accepted"},
    "sign": {"assigned"},
    "return": {"assigned"},
    "extend": {"in_progress"},
    "approve_extension": {"in_progress"},
    "urge": {"accepted", "assigned", "in_progress"},
    "contact": {"in_progress"},
    "reply": {"in_progress"},
    "feedback": AWAITING_FEEDBACK,
    "close": AWAITING_FEEDBACK,
    "reopen": {"replied", "closed"},
}
TO = {
    "accept": "accepted",
    "reject": "rejected",
    "transfer": "transferred",
    "merge": "merged",
    "assign": "assigned",
    "sign": "in_progress",
    "return": "accepted",
    "reply": "replied",
    "close": "closed",
    "reopen": "in_progress",
}
# The usual ways forward (DESIGN.md section 3), preferred by the `advance` rule half the time.
FORWARD = {
    "registered": ("accept",),
    "accepted": ("assign",),
    "assigned": ("sign",),
    "in_progress": ("extend", "contact", "reply"),
    "replied": ("feedback",),
    "rejected": ("feedback",),
    "transferred": ("feedback",),
}
# Login name -> (role, department) as tests/conftest.py creates them.
STAFF = {
    "operator": ("operator", None),
    "dispatcher": ("dispatcher", None),
    "handler": ("handler", "GL-SCJG"),
    "other_handler": ("handler", "TJ-SCJG"),
    "supervisor": ("supervisor", None),
    "admin": ("admin", None),
    "analyst": ("analyst", None),
}
MAX_EXTENSION = {"report": 15}  # working days per request; 10 for the other kinds (the default policy)
DEADLINES = ("acceptance_due_at", "sign_due_at", "contact_due_at", "return_until", "handling_due_at")
DEADLINES += ("feedback_due_at",)
# (action, deadline) pairs the design lets move to an earlier moment: reopen starts the rectification
# period as the new handling deadline (DESIGN.md: 重办), which may end before the original one.
RECOMPUTED_EARLIER = {("reopen", "handling_due_at"), ("rate", "handling_due_at")}


class CaseModel:
    """What the model knows of one case."""

    def __init__(self, code: str, key: str, kind: str, incomplete: bool) -> None:
        self.code, self.key, self.kind, self.incomplete = code, key, kind, incomplete
        self.status = "registered"
        self.department: str | None = None
        self.pending_extension = False
        self.feedback = False
        self.replied = False  # there is a reply (cleared again by reopen)
        self.rated = False  # the latest reply has its rating

    def expect(self, action: str, login: str, body: dict[str, Any], target: CaseModel | None) -> int:
        """The status code the API must answer for `login` running `action` with `body`."""
        role, department = STAFF[login]
        if role not in MAY[action]:
            return 403
        if role == "handler" and self.department != department:
            return 404  # a handler does not see other departments' cases
        if self.status not in FROM[action]:
            return 409
        if action == "accept" and self.incomplete:
            return 409
        if action == "reject" and self.incomplete and body["reason_code"] != 5:
            return 409
        if action == "merge" and (target is self or target.status in ("merged", "closed")):
            return 409
        if action == "extend" and self.pending_extension:
            return 409
        if action == "extend" and body["days"] > MAX_EXTENSION.get(self.kind, 10):
            return 422
        if action == "approve_extension" and not self.pending_extension:
            return 409
        if action == "close" and not self.feedback:
            return 409
        if action == "reopen" and not self.replied:
            return 409  # a rejected or transferred case that was closed has nothing to redo
        return 200

    def apply(self, action: str, body: dict[str, Any]) -> None:
        """Move the model after a successful action."""
        self.status = TO.get(action, self.status)
        if action == "assign":
            self.department = body["department_code"]
        elif action == "return":
            self.department = None
        elif action == "extend":
            self.pending_extension = True
        elif action == "approve_extension":
            self.pending_extension = False
        elif action == "feedback":
            self.feedback = True
        elif action in ("reject", "transfer", "reply", "reopen"):
            self.feedback = self.rated = self.pending_extension = False
        self.replied = action == "reply" or (self.replied and action != "reopen")

    def expect_rating(self, right_key: bool) -> int:
        if not right_key:
            return 404  # a wrong key looks like an unknown tracking code
        if self.rated or self.status not in ("replied", "closed") or not self.replied:
            return 409  # only a reply is rated, once
        return 200

    def apply_rating(self, rating: int) -> None:
        if rating <= 2:  # 不满意 / 非常不满意: a rectification task, and the case is handled again
            self.status, self.feedback, self.rated, self.replied = "in_progress", False, False, False
        else:
            self.status, self.feedback, self.rated = "closed", True, True


TEXT = st.sampled_from(["原因说明", "<b>x</b>", "'; DROP TABLE cases; --"])
BODIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "accept": st.just({}),
    "reject": st.builds(lambda c, r: {"reason_code": c, "reason": r}, st.integers(1, 6), TEXT),
    "transfer": st.builds(lambda r: {"to": "市公安局", "reason": r}, TEXT),
    "merge": st.just({}),  # the target is drawn from the machine's cases
    "assign": st.builds(lambda d: {"department_code": d}, st.sampled_from(["GL-SCJG", "TJ-SCJG"])),
    "sign": st.just({}),
    "return": st.builds(lambda r: {"reason": r}, TEXT),
    "extend": st.builds(lambda d, r: {"days": d, "reason": r}, st.integers(1, 16), TEXT),
    "approve_extension": st.just({}),
    "urge": st.builds(lambda n: {"note": n}, TEXT),
    "contact": st.builds(lambda n: {"channel": "phone", "note": n}, TEXT),
    "reply": st.builds(
        lambda o, r, loss: {"outcome": o, "reply": r, "loss_recovered": loss},
        st.sampled_from(["resolved", "partly_resolved", "unresolved", "not_substantiated"]),
        TEXT,
        st.sampled_from([None, "0.00", "299.00"]),
    ),
    "feedback": st.builds(lambda n: {"channel": "sms", "note": n}, TEXT),
    "close": st.just({}),
    "reopen": st.builds(lambda r: {"reason": r}, TEXT),
}


def permitted_logins(action: str, case: CaseModel) -> list[str]:
    """Logins the model lets run `action` on `case` (role and, for handlers, department)."""
    return [
        login
        for login, (role, department) in STAFF.items()
        if role in MAY[action] and (role != "handler" or case.department == department)
    ]


def row_snapshot(case_id: int) -> dict[str, Any]:
    """Every column of the case, what is written beside it (how many events, notices, rectifications)
    and its latest audit event, in one query."""
    db.session.rollback()  # a fresh transaction sees what the request committed
    counts = [
        select(func.count()).select_from(model).where(model.case_id == case_id).scalar_subquery()
        for model in (CaseEvent, Notification, Rectification)
    ]
    last = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq.desc()).limit(1)
    last_event = aliased(CaseEvent, last.subquery())
    row = db.session.execute(
        select(Case, last_event, *counts).outerjoin(last_event, true()).where(Case.id == case_id)
    ).one()
    case, event = row[0], row[1]
    columns = {attr.key: getattr(case, attr.key) for attr in inspect(Case).column_attrs}
    columns.update(zip(("case_events", "notifications", "rectifications"), row[2:], strict=True))
    columns["last_event"] = (event.seq, event.action, event.to_state, event.at, event.hash) if event else None
    return columns


def check_stage_fields(row: dict[str, Any]) -> None:
    """Status and stage fields agree."""
    status = row["status"]
    assert status in {s.value for s in Status}
    decided = status != "registered"
    assert (row["decided_at"] is not None) == decided
    if status in ("accepted", "assigned", "in_progress", "replied"):
        assert row["accepted_at"] is not None and row["handling_due_at"] is not None
    if status == "accepted":
        assert row["department_id"] is None and row["assigned_at"] is None
    if status in ("assigned", "in_progress", "replied"):
        assert row["department_id"] is not None and row["assigned_at"] is not None
    if status == "assigned":
        assert row["sign_due_at"] is not None and row["return_until"] is not None
    if status in ("in_progress", "replied"):
        assert row["signed_at"] is not None
    assert (row["pending_extension_days"] is not None) <= (status == "in_progress")
    if status == "in_progress":
        assert row["replied_at"] is None and row["feedback_due_at"] is None
    if status == "replied":
        assert row["replied_at"] is not None and row["outcome"] is not None
        assert row["feedback_due_at"] is not None and row["contacted_at"] is not None
    if status == "rejected":
        assert row["rejection_code"] in range(1, 7) and row["accepted_at"] is None
    if status == "transferred":
        assert row["transferred_to"] and row["accepted_at"] is None
    assert (row["duplicate_of_id"] is not None) == (status == "merged")
    assert (row["closed_at"] is not None) == (status == "closed")
    if status == "closed":
        assert row["feedback_at"] is not None
    expected_next = {
        "registered": row["acceptance_due_at"],
        "accepted": row["handling_due_at"],
        "assigned": row["sign_due_at"],
        "in_progress": row["handling_due_at"],
    }.get(status)
    if status in AWAITING_FEEDBACK and row["feedback_at"] is None:
        expected_next = row["feedback_due_at"]
    assert row["next_due_at"] == expected_next


def check_deadlines_moved(action: str, before: dict[str, Any], after: dict[str, Any], at: datetime) -> None:
    """A deadline only moves later, is cleared, or is set anew from the moment of the action."""
    assert after["acceptance_due_at"] == before["acceptance_due_at"]
    for name in DEADLINES:
        old, new = before[name], after[name]
        if old == new or new is None:
            continue
        assert new >= at, f"{action} set {name} to {new}, before the action ({at})"
        if old is not None and (action, name) not in RECOMPUTED_EARLIER:
            assert new > old, f"{action} moved {name} back from {old} to {new}"


def test_random_action_sequences_keep_the_lifecycle_consistent(app: Flask, client: FlaskClient, org: Org):
    class Lifecycle(RuleBasedStateMachine):
        cases = Bundle("cases")

        @initialize(target=cases)
        def first_case(self):
            self.models: dict[int, CaseModel] = {}
            self.ids: dict[str, int] = {}
            return self._submit("complaint", urgent=False, incomplete=False)

        @precondition(lambda self: len(self.models) < 4)  # few cases, each taken far along its path
        @rule(
            target=cases,
            kind=st.sampled_from(["complaint", "report", "inquiry", "help", "suggestion"]),
            urgent=st.booleans(),
            incomplete=st.booleans(),
        )
        def new_case(self, kind: str, urgent: bool, incomplete: bool):
            return self._submit(kind, urgent, incomplete and kind == "complaint")

        def _submit(self, kind: str, urgent: bool, incomplete: bool) -> CaseModel:
            body = complaint_body(kind=kind, priority="urgent" if urgent else "normal")
            if incomplete:
                body["complainant"] = {}  # an operator may register it; it can only be rejected (code 5)
            response = client.post("/api/v1/cases", json=body, headers=org.auth("operator"))
            assert response.status_code == 201, response.json
            code = response.json["tracking_code"]
            model = CaseModel(code, response.json["access_key"], kind, incomplete)
            db.session.rollback()
            self.ids[code] = db.session.scalar(select(Case.id).where(Case.tracking_code == code))
            self.models[self.ids[code]] = model
            self.last_case_id = self.ids[code]
            return model

        @rule(case=cases, data=st.data())
        def advance(self, case: CaseModel, data: st.DataObject):
            """An action the case's state allows, mostly by someone allowed to run it."""
            legal = [action for action, sources in FROM.items() if case.status in sources]
            if not legal:
                return  # merged: nothing moves it any more
            forward = ("close",) if case.feedback else FORWARD.get(case.status, ())
            if case.pending_extension:
                forward = ("approve_extension",)
            if case.status == "registered" and case.incomplete:
                forward = ()
            if forward and data.draw(st.booleans()):
                action = data.draw(st.sampled_from(forward))  # so cases get far along their path
            else:
                action = data.draw(st.sampled_from(sorted(legal)))
            permitted = permitted_logins(action, case) or sorted(STAFF)
            login = data.draw(
                st.sampled_from(permitted) if data.draw(st.integers(0, 4)) else st.sampled_from(sorted(STAFF))
            )
            self._act(case, action, data.draw(BODIES[action]), login, data)

        @rule(
            case=cases,
            action=st.sampled_from(sorted(MAY)),
            login=st.sampled_from(sorted(STAFF)),
            data=st.data(),
        )
        def act(self, case: CaseModel, action: str, login: str, data: st.DataObject):
            """Any action by anyone, legal or not."""
            self._act(case, action, data.draw(BODIES[action]), login, data)

        def _act(self, case: CaseModel, action: str, body: dict[str, Any], login: str, data: st.DataObject):
            target = None
            if action == "merge":
                target = data.draw(st.sampled_from(list(self.models.values())))  # in creation order
                body = {"into": target.code}
            case_id = self.last_case_id = self.ids[case.code]
            before = row_snapshot(case_id)
            response = client.post(
                f"/api/v1/cases/{case.code}/actions/{action}", json=body, headers=org.auth(login)
            )
            expected = case.expect(action, login, body, target)
            assert response.status_code == expected, (action, login, case.status, response.json)
            self._after(case, action, before, response.status_code == 200)
            if response.status_code == 200:
                case.apply(action, body)
                assert response.json["status"] == case.status

        @rule(case=cases, rating=st.integers(1, 5), right_key=st.booleans())
        def rate(self, case: CaseModel, rating: int, right_key: bool):
            self.last_case_id = self.ids[case.code]
            before = row_snapshot(self.last_case_id)
            response = client.post(
                f"/api/v1/complaints/{case.code}/rating",
                json={"rating": rating, "resolved": rating >= 4, "comment": "评价"},
                headers={"X-Access-Key": case.key if right_key else "wrong-key"},
            )
            assert response.status_code == case.expect_rating(right_key), (case.status, response.json)
            self._after(case, "rate", before, response.status_code == 200)
            if response.status_code == 200:
                case.apply_rating(rating)

        def _after(self, case: CaseModel, action: str, before: dict[str, Any], done: bool) -> None:
            after = row_snapshot(self.ids[case.code])
            if not done:
                assert after == before, f"refused {action} changed the case"
                return
            assert after["event_count"] > before["event_count"]
            check_deadlines_moved(action, before, after, after["last_event"][3])

        def check_case(self, case_id: int) -> None:
            row = row_snapshot(case_id)
            assert row["status"] == self.models[case_id].status
            check_stage_fields(row)
            assert row["event_count"] == row["case_events"]
            seq, _action, to_state, _at, digest = row["last_event"]
            assert (
                seq == row["event_count"] and digest == row["last_event_hash"] and to_state == row["status"]
            )

        @invariant()
        def the_case_acted_on_is_consistent(self):
            # A refused step is compared column by column in _after; a step touches one case (merge: its
            # target is read, not written), and teardown checks every case again.
            self.check_case(self.last_case_id)

        def teardown(self):
            for case_id in self.models:
                self.check_case(case_id)
            # The chain is append-only: a break during the sequence would still show here.
            checked, problems = verify_audit_chain()
            assert problems == [] and checked >= len(self.models)  # earlier examples' cases stay

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=40,
            deadline=None,
            derandomize=os.environ.get("QUALITYLINE_FUZZ_RANDOM") != "1",
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_actions_on_an_unknown_case_are_403_or_404_never_500(client: FlaskClient, org: Org):
    for login in STAFF:
        for action, body in (("accept", {}), ("reject", {"reason_code": 1, "reason": "x"}), ("close", {})):
            response = client.post(
                f"/api/v1/cases/QL-20000101-NOSUCH00/actions/{action}", json=body, headers=org.auth(login)
            )
            role = STAFF[login][0]
            assert response.status_code == (404 if role in MAY[action] else 403), (login, action)


def test_a_closed_case_that_was_never_replied_is_neither_reopened_nor_rated(client: FlaskClient, org: Org):
    """Regression (found by the machine above): a rejected, then closed case went back to in_progress on
    reopen or on a bad rating, without acceptance, department or handling deadline; and, having no reply,
    it could be rated again and again (the tracking page offered the rating form)."""
    created = client.post("/api/v1/complaints", json=complaint_body()).json
    code, key = created["tracking_code"], created["access_key"]
    steps = (
        ("dispatcher", "reject", {"reason_code": 1, "reason": "不属于本部门"}),
        ("operator", "feedback", {"channel": "sms"}),
        ("operator", "close", {}),
    )
    for login, action, body in steps:
        response = client.post(f"/api/v1/cases/{code}/actions/{action}", json=body, headers=org.auth(login))
        assert response.status_code == 200, response.json
    case_id = db.session.scalar(select(Case.id).where(Case.tracking_code == code))
    before = row_snapshot(case_id)
    reopen = client.post(
        f"/api/v1/cases/{code}/actions/reopen", json={"reason": "重办"}, headers=org.auth("supervisor")
    )
    assert reopen.status_code == 409 and "replied" in reopen.json["message"]
    for rating in (1, 5):
        rated = client.post(
            f"/api/v1/complaints/{code}/rating",
            json={"rating": rating, "resolved": False},
            headers={"X-Access-Key": key},
        )
        assert rated.status_code == 409 and rated.json["message"] == "there is no reply to rate"
    assert row_snapshot(case_id) == before
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/track").get_data(as_text=True))
    page = client.post(
        "/track", data={"tracking_code": code, "access_key": key, "csrf_token": token.group(1)}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and code in html and 'name="rating"' not in html
