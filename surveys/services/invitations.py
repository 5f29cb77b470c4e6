"""Single-use invitation tokens: create them (one by one, from a CSV of contacts, or for a replied case),
find them, remind the people who have not answered."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from complaints.validators import mask_email, mask_mobile, normalize_mobile
from core.auth.models import User
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.regions import Region
from surveys.models import Survey, SurveyInvitation, SurveyMessage, SurveyVersion
from surveys.services.definitions import get_survey, is_open
from surveys.vocab import AGE_GROUPS, LANGUAGES, SEXES

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_BATCH = 20_000
# Column names a contact list may use (Chinese offices export Chinese headers).
COLUMNS = {
    "contact": ("contact", "mobile", "email", "phone", "手机", "手机号", "手机号码", "邮箱", "联系方式"),
    "district": ("district", "区县", "区", "所在区县"),
    "age_group": ("age_group", "年龄段", "年龄组"),
    "sex": ("sex", "性别"),
    "locale": ("locale", "language", "语言"),
}
SEX_WORDS = {"female": "female", "女": "female", "f": "female", "male": "male", "男": "male", "m": "male"}


def token_for(nonce: str) -> str:
    """The invitation token: HMAC of the row's nonce under SECRET_KEY, 192 bits, URL-safe."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"survey-invitation:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def hash_token(token: str) -> str:
    """SHA-256 of a token, the only form stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str, answer: tuple[str, Any] | None = None) -> str:
    """The public address of an invitation; with `answer`, the one-click link answering the first question."""
    base = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/t/{token}"
    if answer is None:
        return base
    code, value = answer
    return f"{base}?{code}={'yes' if value is True else 'no' if value is False else value}"


def new_invitation(
    survey: Survey,
    expires_at: datetime,
    *,
    channel: str | None = None,
    contact: str | None = None,
    attributes: dict[str, str] | None = None,
    locale: str = "zh-CN",
    case_id: int | None = None,
    batch: str | None = None,
    staff: User | None = None,
) -> tuple[SurveyInvitation, str]:
    """Add an invitation to the session (the caller commits); returns it with its token."""
    nonce = secrets.token_hex(16)
    token = token_for(nonce)
    invitation = SurveyInvitation(
        survey_id=survey.id,
        token_hash=hash_token(token),
        nonce=nonce,
        channel=channel,
        contact=contact,
        attributes=attributes or {},
        locale=locale,
        case_id=case_id,
        batch=batch,
        created_by_id=staff.id if staff else None,
        expires_at=expires_at,
    )
    db.session.add(invitation)
    return invitation, token


def find_invitation(token: str, lock: bool = False) -> SurveyInvitation:
    """The invitation of a token; an unknown token is a 404 (tokens are not guessable, so no hints)."""
    query = select(SurveyInvitation).where(SurveyInvitation.token_hash == hash_token(token or ""))
    invitation = db.session.scalar(query.with_for_update(of=SurveyInvitation) if lock else query)
    if invitation is None:
        raise NotFound("no invitation with this token")
    return invitation


def require_usable(invitation: SurveyInvitation, now: datetime) -> None:
    """Refuse a used, revoked or expired invitation (409)."""
    state = invitation.state(now)
    if state == "used":
        raise Conflict("this invitation has already been answered")
    if state != "open":
        raise Conflict("this invitation has expired")


@dataclass
class ContactRow:
    """One checked line of a contact list."""

    channel: str
    contact: str
    attributes: dict[str, str]
    locale: str


@dataclass
class BatchResult:
    """What a contact-list upload created."""

    batch: str
    created: int
    expires_at: datetime
    errors: dict[str, list[str]] = field(default_factory=dict)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB 18030: Excel in China saves CSV files in the ANSI code page."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput("file", "not a UTF-8 or GB 18030 text file") from None


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        cleaned = name.strip().lower()
        for key, aliases in COLUMNS.items():
            if cleaned in aliases and key not in found:
                found[key] = index
    if "contact" not in found:
        raise InvalidInput("file", "needs a contact column (mobile number or e-mail address)")
    return found


def parse_contacts(data: bytes) -> tuple[list[ContactRow], dict[str, list[str]]]:
    """Check a contact list; errors are keyed "row N" (the spreadsheet row number, header = row 1)."""
    rows = list(csv.reader(io.StringIO(decode_text(data))))
    if not rows:
        raise InvalidInput("file", "the file is empty")
    columns = _header_map(rows[0])
    if len(rows) - 1 > MAX_BATCH:
        raise InvalidInput("file", f"at most {MAX_BATCH} contacts per file")
    districts = set(db.session.scalars(select(Region.code).where(Region.level == 3)))
    checked, errors, seen = [], {}, set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        problems = []
        raw = cell["contact"]
        mobile = normalize_mobile(raw)
        channel, contact = ("sms", mobile) if mobile else ("email", raw.lower())
        if not mobile and not EMAIL.match(raw):
            problems.append("contact: not a mainland mobile number or an e-mail address")
        elif contact in seen:
            problems.append("contact: listed twice")
        seen.add(contact)
        attributes = {}
        if cell.get("district"):
            if cell["district"] in districts:
                attributes["district"] = cell["district"]
            else:
                problems.append("district: not a GB/T 2260 district code")
        if cell.get("age_group"):
            if cell["age_group"] in AGE_GROUPS:
                attributes["age_group"] = cell["age_group"]
            else:
                problems.append("age_group: 18-29, 30-39, 40-49, 50-59 or 60+")
        if cell.get("sex"):
            sex = SEX_WORDS.get(cell["sex"].lower())
            if sex in SEXES:
                attributes["sex"] = sex
            else:
                problems.append("sex: female/女 or male/男")
        locale = cell.get("locale") or "zh-CN"
        if locale not in LANGUAGES:
            problems.append("locale: zh-CN or en")
        if problems:
            errors[f"row {number}"] = problems
        else:
            checked.append(ContactRow(channel, contact, attributes, locale))
    if not checked and not errors:
        raise InvalidInput("file", "the file has no contacts")
    return checked, errors


def invite_contacts(slug: str, data: bytes, staff: User | None, days: int | None = None) -> BatchResult:
    """Create one invitation per contact and queue its message; a file with any bad row creates nothing."""
    survey = get_survey(slug)
    if not is_open(survey):
        raise Conflict("publish the survey (and keep it open) before inviting people")
    contacts, errors = parse_contacts(data)
    if errors:
        raise InvalidInput.many(errors)
    already = set(
        db.session.scalars(
            select(SurveyInvitation.contact).where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.contact.in_([c.contact for c in contacts]),
                SurveyInvitation.used_at.is_(None),
                SurveyInvitation.revoked_at.is_(None),
                SurveyInvitation.expires_at > utcnow(),
            )
        )
    )
    if already:
        shown = ", ".join(sorted(mask_mobile(c) if c.isdigit() else c for c in already)[:5])
        raise InvalidInput("file", f"{len(already)} contacts already hold an open invitation ({shown})")
    now = utcnow()
    expires_at = now + timedelta(days=days or survey.published.definition["invitation_days"])
    batch = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    for row in contacts:
        invitation, _token = new_invitation(
            survey,
            expires_at,
            channel=row.channel,
            contact=row.contact,
            attributes=row.attributes,
            locale=row.locale,
            batch=batch,
            staff=staff,
        )
        invitation.sent_at = now
        db.session.add(SurveyMessage(invitation=invitation, kind="invitation", next_attempt_at=now))
    db.session.commit()
    return BatchResult(batch, len(contacts), expires_at)


def create_link_invitation(
    slug: str, staff: User | None, days: int | None = None
) -> tuple[SurveyInvitation, str]:
    """One invitation handed out by hand (a printed letter, an interviewer's tablet); returns its token."""
    survey = get_survey(slug)
    if not is_open(survey):
        raise Conflict("publish the survey (and keep it open) before inviting people")
    expires_at = utcnow() + timedelta(days=days or survey.published.definition["invitation_days"])
    invitation, token = new_invitation(survey, expires_at, staff=staff)
    db.session.commit()
    return invitation, token


def list_invitations(slug: str, limit: int = 50, offset: int = 0) -> tuple[int, list[SurveyInvitation]]:
    """A page of a survey's invitations, newest first, with the total."""
    survey = get_survey(slug)
    where = SurveyInvitation.survey_id == survey.id
    total = db.session.scalar(select(func.count()).select_from(SurveyInvitation).where(where))
    page = db.session.scalars(
        select(SurveyInvitation)
        .where(where)
        .order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total or 0, list(page)


def masked_contact(invitation: SurveyInvitation) -> str | None:
    """138****8000 / z***@example.com: enough to recognise, not enough to contact."""
    contact = invitation.contact
    if not contact:
        return None
    return mask_mobile(contact) if invitation.channel == "sms" else mask_email(contact)


def queue_reminders(now: datetime | None = None, slug: str | None = None) -> int:
    """Queue a reminder for open, unanswered invitations whose last message is old enough."""
    now = now or utcnow()
    config = current_app.config
    if config["SURVEY_MAX_REMINDERS"] <= 0:
        return 0
    cutoff = now - timedelta(hours=config["SURVEY_REMINDER_AFTER_HOURS"])
    query = (
        select(SurveyInvitation)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(
            Survey.status == "open",
            SurveyInvitation.channel.is_not(None),
            SurveyInvitation.contact.is_not(None),
            SurveyInvitation.used_at.is_(None),
            SurveyInvitation.revoked_at.is_(None),
            SurveyInvitation.expires_at > now,
            SurveyInvitation.reminders < config["SURVEY_MAX_REMINDERS"],
            SurveyInvitation.sent_at <= cutoff,
            or_(SurveyInvitation.last_reminded_at.is_(None), SurveyInvitation.last_reminded_at <= cutoff),
        )
        .order_by(SurveyInvitation.id)
        .limit(1000)
        .with_for_update(of=SurveyInvitation, skip_locked=True)
    )
    if slug is not None:
        query = query.where(Survey.slug == slug)
    invitations = list(db.session.scalars(query))
    for invitation in invitations:
        invitation.reminders += 1
        invitation.last_reminded_at = now
        db.session.add(SurveyMessage(invitation_id=invitation.id, kind="reminder", next_attempt_at=now))
    db.session.commit()
    return len(invitations)


def first_question_choices(version: SurveyVersion) -> list[tuple[Any, dict[str, str]]]:
    """(value, label per language) of the first question, for one-click answers in a message; [] if it has
    no short list of answers (free text, multiple choice, or a condition)."""
    question = version.questions[0]
    kind = question["type"]
    if question.get("show_if"):
        return []
    if kind == "likert5":
        labels = question.get("point_labels") or [{"zh-CN": str(v), "en": str(v)} for v in range(1, 6)]
        return [(value, labels[value - 1]) for value in range(5, 0, -1)]
    if kind == "yes_no":
        return [(True, {"zh-CN": "是", "en": "Yes"}), (False, {"zh-CN": "否", "en": "No"})]
    if kind == "single" and len(question["options"]) <= 8:
        return [(option["value"], option["label"]) for option in question["options"]]
    if kind in ("scale10", "scale11", "nps"):
        low, high = (1, 10) if kind == "scale10" else (0, 10)
        return [(value, {"zh-CN": str(value), "en": str(value)}) for value in range(high, low - 1, -1)]
    return []
