"""The 100 % ledger: hand-built breaches, synthetic event lists, and random histories recomputed
independently from the raw case_events rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from analytics.services.complaint_kpis import period_bounds
from analytics.services.ledger import find_breaches_in_events, list_breaches, lookback_days
from complaints.models import Case, CaseEvent
from complaints.policy import DEFAULT_RULES
from complaints.services.catalogue import deadline_rules
from core.clock import travel_to
from core.workdays import load_calendar
from tests.analytics_api.conftest import TimedFlow, local
from tests.analytics_api.test_kpis import PERIOD, build_histories
from tests.conftest import complaint_body


def test_ledger_of_the_hand_built_histories(client, org):
    cases = build_histories(client, org)
    response = client.get(f"/api/v1/analytics/complaints/ledger?{PERIOD}", headers=org.auth("analyst"))
    assert response.status_code == 200
    rows = [
        (i["tracking_code"], i["rule"], i["breach"], i["due_at"], i["done_at"])
        for i in response.json["items"]
    ]
    assert rows == [
        (cases["E"].code, "acceptance", "never_decided", "2026-09-16T15:59:59+00:00", None),
        (cases["B"].code, "feedback", "no_feedback", "2026-09-18T15:59:59+00:00", None),
        # C's second handling cycle: reopened with due 30 Sep, replied 9 Oct 11:00 Beijing time.
        (
            cases["C"].code,
            "handling",
            "replied_late",
            "2026-09-30T15:59:59+00:00",
            "2026-10-09T03:00:00+00:00",
        ),
    ]
    assert set(response.json["items"][0]) == {
        "tracking_code",
        "kind",
        "category_code",
        "region_code",
        "department_code",
        "rule",
        "breach",
        "due_at",
        "done_at",
    }


def test_an_undecided_case_is_not_a_breach_before_its_deadline(client, org):
    TimedFlow(client, org, "2026-09-07 09:00")
    lo = date(2026, 9, 1)
    assert list_breaches(lo, date(2026, 10, 1), as_of=local("2026-09-16 23:00")) == []
    [breach] = list_breaches(lo, date(2026, 10, 1), as_of=local("2026-09-17 00:00"))
    assert breach.breach == "never_decided"


def _event(action: str, at: str, **payload) -> SimpleNamespace:
    return SimpleNamespace(action=action, at=local(at), payload=payload)


def test_closing_without_feedback_and_a_late_decision_are_found_in_the_events():
    # The API cannot close without feedback; the ledger still proves it from the log, were it ever written.
    events = [
        _event("register", "2026-09-01 09:00"),
        _event("reject", "2026-09-20 09:00"),
        _event("close", "2026-09-21 09:00"),
    ]
    lo, hi = local("2026-09-01 00:00"), local("2026-10-01 00:00")
    found = find_breaches_in_events(
        events,
        local("2026-09-10 23:59:59"),
        lambda at: at + timedelta(days=2),
        lo,
        hi,
        local("2026-11-01 00:00"),
    )
    assert [code for code, _, _ in found] == ["closed_without_feedback", "decided_late"]


# --- random histories vs an independent recomputation -------------------------------------------------

ACTIONS = [
    ("accept", "dispatcher", {}),
    ("reject", "dispatcher", {"reason_code": 1, "reason": "不属于本部门"}),
    ("transfer", "dispatcher", {"to": "市交通局", "reason": "职责"}),
    ("assign", "dispatcher", {"department_code": "GL-SCJG"}),
    ("sign", "handler", {}),
    ("contact", "handler", {"channel": "phone"}),
    ("return", "handler", {"reason": "非本辖区"}),
    ("extend", "handler", {"days": 2, "reason": "核实"}),
    ("approve_extension", "supervisor", {}),
    ("reply", "handler", {"outcome": "resolved", "reply": "已办", "loss_recovered": "10.00"}),
    ("feedback", "operator", {"channel": "phone", "note": "已告知"}),
    ("close", "operator", {}),
    ("reopen", "supervisor", {"reason": "复核"}),
]


# The lifecycle's usual next step from each state; the walk takes it half of the time so that cases get
# far (replies, ratings, reopenings) while the random other half breaks rules and tries illegal steps.
NATURAL = {
    "registered": ("accept", "dispatcher", {}),
    "accepted": ("assign", "dispatcher", {"department_code": "GL-SCJG"}),
    "assigned": ("sign", "handler", {}),
    "in_progress": ("reply", "handler", {"outcome": "resolved", "reply": "已办", "loss_recovered": "10.00"}),
    "replied": ("feedback", "operator", {"channel": "phone", "note": "已告知"}),
    "rejected": ("feedback", "operator", {"channel": "phone", "note": "已告知"}),
    "transferred": ("feedback", "operator", {"channel": "phone", "note": "已告知"}),
}


def random_histories(client, org, rng: random.Random, cases: int = 14) -> None:
    """`cases` random case histories from early Aug 2026 on, through the public and staff API."""
    start = datetime(2026, 8, 3, 9, 0).astimezone(local("2026-08-03 09:00").tzinfo)
    for _ in range(cases):
        now = start + timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 8))
        kind = rng.choice(["complaint", "inquiry", "help"])
        body = complaint_body(kind=kind) if kind == "complaint" else complaint_body(kind=kind, respondent={})
        with travel_to(now):
            created = client.post("/api/v1/complaints", json=body).json
        code, key, status = created["tracking_code"], created["access_key"], created["status"]
        for _ in range(rng.randint(0, 14)):
            # Steps of hours to weeks, so some deadlines are met and some are missed.
            now += timedelta(hours=rng.choice([1, 5, 30, 100, 300]))
            with travel_to(now):
                if rng.random() < 0.1:
                    client.post(
                        f"/api/v1/complaints/{code}/rating",
                        json={"rating": rng.randint(1, 5), "resolved": rng.random() < 0.5},
                        headers={"X-Access-Key": key},
                    )
                    continue
                natural = NATURAL.get(status)
                action, user, payload = natural if natural and rng.random() < 0.5 else rng.choice(ACTIONS)
                # Illegal steps are refused (409/403/422) and leave no event: that is fine here.
                response = client.post(
                    f"/api/v1/cases/{code}/actions/{action}", json=payload, headers=org.auth(user)
                )
                if response.status_code == 200:
                    status = response.json["status"]


def _recompute_from_raw_events(start: date, end: date, as_of: datetime) -> set[tuple]:
    """Rule by rule, each in its own pass over one case's raw events (no shared state machine)."""
    lo, hi = period_bounds(start, end)
    found: set[tuple] = set()

    def due_in(due):
        return due is not None and lo <= due < hi

    for case in db_session().scalars(select(Case)):
        events = list(
            db_session().scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
            )
        )
        # acceptance: the first decision against the fixed acceptance deadline
        decisions = [e.at for e in events if e.action in ("accept", "reject", "transfer", "merge")]
        if due_in(case.acceptance_due_at):
            if not decisions and case.acceptance_due_at < as_of:
                found.add((case.tracking_code, "never_decided", case.acceptance_due_at, None))
            elif decisions and decisions[0] > case.acceptance_due_at:
                found.add((case.tracking_code, "decided_late", case.acceptance_due_at, decisions[0]))
        # handling: cut the log at every accept/reopen; the cycle's deadline is the last one set before
        # its first reply, its completion that reply
        starts = [i for i, e in enumerate(events) if e.action in ("accept", "reopen")]
        for n, i in enumerate(starts):
            cycle = events[i : starts[n + 1] if n + 1 < len(starts) else len(events)]
            replies = [k for k, e in enumerate(cycle) if e.action == "reply"]
            before = cycle[: replies[0]] if replies else cycle
            dues = [
                e.payload["handling_due_at"]
                for e in before
                if e.action in ("accept", "reopen", "approve_extension")
            ]
            due = datetime.fromisoformat(dues[-1])
            done = cycle[replies[0]].at if replies else None
            if due_in(due):
                if done is None and due < as_of:
                    found.add((case.tracking_code, "never_replied", due, None))
                elif done is not None and done > due:
                    found.add((case.tracking_code, "replied_late", due, done))
        # feedback: every reply/reject/transfer, looked at up to the next reply/reject/transfer or reopen
        rules = deadline_rules(case.policy_version)
        for i, owing in enumerate(events):
            if owing.action not in ("reply", "reject", "transfer"):
                continue
            due = rules.feedback_due(owing.at)
            following = []
            for later in events[i + 1 :]:
                if later.action in ("reply", "reject", "transfer", "reopen"):
                    break
                following.append(later)
            actions = [e.action for e in following]
            settled = "feedback" in actions and (
                "close" not in actions or actions.index("feedback") < actions.index("close")
            )
            if settled or not due_in(due):
                continue
            if "close" in actions:
                found.add(
                    (case.tracking_code, "closed_without_feedback", due, following[actions.index("close")].at)
                )
            elif "reopen" not in [e.action for e in events[i + 1 : i + 2 + len(following)]] and due < as_of:
                found.add((case.tracking_code, "no_feedback", due, None))
    return found


