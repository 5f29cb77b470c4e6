"""Delivery channels: SMS through an HTTP gateway, e-mail over SMTP, the in-app inbox, and a log sink.

A channel either returns the status to store ("sent", or "logged" when nothing left the building) or
raises TemporaryFailure (retry with backoff) / PermanentFailure (give up now).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cache
from typing import Any, Protocol

from complaints.validators import mask_contact

log = logging.getLogger("qualityline.notifications")


class DeliveryError(Exception):
    """A channel could not deliver a notice."""


class TemporaryFailure(DeliveryError):
    """Worth retrying later: timeouts, refused connections, 429 and 5xx answers, SMTP 4xx."""


class PermanentFailure(DeliveryError):
    """Retrying will not help: a refused recipient, a rejected request, a missing template."""


@dataclass(frozen=True)
class Message:
    """One rendered notice for one recipient; notice_id doubles as the idempotency key downstream."""

    notice_id: int
    recipient: str
    subject: str
    body: str


class Channel(Protocol):
    """Sends a message; returns the status to store."""

    def send(self, message: Message) -> str: ...


class SmsGateway:
    """POST {"id", "to", "text"} as JSON to the operator's SMS gateway.

    The standard library's urllib is enough for one JSON POST with a timeout; the notice id goes out as
    the Idempotency-Key, so a gateway that honours it never texts twice when a retry follows a lost reply.
    """

    def __init__(self, url: str, token: str, signature: str, timeout: float):
        self.url, self.token, self.signature, self.timeout = url, token, signature, timeout

    def send(self, message: Message) -> str:
        key = f"qualityline-notice-{message.notice_id}"
        body = json.dumps(
            {"id": key, "to": message.recipient, "text": f"{self.signature}{message.body}"},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = f"SMS gateway answered {exc.code}"
            if exc.code == 429 or exc.code >= 500:
                raise TemporaryFailure(detail) from exc
            raise PermanentFailure(detail) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TemporaryFailure(f"SMS gateway unreachable: {exc}") from exc
        return "sent"


class SmtpMailer:
    """Plain-text UTF-8 e-mail over SMTP (optionally STARTTLS or implicit TLS, optionally AUTH)."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str,
        sender: str,
        timeout: float,
    ):
        if security not in ("none", "starttls", "ssl"):
            raise ValueError("SMTP_SECURITY must be none, starttls or ssl")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.sender, self.timeout = username, password, sender, timeout

    def _message(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].partition("@")[2] or "qualityline.invalid"
        # A stable Message-ID lets mail systems drop a duplicate if a retry follows a lost SMTP reply.
        email["Message-ID"] = f"<notice-{message.notice_id}@{domain}>"
        email.set_content(message.body)
        return email

    def send(self, message: Message) -> str:
        email = self._message(message)
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"recipient deferred: {exc.recipients}") from exc
            raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"SMTP unavailable: {exc}") from exc
        return "sent"


class InAppChannel:
    """Staff inbox: the outbox row itself is the inbox entry, so delivering it just marks it sent."""

    def send(self, message: Message) -> str:
        return "sent"


class LogChannel:
    """No transport configured (development): write the text to the log and store status "logged"."""

    def __init__(self, name: str):
        self.name = name

    def send(self, message: Message) -> str:
        log.debug(
            "%s notice %s to %s (not sent, no %s transport configured): %s",
            self.name,
            message.notice_id,
            mask_contact(message.recipient),  # logs are read by operators, not only by the recipient
            self.name,
            message.body,
        )
        return "logged"


@cache
def _warn_log_only(name: str) -> None:
    log.warning("no %s transport configured: %s notices are only written to the debug log", name, name)


def channels_from_config(config: Mapping[str, Any]) -> dict[str, Channel]:
    """The channel for each Notification.channel value, built from QUALITYLINE_* settings."""
    timeout = float(config["NOTIFY_TIMEOUT"])
    for name, setting in (("sms", "SMS_GATEWAY_URL"), ("email", "SMTP_HOST")):
        if not config[setting]:
            _warn_log_only(name)
    sms: Channel = (
        SmsGateway(config["SMS_GATEWAY_URL"], config["SMS_GATEWAY_TOKEN"], config["SMS_SIGNATURE"], timeout)
        if config["SMS_GATEWAY_URL"]
        else LogChannel("sms")
    )
    email: Channel = (
        SmtpMailer(
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config["SMTP_SECURITY"],
            config["SMTP_USERNAME"],
            config["SMTP_PASSWORD"],
            config["MAIL_FROM"],
            timeout,
        )
        if config["SMTP_HOST"]
        else LogChannel("email")
    )
    return {"sms": sms, "email": email, "in_app": InAppChannel()}
