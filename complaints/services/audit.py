"""The append-only, hash-chained audit log of case actions and its verification.

Personal data and the chain. An event's structured fields (action, states, actor, time, payload) hold
no personal data: payloads carry codes, deadlines, outcomes and ratings only. The one free-text field,
`reason` (a staff note, a rejection reason, the citizen's rating comment, a partner's update text), can
hold names and phone numbers, and the retention period (complaints/services/retention.py) must be able
to erase it without breaking the chain. So the digest covers a salted commitment of the text,
sha256(salt, reason), stored beside it, never the text itself: erasing the text and its salt leaves the
commitment, and the chain verifies unchanged (its head hash too, so a head noted elsewhere still
matches). The random salt keeps the commitment from being reversed by trying every phone number.
Events written before commitments existed (migration 0008) hash the text directly; erase_reasons
re-seals such a chain once, after verifying it, and says so in the erasure event.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from complaints.models import Case, CaseEvent
from core.auth.models import User
from core.db import db

GENESIS_HASH = "0" * 64
# One encoder for every digest: json.dumps with these options would build a new encoder per call,
# which is most of the cost when a bulk import or verify-audit hashes hundreds of thousands of events.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@lru_cache(maxsize=4096)
def _utc_iso(at: datetime) -> str:
    # Cached: the events of one case share a few moments, and bulk writers hash many events in a row.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    """The canonical JSON the audit digests are computed over (sorted keys, no spaces)."""
    return _CANONICAL_JSON.encode(value)


def event_digest_with_payload_json(
    prev_hash: str,
    case_id: int,
    seq: int,
    action: str,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    actor_role: str,
    at: datetime,
    reason: str | None,
    payload_json: str,
) -> str:
    """event_digest for a payload already in canonical_json (a bulk writer stores that same text)."""
    head = _CANONICAL_JSON.encode(
        [
            case_id,
            seq,
            action,
            from_state,
            to_state,
            actor_id,
            actor_role,
            _utc_iso(at),
            reason,
        ]
    )
    # The canonical JSON of the whole list is the head's items, a comma, the payload's, "]".
    return hashlib.sha256((prev_hash + head[:-1] + "," + payload_json + "]").encode()).hexdigest()


def event_digest(
    prev_hash: str,
    case_id: int,
    seq: int,
    action: str,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    actor_role: str,
    at: datetime,
    reason: str | None,
    payload: dict[str, Any],
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields."""
    return event_digest_with_payload_json(
        prev_hash,
        case_id,
        seq,
        action,
        from_state,
        to_state,
        actor_id,
        actor_role,
        at,
        reason,
        canonical_json(payload),
    )


def reason_commitment(salt: str, reason: str) -> str:
    """The salted SHA-256 of an event's free text, which its hash covers instead of the text."""
    return hashlib.sha256(f"{salt}\0{reason}".encode()).hexdigest()


def _hashed_reason(reason: str | None, digest: str | None) -> str | None:
    # What the event digest covers in the reason's place: the commitment, or (older events) the text.
    return reason if digest is None else f"sha256:{digest}"


def append_event(
    case: Case,
    action: str,
    from_state: str | None,
    actor: User | None,
    role: str,
    at: datetime,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append the next event of the case's chain and move the case's chain head (same transaction)."""
    seq = case.event_count + 1
    payload = payload or {}
    actor_id = actor.id if actor else None
    salt = secrets.token_hex(16) if reason is not None else None
    commitment = reason_commitment(salt, reason) if salt is not None else None
    digest = event_digest(
        case.last_event_hash,
        case.id,
        seq,
        action,
        from_state,
        case.status,
        actor_id,
        role,
        at,
        _hashed_reason(reason, commitment),
        payload,
    )
    event = CaseEvent(
        case_id=case.id,
        seq=seq,
        action=action,
        from_state=from_state,
        to_state=case.status,
        actor_id=actor_id,
        actor_role=role,
        at=at,
        reason=reason,
        reason_salt=salt,
        reason_digest=commitment,
        payload=payload,
        prev_hash=case.last_event_hash,
        hash=digest,
    )
    case.event_count, case.last_event_hash = seq, digest
    db.session.add(event)
    return event


@dataclass(frozen=True)
class ChainProblem:
    """One break found by verify_audit_chain."""

    tracking_code: str
    seq: int | None
    problem: str


def _stored_digest(event: CaseEvent, prev: str) -> str:
    """The hash the event should carry after `prev`, from its stored fields."""
    return event_digest(
        prev,
        event.case_id,
        event.seq,
        event.action,
        event.from_state,
        event.to_state,
        event.actor_id,
        event.actor_role,
        event.at,
        _hashed_reason(event.reason, event.reason_digest),
        event.payload,
    )


def _reason_intact(event: CaseEvent) -> bool:
    # An erased reason (text and salt gone) is intact; a present one must match its commitment.
    if event.reason is None or event.reason_digest is None:
        return True
    return event.reason_salt is not None and reason_commitment(event.reason_salt, event.reason) == (
        event.reason_digest
    )


def _verify_case(case: Case, events: list[CaseEvent]) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(ChainProblem(case.tracking_code, expected_seq, "event missing"))
            break
        digest = _stored_digest(event, prev)
        if event.prev_hash != prev or event.hash != digest or not _reason_intact(event):
            problems.append(ChainProblem(case.tracking_code, event.seq, "event altered"))
            break
        prev = event.hash
    else:
        if len(events) != case.event_count or prev != case.last_event_hash:
            problems.append(ChainProblem(case.tracking_code, len(events) + 1, "latest event missing"))
    return problems


def verify_audit_chain(batch_size: int = 1000) -> tuple[int, list[ChainProblem]]:
    """Recompute every case's chain; returns (cases checked, problems). Streams in id batches."""
    checked, problems, last_id = 0, [], 0
    while True:
        cases = db.session.scalars(
            select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch_size)
        ).all()
        if not cases:
            return checked, problems
        ids = [c.id for c in cases]
        by_case: dict[int, list[CaseEvent]] = {i: [] for i in ids}
        for event in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id.in_(ids)).order_by(CaseEvent.case_id, CaseEvent.seq)
        ):
            by_case[event.case_id].append(event)
        for case in cases:
            problems.extend(_verify_case(case, by_case[case.id]))
        checked += len(cases)
        last_id = ids[-1]
        db.session.expunge_all()


def case_events(case: Case) -> list[CaseEvent]:
    """The case's events in chain order."""
    return list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )


def verify_case_chain(case: Case) -> list[ChainProblem]:
    """Recompute one case's chain (flushes pending changes first)."""
    db.session.flush()
    return _verify_case(case, case_events(case))


def erase_reasons(case: Case) -> tuple[int, bool]:
    """Erase the free text of every event of the case, keeping each commitment so the chain still
    verifies; returns (texts erased, whether an older text-hashing chain had to be re-sealed). The
    caller verifies the chain first and owns the transaction."""
    erased, resealed, prev = 0, False, GENESIS_HASH
    for event in case_events(case):
        if event.reason is not None:
            if event.reason_digest is None:
                # Written before commitments: commit to the text now; this and later hashes change.
                event.reason_salt = secrets.token_hex(16)
                event.reason_digest = reason_commitment(event.reason_salt, event.reason)
                resealed = True
            event.reason, event.reason_salt = None, None
            erased += 1
        if resealed:
            event.prev_hash, event.hash = prev, _stored_digest(event, prev)
        prev = event.hash
    if resealed:
        case.last_event_hash = prev
    return erased, resealed