def db_session():
    from core.db import db

    return db.session


def test_ledger_equals_a_recomputation_from_the_raw_events(client, org):
    rng = random.Random(20261001)
    for _ in range(3):
        random_histories(client, org, rng)
    as_of = local("2026-10-20 12:00")
    assert db_session().scalar(select(CaseEvent.id).where(CaseEvent.action == "reopen").limit(1)) is not None
    kinds: set[str] = set()
    for start, end in [
        (date(2026, 8, 1), date(2026, 12, 1)),
        (date(2026, 8, 20), date(2026, 9, 10)),
        (date(2026, 9, 15), date(2026, 10, 10)),
    ]:
        ledger = {(b.tracking_code, b.breach, b.due_at, b.done_at) for b in list_breaches(start, end, as_of)}
        assert ledger == _recompute_from_raw_events(start, end, as_of)
        kinds |= {breach for _, breach, _, _ in ledger}
    # The random histories break every rule the API lets them break (closing without feedback it cannot).
    assert kinds == {"never_decided", "decided_late", "never_replied", "replied_late", "no_feedback"}


def test_the_lookback_covers_the_longest_deadline_over_the_holidays(ctx):
    """Every deadline the default policy can set lies within lookback_days of the event that set it."""
    calendar = load_calendar("Asia/Shanghai")
    longest_wd = max(DEFAULT_RULES["handling_wd"].values()) + max(DEFAULT_RULES["extension_max_wd"].values())
    days = lookback_days([DEFAULT_RULES])
    start = datetime(2025, 12, 1, 9, tzinfo=UTC)
    for offset in range(0, 400, 3):  # across Spring Festival, May Day and National Day 2026
        event = start + timedelta(days=offset)
        assert calendar.add_workdays(event, longest_wd) - event <= timedelta(days=days)
