"""Intake: citizens' web submissions and operators' phone registrations."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from complaints.models import Case, IdempotencyKey
from complaints.services.audit import GENESIS_HASH, append_event
from complaints.services.catalogue import current_policy, deadline_rules, require_catalogue_codes
from complaints.services.notify import queue_notice
from complaints.states import Kind, Status
from complaints.validators import credit_code_problem
from core.auth.models import User
from core.db import db, utcnow
from core.errors import InvalidInput

# Crockford base32: no I, L, O, U, so codes survive being read out over the phone.
TRACKING_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Receipt:
    """What the answer to a submission shows, in UTC as the database hands timestamps back."""

    tracking_code: str
    status: str
    received_at: datetime
    acceptance_due_at: datetime
    sign_due_at: datetime | None
    handling_due_at: datetime | None
    feedback_due_at: datetime | None
    next_due_at: datetime | None

    @classmethod
    def of(cls, case: Case) -> Receipt:
        """Read from the case before its commit: after it the case is expired, and reading it again
        would cost a SELECT of the row just written."""

        def utc(moment: datetime | None) -> datetime | None:
            return None if moment is None else moment.astimezone(UTC)

        return cls(
            tracking_code=case.tracking_code,
            status=case.status,
            received_at=utc(case.received_at),
            acceptance_due_at=utc(case.acceptance_due_at),
            sign_due_at=utc(case.sign_due_at),
            handling_due_at=utc(case.handling_due_at),
            feedback_due_at=utc(case.feedback_due_at),
            next_due_at=utc(case.next_due_at),
        )


@dataclass(frozen=True)
class IntakeResult:
    """The registered case and its access key (the key is shown once and stored only hashed)."""

    case: Case
    access_key: str
    receipt: Receipt
    replayed: bool = False


def hash_access_key(key: str) -> str:
    """SHA-256 of an access key (80 random bits, so no slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _random_code(length: int) -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(length))


def _derived_access_key(idempotency_key: str, tracking_code: str) -> str:
    # Derived, not stored: a replayed submission can hand back the same key without keeping it in clear.
    mac = hmac.new(
        current_app.config["SECRET_KEY"].encode(),
        f"{idempotency_key}\0{tracking_code}".encode(),
        hashlib.sha256,
    ).digest()
    return "".join(TRACKING_ALPHABET[b % 32] for b in mac[:16])


def _request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _missing_for_complaint(data: dict[str, Any]) -> list[tuple[str, str]]:
    complainant, respondent = data.get("complainant") or {}, data.get("respondent") or {}
    missing = []
    if not complainant.get("name"):
        missing.append(("complainant.name", "a complaint needs the complainant's name"))
    if not complainant.get("mobile"):
        missing.append(("complainant.mobile", "a complaint needs a mobile phone number"))
    if not respondent.get("name"):
        missing.append(("respondent.name", "a complaint needs the name of the business complained about"))
    return missing


def _check_required(data: dict[str, Any], allow_incomplete: bool) -> bool:
    """Apply the per-kind required fields; returns True for an incomplete (operator-only) complaint."""
    kind = data["kind"]
    complainant = data.get("complainant") or {}
    if kind == Kind.COMPLAINT:
        missing = _missing_for_complaint(data)
        if missing and not allow_incomplete:
            raise InvalidInput.many({field: [reason] for field, reason in missing})
        return bool(missing)
    reachable = complainant.get("name") and (complainant.get("mobile") or complainant.get("email"))
    if kind != Kind.REPORT and not reachable:
        raise InvalidInput(
            "complainant",
            "give a name and a mobile or e-mail so we can answer; only reports may be anonymous",
        )
    return False


