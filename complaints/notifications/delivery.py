"""Outbox delivery: claim due notices, send each through its channel, record the outcome, back off on failure.

A notice is claimed (status "sending", attempts + 1, leased for LEASE) and committed before anything is
sent, then marked "sent" in its own commit right after the channel returns. A process that dies after
the claim leaves the row leased; once the lease runs out the next run sends it. The only window for a
duplicate is a death between the channel's success and that commit (milliseconds); the notice id goes
downstream as an idempotency key (SMS gateway) / Message-ID (e-mail) for exactly that case.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from complaints.models import Notification
from complaints.notifications.channels import (
    Channel,
    Message,
    PermanentFailure,
    channels_from_config,
)
from complaints.notifications.templates import render_notice
from core.db import db, utcnow

log = logging.getLogger("qualityline.notifications")

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
CLAIMABLE = ("pending", "sending")  # "sending" rows are claimable again once their lease has run out
BACKLOG = ("pending", "sending")
# Rounds per run, so one run over a huge backlog still ends and lets other jobs have the database.
MAX_ROUNDS = 50


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """Delay before the next attempt after `attempts` failures: base x 2^(attempts-1), at most 6 h."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim_due(now: datetime, limit: int, outbox: type = Notification) -> list[int]:
    """Lease up to `limit` due rows of an outbox table to this process (committed); ids in due order.

    `outbox` is any model with id, status, attempts and next_attempt_at (complaint notices, survey messages).
    """
    due = (
        select(outbox.id)
        .where(outbox.status.in_(CLAIMABLE), outbox.next_attempt_at <= now)
        .order_by(outbox.next_attempt_at, outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(outbox)
        .where(
            outbox.id.in_(due.scalar_subquery()),
            outbox.status.in_(CLAIMABLE),
            outbox.next_attempt_at <= now,
        )
        .values(status="sending", attempts=outbox.attempts + 1, next_attempt_at=now + LEASE)
        .returning(outbox.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _message(notice: Notification, config: Mapping[str, Any]) -> Message:
    rendered = render_notice(
        notice.template,
        notice.locale or config["NOTICE_LOCALE"],
        notice.params,
        ZoneInfo(config["TIMEZONE"]),
    )
    return Message(notice.id, notice.recipient or "", rendered.subject, rendered.body)


def deliver_one(notice_id: int, channels: Mapping[str, Channel], config: Mapping[str, Any]) -> str:
    """Send one claimed notice and store the outcome (one commit); returns the new status."""
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.status != "sending":
        return "skipped"
    try:
        channel = channels.get(notice.channel)
        if channel is None:
            raise PermanentFailure(f"no channel {notice.channel!r}")
        try:
            message = _message(notice, config)
        except Exception as exc:  # a template bug must fail this notice, not the whole run
            raise PermanentFailure(f"cannot render {notice.template!r}: {exc}") from exc
        status = channel.send(message)
    except PermanentFailure as exc:
        notice.status, notice.last_error = "failed", str(exc)[:2000]
        log.warning("notice %s failed for good: %s", notice.id, exc)
    except Exception as exc:  # TemporaryFailure, or anything unexpected: retry later, never lose it
        now = utcnow()
        notice.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if notice.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
            notice.status = "failed"
            log.warning("notice %s failed after %s attempts: %s", notice.id, notice.attempts, exc)
        else:
            notice.status = "pending"
            notice.next_attempt_at = now + backoff(notice.attempts, int(config["OUTBOX_BACKOFF_SECONDS"]))
    else:
        notice.status, notice.sent_at, notice.last_error = status, utcnow(), None
    if notice.status != "pending":
        _forget_secrets(notice)
    db.session.commit()
    return notice.status


# Params that may carry a bearer secret (a survey token inside a link); kept only until the last attempt.
SECRET_PARAMS = ("link",)
REDACTED = "[removed after delivery]"


def _forget_secrets(notice: Notification) -> None:
    """Drop secrets from a notice whose delivery is over, so the outbox holds no usable token."""
    if any(key in notice.params for key in SECRET_PARAMS):
        notice.params = {**notice.params, **{k: REDACTED for k in SECRET_PARAMS if k in notice.params}}


def deliver_due(now: datetime | None = None, channels: Mapping[str, Channel] | None = None) -> Counter[str]:
    """Deliver every notice that is due (including expired leases); returns counts by new status."""
    config = current_app.config
    channels = channels if channels is not None else channels_from_config(config)
    outcome: Counter[str] = Counter()
    for _ in range(MAX_ROUNDS):
        ids = claim_due(now or utcnow(), int(config["OUTBOX_BATCH_SIZE"]))
        for notice_id in ids:
            outcome[deliver_one(notice_id, channels, config)] += 1
        if len(ids) < int(config["OUTBOX_BATCH_SIZE"]):
            break
    return outcome
