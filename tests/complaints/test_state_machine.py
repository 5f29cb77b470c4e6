"""Every legal and illegal transition of the case state machine, on the model itself (no database)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from complaints.models import Case, IllegalTransition
from complaints.states import TRANSITIONS, Status
from core.auth.models import Department
from core.errors import InvalidInput

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=10)
# (expected states after the action) — the table in DESIGN.md section 3, written out independently.
EXPECTED = {
    ("registered", "accept"): "accepted",
    ("registered", "reject"): "rejected",
    ("registered", "transfer"): "transferred",
    ("registered", "merge"): "merged",
    ("accepted", "assign"): "assigned",
    ("assigned", "sign"): "in_progress",
    ("assigned", "return"): "accepted",
    ("in_progress", "extend"): "in_progress",
    ("in_progress", "approve_extension"): "in_progress",
    ("accepted", "urge"): "accepted",
    ("assigned", "urge"): "assigned",
    ("in_progress", "urge"): "in_progress",
    ("in_progress", "contact"): "in_progress",
    ("in_progress", "reply"): "replied",
    ("replied", "feedback"): "replied",
    ("rejected", "feedback"): "rejected",
    ("transferred", "feedback"): "transferred",
    ("replied", "close"): "closed",
    ("rejected", "close"): "closed",
    ("transferred", "close"): "closed",
    ("replied", "reopen"): "in_progress",
    ("closed", "reopen"): "in_progress",
    ("replied", "rate"): "replied",
    ("closed", "rate"): "closed",
}


def make_case(status: str) -> Case:
    case = Case(
        id=1,
        tracking_code="QL-TEST",
        kind="complaint",
        status=status,
        received_at=NOW,
        acceptance_due_at=LATER,
        handling_due_at=LATER,
        feedback_due_at=LATER,
        return_until=LATER,
        pending_extension_days=None,
        extended_days=0,
        urge_count=0,
        return_count=0,
        reopen_count=0,
        is_incomplete=False,
    )
    case.feedback_at = NOW  # so close is possible wherever the state allows it
    if status in ("replied", "closed"):
        case.replied_at = NOW  # reopen and rate need a reply (a rejected-then-closed case has none)
    if status == "in_progress":
        case.pending_extension_days = 3  # so approve_extension has something to approve
    return case


def apply(case: Case, action: str) -> None:
    department = Department(id=7, code="D", name="D", region_code="350102")
    target = Case(id=2, status="accepted")
    calls = {
        "accept": lambda: case.accept(NOW, LATER),
        "reject": lambda: case.reject(NOW, 1, "not ours", LATER),
        "transfer": lambda: case.transfer(NOW, "公安局", "crime", LATER),
        "merge": lambda: case.merge_into(NOW, target),
        "assign": lambda: case.assign(NOW, department, LATER, LATER, LATER),
        "sign": lambda: case.sign(NOW),
        "return": lambda: case.return_to_dispatch(NOW),
        "extend": lambda: (
            setattr(case, "pending_extension_days", None),
            case.request_extension(NOW, 5, "r", 10),
        ),
        "approve_extension": lambda: case.approve_extension(LATER),
        "urge": lambda: case.urge(),
        "contact": lambda: case.record_contact(NOW),
        "reply": lambda: case.record_reply(NOW, "resolved", "done", Decimal("1.00"), LATER, 3),
        "feedback": lambda: case.record_feedback(NOW, "sms", None),
        "close": lambda: case.close(NOW),
        "reopen": lambda: case.reopen(LATER),
        "rate": lambda: case.rate(NOW, 5, True, None),
    }
    calls[action]()


ALL_PAIRS = [(status.value, action) for status in Status for action in TRANSITIONS]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_transition_table(status, action):
    case = make_case(status)
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(IllegalTransition):
            apply(case, action)
        assert case.status == status
    else:
        apply(case, action)
        assert case.status == expected


def test_table_in_code_matches_the_design():
    from_code = {(s.value, a) for a, t in TRANSITIONS.items() for s in t.sources}
    assert from_code == set(EXPECTED)


def test_close_needs_recorded_feedback():
    case = make_case("replied")
    case.feedback_at = None
    with pytest.raises(IllegalTransition, match="feedback"):
        case.close(NOW)
    case.record_feedback(NOW, "phone", "told by phone")
    case.close(NOW)
    assert case.status == "closed" and case.next_due_at is None


def test_incomplete_complaint_can_only_be_rejected_with_code_5():
    case = make_case("registered")
    case.is_incomplete = True
    with pytest.raises(IllegalTransition, match="code 5"):
        case.accept(NOW, LATER)
    with pytest.raises(IllegalTransition, match="code 5"):
        case.reject(NOW, 1, "x", LATER)
    case.reject(NOW, 5, "missing phone", LATER)
    assert case.status == "rejected"


def test_return_only_within_the_window():
    case = make_case("assigned")
    case.return_until = NOW - timedelta(seconds=1)
    with pytest.raises(IllegalTransition, match="window"):
        case.return_to_dispatch(NOW)
    assert case.status == "assigned"


def test_extension_rules():
    case = make_case("in_progress")
    case.pending_extension_days = None
    with pytest.raises(InvalidInput):
        case.request_extension(NOW, 11, "too long", 10)
    case.handling_due_at = NOW - timedelta(hours=1)
    with pytest.raises(IllegalTransition, match="before the handling deadline"):
        case.request_extension(NOW, 5, "late", 10)
    case.handling_due_at = LATER
    case.request_extension(NOW, 5, "site visit", 10)
    with pytest.raises(IllegalTransition, match="already pending"):
        case.request_extension(NOW, 2, "again", 10)
    granted = case.approve_extension(LATER + timedelta(days=7))
    assert granted == 5 and case.extended_days == 5 and case.handling_due_at == LATER + timedelta(days=7)
    with pytest.raises(IllegalTransition, match="no extension"):
        case.approve_extension(LATER)


def test_merge_guards():
    case = make_case("registered")
    with pytest.raises(IllegalTransition, match="itself"):
        case.merge_into(NOW, case)
    with pytest.raises(IllegalTransition, match="merged"):
        case.merge_into(NOW, Case(id=3, status="merged"))


def test_next_due_follows_the_stage():
    case = make_case("registered")
    case.refresh_next_due()
    assert case.next_due_at == case.acceptance_due_at
    case.accept(NOW, LATER + timedelta(days=40))
    assert case.next_due_at == LATER + timedelta(days=40)
    case.assign(
        NOW,
        Department(id=1, code="D", name="D", region_code="350102"),
        NOW + timedelta(days=1),
        LATER,
        LATER,
    )
    assert case.next_due_at == NOW + timedelta(days=1)