def _build_case(data: dict[str, Any], allow_incomplete: bool, received: datetime) -> Case:
    require_catalogue_codes(data["category_code"], data["region_code"])
    incomplete = _check_required(data, allow_incomplete)
    respondent, complainant = data.get("respondent") or {}, data.get("complainant") or {}
    credit_code, override = respondent.get("credit_code"), bool(respondent.get("credit_code_override"))
    if credit_code and not override and (problem := credit_code_problem(credit_code)):
        raise InvalidInput("respondent.credit_code", problem)
    policy = current_policy()
    rules = deadline_rules(policy.version)
    urgent = data.get("priority") == "urgent"
    case = Case(
        kind=data["kind"],
        channel=data["channel"],
        hotline=data["hotline"],
        priority=data.get("priority", "normal"),
        category_code=data["category_code"],
        region_code=data["region_code"],
        title=data["title"],
        description=data["description"],
        address=data.get("address"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        amount_involved=data.get("amount_involved"),
        respondent_name=respondent.get("name"),
        respondent_credit_code=credit_code,
        respondent_credit_code_override=override and bool(credit_code),
        respondent_address=respondent.get("address"),
        complainant_name=complainant.get("name"),
        complainant_mobile=complainant.get("mobile"),
        complainant_email=complainant.get("email"),
        is_confidential=data.get("is_confidential", False),
        is_incomplete=incomplete,
        status=Status.REGISTERED.value,
        policy_version=policy.version,
        received_at=received,
        acceptance_due_at=rules.acceptance_due(received, urgent),
        # The chain starts here; set now because the register event is hashed before the INSERT.
        event_count=0,
        last_event_hash=GENESIS_HASH,
    )
    case.refresh_next_due()
    return case


def _reserve_case_id() -> int | None:
    """The new case's id from its PostgreSQL sequence, ahead of the INSERT; None on SQLite (no sequence).
    The register event's hash covers the id: known first, the chain head goes into the INSERT of the case,
    instead of an INSERT then an UPDATE of the new row (one statement and one dead row version fewer)."""
    if db.engine.dialect.name != "postgresql":
        return None
    return db.session.scalar(text("SELECT nextval(pg_get_serial_sequence('cases', 'id'))"))


def _register(
    data: dict[str, Any],
    actor: User | None,
    allow_incomplete: bool,
    idempotency_key: str | None,
    request_hash: str | None,
    on_registered: Callable[[Case], None] | None = None,
) -> IntakeResult:
    received = utcnow()
    case = _build_case(data, allow_incomplete, received)
    case.created_by_id = actor.id if actor else None
    local = ZoneInfo(current_app.config["TIMEZONE"])  # the calendar's zone, without loading it again
    case.tracking_code = f"QL-{received.astimezone(local):%Y%m%d}-{_random_code(8)}"
    access_key = (
        _derived_access_key(idempotency_key, case.tracking_code) if idempotency_key else _random_code(16)
    )
    case.access_key_hash = hash_access_key(access_key)
    case.id = _reserve_case_id()
    db.session.add(case)
    if case.id is None:
        db.session.flush()  # the id comes from the INSERT
    payload: dict[str, Any] = {"channel": case.channel, "kind": case.kind}
    if case.respondent_credit_code_override:
        payload["credit_code_override"] = case.respondent_credit_code  # logged on purpose (DESIGN.md)
    if case.is_incomplete:
        payload["incomplete"] = True
    append_event(case, "register", None, actor, actor.role if actor else "citizen", received, payload=payload)
    queue_notice(case, "receipt", {"acceptance_due_at": case.acceptance_due_at.isoformat()})
    if idempotency_key:
        db.session.add(IdempotencyKey(key=idempotency_key, request_hash=request_hash, case_id=case.id))
    if on_registered is not None:
        on_registered(case)  # an adapter's own rows (e.g. Open311's) join the same transaction
    result = IntakeResult(case, access_key, Receipt.of(case))
    db.session.commit()
    return result


def _replay(idempotency_key: str, request_hash: str) -> IntakeResult | None:
    row = db.session.get(IdempotencyKey, idempotency_key)
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise InvalidInput("Idempotency-Key", "was already used for a different submission")
    case = db.session.get(Case, row.case_id)
    access_key = _derived_access_key(idempotency_key, case.tracking_code)
    return IntakeResult(case, access_key, Receipt.of(case), replayed=True)


def submit_complaint(
    data: dict[str, Any],
    idempotency_key: str | None = None,
    on_registered: Callable[[Case], None] | None = None,
) -> IntakeResult:
    """A citizen's submission, all required fields enforced; a repeated Idempotency-Key returns its case.
    `on_registered(case)` runs inside the registering transaction (not on a replay)."""
    data = {**data, "priority": "normal"}
    request_hash = _request_hash(data) if idempotency_key else None
    if idempotency_key and (replay := _replay(idempotency_key, request_hash)):
        return replay
    try:
        return _register(data, None, False, idempotency_key, request_hash, on_registered)
    except IntegrityError:
        # A concurrent retry with the same key won the insert; hand back its case.
        db.session.rollback()
        replay = _replay(idempotency_key, request_hash) if idempotency_key else None
        if replay is None:
            raise
        return replay


def register_case(data: dict[str, Any], operator: User) -> IntakeResult:
    """An operator registers a phone/visit/letter case; an incomplete complaint may only be rejected."""
    return _register(data, operator, True, None, None)


def find_case_by_code(tracking_code: str) -> Case | None:
    """The case with this tracking code, if any."""
    return db.session.scalar(select(Case).where(Case.tracking_code == tracking_code))
