"""What a citizen can do with a tracking code and access key: read the case and rate the reply."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select

from complaints.models import Case, CaseEvent, Rectification
from complaints.services.audit import append_event
from complaints.services.catalogue import deadline_rules
from complaints.services.intake import hash_access_key
from complaints.states import BAD_RATINGS, Status
from core.db import db, utcnow
from core.errors import Conflict, NotFound

# Audit actions a citizen sees on the tracking page; internal steps (urge, extension requests) stay inside.
PUBLIC_ACTIONS = frozenset(
    {
        "register",
        "accept",
        "reject",
        "transfer",
        "merge",
        "assign",
        "sign",
        "approve_extension",
        "reply",
        "feedback",
        "close",
        "reopen",
        "rate",
    }
)


def track_case(tracking_code: str, access_key: str | None, lock: bool = False) -> Case:
    """The case if the key matches; a wrong key and an unknown code give the same 404."""
    query = select(Case).where(Case.tracking_code == tracking_code)
    case = db.session.scalar(query.with_for_update(of=Case) if lock else query)
    supplied = hash_access_key(access_key or "")
    expected = case.access_key_hash if case else hash_access_key("\0unknown")
    if case is None or not access_key or not hmac.compare_digest(supplied, expected):
        raise NotFound("no case with this tracking code and access key")
    return case


def public_timeline(case: Case) -> list[dict[str, Any]]:
    """The citizen-visible steps, without staff identities or internal notes."""
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    timeline = []
    for event in events:
        if event.action not in PUBLIC_ACTIONS:
            continue
        entry: dict[str, Any] = {"action": event.action, "status": event.to_state, "at": event.at}
        if event.action in ("reject", "transfer", "reopen"):
            entry["reason"] = event.reason
        if event.action == "transfer":
            entry["to"] = event.payload.get("to")
        if event.action == "assign":
            entry["department_code"] = event.payload.get("department_code")
        timeline.append(entry)
    return timeline


def public_view(case: Case) -> dict[str, Any]:
    """What the tracking page shows: no personal data, no staff identities."""
    names = (
        "tracking_code",
        "kind",
        "status",
        "title",
        "category_code",
        "region_code",
        "received_at",
        "outcome",
        "reply",
        "rating",
    )
    return {
        **{name: getattr(case, name) for name in names},
        "deadlines": case,
        "timeline": public_timeline(case),
    }


def rate_case(
    tracking_code: str, access_key: str | None, rating: int, resolved: bool, comment: str | None
) -> Case:
    """Record the citizen's rating; a bad one opens a rectification task and, per policy, reopens the case."""
    case = track_case(tracking_code, access_key, lock=True)  # two ratings at once must not both count
    try:
        apply_rating(case, rating, resolved, comment, "self_service")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def reply_is_rated(case: Case) -> bool:
    """The latest reply already has the citizen's rating."""
    return case.rated_at is not None and case.replied_at is not None and case.rated_at >= case.replied_at


def apply_rating(
    case: Case, rating: int, resolved: bool | None, comment: str | None, source: str = "self_service"
) -> None:
    """Apply the citizen's rating of the latest reply inside the caller's transaction (the caller locks
    the case row and commits). `source` says where it came from: "self_service" (tracking page, API) or
    "callback_survey" (回访); it is the feedback channel when a good rating closes a replied case.
    A bad rating (不满意/非常不满意) opens a rectification task and, per policy, reopens the case."""
    if reply_is_rated(case):
        raise Conflict("this reply has already been rated")
    now = utcnow()
    rules = deadline_rules(case.policy_version)
    from_state = case.status
    case.rate(now, rating, resolved, comment)
    payload = {"rating": rating, "resolved": resolved, "source": source}
    append_event(case, "rate", from_state, None, "citizen", now, comment, payload)
    if rating in BAD_RATINGS:
        due = rules.rectification_due(now)
        db.session.add(
            Rectification(case_id=case.id, rating=rating, comment=comment, opened_at=now, due_at=due)
        )
        if rules.rules["reopen_on_bad_rating"]:
            from_state = case.status
            case.reopen(due)
            append_event(
                case,
                "reopen",
                from_state,
                None,
                "citizen",
                now,
                "dissatisfied rating",
                {"rating": rating, "handling_due_at": due.isoformat()},
            )
    elif case.status == Status.REPLIED:
        # A rating proves the citizen has the reply: that is the feedback; close.
        if case.feedback_at is None:
            case.record_feedback(now, source, None)
            append_event(
                case,
                "feedback",
                Status.REPLIED.value,
                None,
                "citizen",
                now,
                None,
                {"channel": source},
            )
        case.close(now)
        append_event(case, "close", Status.REPLIED.value, None, "citizen", now, None, {})
