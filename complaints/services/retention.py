"""Retention: the personal data of a finished case is erased QUALITYLINE_RETENTION_DAYS after it ended,
while everything the statistics need stays.

Erased: the complainant's name, mobile and e-mail; the free text a citizen or officer may have put a
person into (title, description, address and its coordinates, reply, decision reason, feedback note,
rating comment, extension reason, rectification comment, every audit event's reason text); the outbox
recipients and parameters; the intake idempotency keys (their request hash digests the submission); and,
through the erasers other packages register (surveys, open311), their rows tied to the case.
Kept: kind, channel, hotline, category, region, department, the respondent business (hot-spot analysis
is about businesses, not citizens), amounts, every date and deadline, outcome, rating and resolved flag,
so every KPI, the ledger and the rollups come out the same.

The audit chain survives: event hashes cover a salted commitment of the reason text, not the text
(complaints/services/audit.py), and the erasure itself is an event of the chain. A case whose chain
does not verify is left alone and reported, so tampering is investigated rather than erased.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, select, update

from complaints.models import Case, IdempotencyKey, Notification, Rectification
from complaints.services.audit import append_event, erase_reasons, verify_case_chain
from complaints.states import Status
from core.db import db, utcnow

log = logging.getLogger("qualityline.retention")

# Statuses in which nothing more happens to a case (a rejected or transferred case that never got its
# feedback recorded stays there; years later it is as finished as a closed one).
FINISHED = (Status.CLOSED.value, Status.MERGED.value, Status.REJECTED.value, Status.TRANSFERRED.value)
ERASE_ACTION = "erase_personal_data"
ERASED_FIELDS: dict[str, object] = {
    "complainant_name": None,
    "complainant_mobile": None,
    "complainant_email": None,
    "title": "",
    "description": "",
    "address": None,
    "latitude": None,
    "longitude": None,
    "reply": None,
    "decision_reason": None,
    "feedback_note": None,
    "rating_comment": None,
    "pending_extension_reason": None,
}
# Packages that keep personal data tied to cases register fn(case_ids) here (run in the same transaction).
ERASERS_KEY = "qualityline.personal_data_erasers"
BATCH = 200


@dataclass
class ErasureReport:
    """What one run did (or, dry, would do)."""

    cutoff: datetime
    erased: int = 0
    reasons_erased: int = 0
    resealed: int = 0
    skipped: list[str] = field(default_factory=list)  # tracking codes whose chain does not verify


def register_eraser(app: Flask, eraser: Callable[[list[int]], None]) -> None:
    """Let a package erase its own personal data of cases (complaints must not import it)."""
    app.extensions.setdefault(ERASERS_KEY, []).append(eraser)


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    """Cases that ended before this moment are due for erasure; None when retention is off (0 days)."""
    days = current_app.config["RETENTION_DAYS"]
    return None if days <= 0 else (now or utcnow()) - timedelta(days=days)


def _due(cutoff: datetime):
    ended = func.coalesce(Case.closed_at, Case.decided_at)
    return select(Case).where(
        Case.status.in_(FINISHED), Case.personal_data_erased_at.is_(None), ended < cutoff
    )


def count_expired(cutoff: datetime) -> int:
    """How many finished cases ended before `cutoff` still hold personal data."""
    return db.session.scalar(select(func.count()).select_from(_due(cutoff).subquery()))


def _erase_related(ids: list[int]) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.case_id.in_(ids))
        .values(recipient=None, params={}, last_error=None)
    )
    # A notice still waiting (years late) has nobody left to go to.
    db.session.execute(
        update(Notification)
        .where(Notification.case_id.in_(ids), Notification.status.in_(("pending", "sending")))
        .values(status="failed", last_error="recipient erased at the end of the retention period")
    )
    db.session.execute(update(Rectification).where(Rectification.case_id.in_(ids)).values(comment=None))
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.case_id.in_(ids)))
    for eraser in current_app.extensions.get(ERASERS_KEY, []):
        eraser(ids)


def _erase_case(case: Case, now: datetime, report: ErasureReport) -> bool:
    if verify_case_chain(case):
        log.error("audit chain of %s does not verify: personal data not erased", case.tracking_code)
        report.skipped.append(case.tracking_code)
        return False
    previous_head = case.last_event_hash
    reasons, resealed = erase_reasons(case)
    for name, value in ERASED_FIELDS.items():
        setattr(case, name, value)
    case.personal_data_erased_at = now
    payload: dict[str, object] = {
        "retention_days": current_app.config["RETENTION_DAYS"],
        "reasons_erased": reasons,
    }
    if resealed:
        # The chain hashed the texts themselves (before migration 0008): it was verified above and is
        # now re-sealed over their commitments; the old head is kept here.
        payload["resealed_from"] = previous_head
        report.resealed += 1
    append_event(case, ERASE_ACTION, case.status, None, "system", now, None, payload)
    report.reasons_erased += reasons
    return True


def erase_expired(dry_run: bool = False, now: datetime | None = None) -> ErasureReport:
    """Erase the personal data of every finished case past the retention period, one commit per batch
    (idempotent: an erased case is marked and never picked again)."""
    now = now or utcnow()
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return ErasureReport(now)
    report = ErasureReport(cutoff)
    if dry_run:
        report.erased = count_expired(cutoff)
        return report
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                _due(cutoff)
                .where(Case.id > last_id)
                .order_by(Case.id)
                .limit(BATCH)
                .with_for_update(of=Case, skip_locked=True)
            )
        )
        if not batch:
            return report
        last_id = batch[-1].id
        try:
            done = [case.id for case in batch if _erase_case(case, now, report)]
            if done:
                _erase_related(done)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        report.erased += len(done)
