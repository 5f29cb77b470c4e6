"""Deliver survey invitations and reminders through the complaint notices' channels (SMS gateway, SMTP).

Survey messages have their own outbox because an invitation from a contact list belongs to no case
(the complaints outbox is per case). The claim-lease-send-record cycle is the complaints one
(complaints/notifications/delivery.py explains the exactly-once reasoning); the text, and with it the
link, is made only at delivery, from the token the invitation's nonce rebuilds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from complaints.notifications.channels import (
    Channel,
    Message,
    PermanentFailure,
    channels_from_config,
)
from complaints.notifications.delivery import backoff, claim_due
from core.db import db, utcnow
from surveys.models import SurveyInvitation, SurveyMessage
from surveys.services.invitations import first_question_choices, invitation_link, token_for

log = logging.getLogger("qualityline.surveys")

MAX_ROUNDS = 50

TEXTS = {
    "zh-CN": {
        "invitation": "您好！诚邀您参加「{title}」，只需几分钟：{link} （{expires}前有效）",
        "reminder": "提醒：您还没有完成「{title}」，欢迎继续填写：{link} （{expires}前有效）",
        "one_click": "也可以直接点击您的回答：",
    },
    "en": {
        "invitation": (
            'You are invited to take part in "{title}"; it takes a few minutes: {link} (open until {expires})'
        ),
        "reminder": (
            'Reminder: you have not finished "{title}" yet. Carry on here: {link} (open until {expires})'
        ),
        "one_click": "Or click your answer straight away:",
    },
}


def _local_date(moment: datetime, locale: str) -> str:
    day = moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return f"{day.year}年{day.month}月{day.day}日" if locale == "zh-CN" else f"{day.day} {day:%B %Y}"


def render_message(invitation: SurveyInvitation, kind: str) -> tuple[str, str]:
    """(subject, body) in the invitation's language; e-mails also list the first question's answers as
    one-click links (an SMS stays short: one link)."""
    locale = invitation.locale if invitation.locale in TEXTS else "zh-CN"
    version = invitation.survey.published
    title = version.definition["title"].get(locale) or version.definition["title"]["zh-CN"]
    token = token_for(invitation.nonce)
    texts = TEXTS[locale]
    body = texts[kind].format(
        title=title, link=invitation_link(token), expires=_local_date(invitation.expires_at, locale)
    )
    choices = first_question_choices(version) if invitation.channel == "email" else []
    if choices:
        question = version.questions[0]
        lines = [texts["one_click"], question["text"].get(locale) or question["text"]["zh-CN"]]
        for value, label in choices:
            lines.append(
                f"{label.get(locale) or label['zh-CN']}: {invitation_link(token, (question['code'], value))}"
            )
        body += "\n\n" + "\n".join(lines)
    return title, body


def deliver_one(message_id: int, channels: Mapping[str, Channel], config: Mapping[str, Any]) -> str:
    """Send one claimed message and store the outcome (one commit); returns the new status."""
    message = db.session.get(SurveyMessage, message_id)
    if message is None or message.status != "sending":
        return "skipped"
    invitation = message.invitation
    try:
        if invitation.state(utcnow()) != "open":
            raise PermanentFailure(f"invitation is {invitation.state(utcnow())}")
        channel = channels.get(invitation.channel or "")
        if channel is None or not invitation.contact:
            raise PermanentFailure(f"no channel {invitation.channel!r} or no contact")
        subject, body = render_message(invitation, message.kind)
        # A string id keeps the gateway's idempotency key apart from the complaint notices' ids.
        outgoing = Message(f"survey-{message.id}", invitation.contact, subject, body)  # type: ignore[arg-type]
        status = channel.send(outgoing)
    except PermanentFailure as exc:
        message.status, message.last_error = "failed", str(exc)[:2000]
    except Exception as exc:  # TemporaryFailure or anything unexpected: retry later
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]):
            message.status = "failed"
            log.warning("survey message %s failed after %s attempts: %s", message.id, message.attempts, exc)
        else:
            message.status = "pending"
            message.next_attempt_at = utcnow() + backoff(
                message.attempts, int(config["OUTBOX_BACKOFF_SECONDS"])
            )
    else:
        message.status, message.sent_at, message.last_error = status, utcnow(), None
    db.session.commit()
    return message.status


def deliver_due_messages(
    now: datetime | None = None, channels: Mapping[str, Channel] | None = None
) -> Counter[str]:
    """Deliver every due invitation and reminder; returns counts by new status."""
    config = current_app.config
    channels = channels if channels is not None else channels_from_config(config)
    outcome: Counter[str] = Counter()
    for _ in range(MAX_ROUNDS):
        ids = claim_due(now or utcnow(), int(config["OUTBOX_BATCH_SIZE"]), SurveyMessage)
        for message_id in ids:
            outcome[deliver_one(message_id, channels, config)] += 1
        if len(ids) < int(config["OUTBOX_BATCH_SIZE"]):
            break
    return outcome
