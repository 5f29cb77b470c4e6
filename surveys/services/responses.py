"""Taking a survey: open-link and invitation responses, one-click answers, quotas, duplicate flags and the
respondent attributes weighting needs."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.regions import Region
from surveys import questions as q
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse, SurveyVersion
from surveys.questions import N_, AnswerError
from surveys.services.callback import apply_case_feedback
from surveys.services.definitions import get_public_survey, is_open
from surveys.services.idempotency import replayed_response, submission_hash
from surveys.services.invitations import find_invitation, require_usable
from surveys.services.quotas import (
    QuotaFull,
    missing_quota_answers,
    quota_cell,
    quota_count,
    screening_questions,
)
from surveys.vocab import ATTRIBUTES, LANGUAGES, ResponseChannel, ResponseStatus

FieldErrors = dict[str, list[AnswerError]]


class AnswersInvalid(InvalidInput):
    """422 naming each question ("answers.<code>") or attribute ("respondent.<name>") at fault; `details`
    keeps the catalogue msgids so the pages can show them in the visitor's language."""

    def __init__(self, details: FieldErrors):
        first = next(iter(details))
        super().__init__(first, str(details[first][0]))
        self.details = details
        self.errors = {name: [str(error) for error in errors] for name, errors in details.items()}
        self.message = "; ".join(f"{name}: {msgs[0]}" for name, msgs in self.errors.items())


def normalize_locale(locale: str | None) -> str:
    """zh-CN or en (zh_CN and en_US spellings accepted)."""
    value = (locale or "").replace("_", "-")
    return value if value in LANGUAGES else "en" if value.startswith("en") else "zh-CN"


def device_hash(survey_id: int, device_key: str) -> str:
    """Keyed hash of a browser cookie or address + user agent: repeats are recognisable, visitors are not."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"survey-device:{survey_id}:{device_key}".encode(), hashlib.sha256).hexdigest()


def _local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _require_collecting(survey: Survey, version: SurveyVersion, now: datetime) -> None:
    if not is_open(survey):
        raise Conflict("this survey is closed")
    period = version.definition.get("period") or {}
    today = _local_today(now)
    if period.get("start") and today < date.fromisoformat(period["start"]):
        raise Conflict("this survey has not started yet")
    if period.get("end") and today > date.fromisoformat(period["end"]):
        raise Conflict("this survey has ended")


def check_answers(
    version: SurveyVersion, answers: Mapping[str, Any], strict_skips: bool = True, partial: bool = False
) -> dict[str, Any]:
    """The clean answers, or AnswersInvalid with every question at fault."""
    if not isinstance(answers, Mapping):
        raise InvalidInput("answers", "must be an object of question code to answer")
    clean, errors = q.validate_answers(version.questions, answers, strict_skips=strict_skips, partial=partial)
    if errors:
        raise AnswersInvalid({f"answers.{code}": found for code, found in errors.items()})
    return clean


def respondent_attributes(
    version: SurveyVersion,
    clean: Mapping[str, Any],
    given: Mapping[str, Any] | None,
    invitation: SurveyInvitation | None,
) -> tuple[dict[str, str], FieldErrors]:
    """District, age group and sex: the respondent's own answers win over the request's `respondent`,
    which wins over what the contact list said."""
    attributes = dict(invitation.attributes) if invitation is not None else {}
    errors: FieldErrors = {}
    for name, value in (given or {}).items():
        if value is None:
            continue
        if name == "district" and db.session.get(Region, value) is None:
            errors["respondent.district"] = [AnswerError(N_("Unknown district."))]
            continue
        attributes[name] = value
    for question in version.questions:
        value = clean.get(question["code"])
        if question.get("attribute") and isinstance(value, str) and value != q.DONT_KNOW:
            attributes[question["attribute"]] = value
    return {k: v for k, v in attributes.items() if k in ATTRIBUTES}, errors


def _classify(
    response: SurveyResponse,
    survey: Survey,
    version: SurveyVersion,
    clean: Mapping[str, Any],
    given: Mapping[str, Any] | None,
    invitation: SurveyInvitation | None,
) -> None:
    """Attributes, quota cell (full cells refuse) and duplicate flag of a response about to complete."""
    attributes, errors = respondent_attributes(version, clean, given, invitation)
    errors.update(missing_quota_answers(version, attributes))
    if errors:
        raise AnswersInvalid(errors)
    response.district = attributes.get("district")
    response.age_group = attributes.get("age_group")
    response.sex = attributes.get("sex")
    response.quota_cell, target = quota_cell(version.definition, attributes)
    if response.device_hash is not None and response.invitation_id is None:
        first = db.session.scalar(
            select(SurveyResponse.id)
            .where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.device_hash == response.device_hash,
                SurveyResponse.status == ResponseStatus.COMPLETE,
            )
            .order_by(SurveyResponse.id)
            .limit(1)
        )
        # Flag, never drop: analysts decide; duplicates do not count towards quotas.
        response.is_duplicate, response.duplicate_of_id = first is not None, first
    if (
        target is not None
        and not response.is_duplicate
        and quota_count(survey.id, response.quota_cell) >= target
    ):
        raise QuotaFull("we already have all the answers we need from people in your group")


def answer_fields(question: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """The SurveyAnswer columns of one clean answer."""
    fields: dict[str, Any] = {
        "number": None,
        "choice": None,
        "choices": None,
        "text": None,
        "dont_know": value == q.DONT_KNOW,
        "is_yes_no": question["type"] == q.YES_NO,
    }
    if fields["dont_know"]:
        return fields
    kind = question["type"]
    if kind == q.YES_NO:
        fields["number"] = 1.0 if value else 0.0
    elif kind in q.RANGES:
        fields["number"] = float(value)
    elif kind == q.SINGLE:
        fields["choice"] = value
    elif kind == q.MULTI:
        fields["choices"] = list(value)
    else:
        fields["text"] = value
    return fields


def set_answers(
    response: SurveyResponse, version: SurveyVersion, clean: Mapping[str, Any], keep: bool = False
) -> None:
    """Store the clean answers, reusing rows by question (a partial response is completed in place);
    `keep` leaves answers to other questions alone."""
    by_code = {question["code"]: question for question in version.questions}
    rows = {answer.question_code: answer for answer in response.answers}
    for code, answer in list(rows.items()):
        if code not in clean and not keep:
            response.answers.remove(answer)
    for code, value in clean.items():
        row = rows.get(code)
        if row is None:
            row = SurveyAnswer(question_code=code)
            response.answers.append(row)
        for name, field_value in answer_fields(by_code[code], value).items():
            setattr(row, name, field_value)


def _lock_for_quotas(survey: Survey, version: SurveyVersion) -> None:
    # Serialise completions of a quota survey so two respondents cannot both take a cell's last place.
    if version.definition.get("quotas"):
        db.session.scalar(select(Survey.id).where(Survey.id == survey.id).with_for_update())


def submit_open_response(
    slug: str,
    answers: Mapping[str, Any],
    *,
    respondent: Mapping[str, Any] | None = None,
    locale: str | None = None,
    device_key: str | None = None,
    strict_skips: bool = True,
    idempotency_key: str | None = None,
) -> SurveyResponse:
    """A response through the public link (page or API): validated, classified, stored complete; a
    repeated Idempotency-Key returns the response its first submission stored."""
    survey, version = get_public_survey(slug)
    digest = (
        submission_hash(slug=slug, answers=answers, respondent=respondent, locale=locale)
        if idempotency_key
        else None
    )
    if (replay := replayed_response(survey.id, idempotency_key, digest)) is not None:
        return replay
    now = utcnow()
    _require_collecting(survey, version, now)
    clean = check_answers(version, answers, strict_skips)
    _lock_for_quotas(survey, version)
    response = SurveyResponse(
        survey_id=survey.id,
        version_id=version.id,
        channel=ResponseChannel.LINK.value,
        locale=normalize_locale(locale),
        device_hash=device_hash(survey.id, device_key) if device_key else None,
        status=ResponseStatus.COMPLETE.value,
        idempotency_key=idempotency_key,
        request_hash=digest,
        started_at=now,
        updated_at=now,
        submitted_at=now,
    )
    try:
        _classify(response, survey, version, clean, respondent, None)
        set_answers(response, version, clean)
        db.session.add(response)
        db.session.commit()
    except IntegrityError:
        # A concurrent retry with the same key stored its response first: hand that one back.
        db.session.rollback()
        if (replay := replayed_response(survey.id, idempotency_key, digest)) is None:
            raise
        return replay
    except Exception:
        db.session.rollback()
        raise
    return response


def _invitation_survey(
    token: str, now: datetime, lock: bool = True, slug: str | None = None
) -> tuple[SurveyInvitation, Survey, SurveyVersion]:
    return _usable_invitation(find_invitation(token, lock=lock), now, slug)


def _usable_invitation(
    invitation: SurveyInvitation, now: datetime, slug: str | None
) -> tuple[SurveyInvitation, Survey, SurveyVersion]:
    survey = invitation.survey
    if survey.published is None or (slug is not None and survey.slug != slug):
        raise NotFound("no invitation with this token")
    require_usable(invitation, now)
    _require_collecting(survey, survey.published, now)
    return invitation, survey, survey.published


def _invited_response(invitation: SurveyInvitation, version: SurveyVersion, now: datetime) -> SurveyResponse:
    response = db.session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))
    if response is None:
        response = SurveyResponse(
            survey_id=invitation.survey_id,
            invitation_id=invitation.id,
            case_id=invitation.case_id,
            channel=(ResponseChannel.CALLBACK if invitation.case_id else ResponseChannel.INVITATION).value,
            locale=invitation.locale,
            status=ResponseStatus.PARTIAL.value,
            started_at=now,
        )
        db.session.add(response)
    response.version_id, response.version = version.id, version
    response.updated_at = now
    return response


def invitation_context(token: str) -> tuple[SurveyInvitation, SurveyVersion, SurveyResponse | None]:
    """What the invitation page shows: the invitation, the version to answer, a partial response if any.
    Raises like submitting would (404 unknown, 409 used/expired/closed)."""
    now = utcnow()
    invitation, _survey, version = _invitation_survey(token, now, lock=False)
    response = db.session.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id))
    return invitation, version, response


def submit_invited_response(
    token: str,
    answers: Mapping[str, Any],
    *,
    respondent: Mapping[str, Any] | None = None,
    locale: str | None = None,
    strict_skips: bool = True,
    slug: str | None = None,
    idempotency_key: str | None = None,
) -> SurveyResponse:
    """Complete the response of a single-use invitation (of survey `slug`, when given); a call-back answer
    also rates the case. A repeated Idempotency-Key returns the stored response (not a 409 "used")."""
    now = utcnow()
    try:
        # The invitation row lock serialises retries of one invitation: the key check below sees the
        # first attempt's commit.
        invitation = find_invitation(token, lock=True)
        digest = (
            submission_hash(slug=slug, token=token, answers=answers, respondent=respondent, locale=locale)
            if idempotency_key
            else None
        )
        if (replay := replayed_response(invitation.survey_id, idempotency_key, digest)) is not None:
            db.session.rollback()
            return replay
        invitation, survey, version = _usable_invitation(invitation, now, slug)
        clean = check_answers(version, answers, strict_skips)
        _lock_for_quotas(survey, version)
        response = _invited_response(invitation, version, now)
        if locale:
            response.locale = normalize_locale(locale)
        _classify(response, survey, version, clean, respondent, invitation)
        set_answers(response, version, clean)
        response.status, response.submitted_at = ResponseStatus.COMPLETE.value, now
        response.idempotency_key, response.request_hash = idempotency_key, digest
        invitation.used_at = now
        db.session.flush()
        if invitation.case_id is not None:
            apply_case_feedback(response, version, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return response


def record_one_click(token: str, code: str, raw: str) -> SurveyResponse | None:
    """The answer to the first question clicked in an invitation message, kept as a partial response the
    respondent can still change; None (nothing stored) for anything but a valid first answer."""
    now = utcnow()
    try:
        invitation, _survey, version = _invitation_survey(token, now)
        question = version.questions[0]
        if code != question["code"] or question.get("show_if"):
            db.session.rollback()
            return None
        value = q.parse_text(question, raw)
        clean, errors = q.validate_answers([question], {code: value}, partial=True)
        if errors or code not in clean:
            db.session.rollback()
            return None
        response = _invited_response(invitation, version, now)
        set_answers(response, version, clean, keep=True)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return response


def finalize_idle_callbacks(now: datetime | None = None) -> int:
    """Hand one-click call-back ratings left alone for SURVEY_PARTIAL_GRACE_MINUTES to their cases, so a
    citizen who only clicks "不满意" in the message still gets the case looked at again."""
    now = now or utcnow()
    idle_since = now - timedelta(minutes=current_app.config["SURVEY_PARTIAL_GRACE_MINUTES"])
    responses = list(
        db.session.scalars(
            select(SurveyResponse)
            .where(
                SurveyResponse.status == ResponseStatus.PARTIAL,
                SurveyResponse.case_id.is_not(None),
                SurveyResponse.case_feedback_at.is_(None),
                SurveyResponse.updated_at <= idle_since,
            )
            .order_by(SurveyResponse.id)
            .limit(500)
            .with_for_update(of=SurveyResponse, skip_locked=True)
        )
    )
    rated = 0
    for response in responses:
        invitation = db.session.get(SurveyInvitation, response.invitation_id)
        if invitation is not None and invitation.revoked_at is not None:
            response.case_feedback_at = now
            continue
        rated += apply_case_feedback(response, response.version, now)
    db.session.commit()
    return rated


def screen_respondent(slug: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check the screening answers and that their quota cell still has room (QuotaFull otherwise)."""
    survey, version = get_public_survey(slug)
    _require_collecting(survey, version, utcnow())
    questions = screening_questions(version)
    asked = {question["code"] for question in questions}
    clean, errors = q.validate_answers(questions, {k: v for k, v in answers.items() if k in asked})
    missing = {
        f"answers.{question['code']}": [AnswerError(N_("Needed to check the survey quotas."))]
        for question in questions
        if question["code"] not in clean and question["code"] not in errors
    }
    if errors or missing:
        raise AnswersInvalid({**{f"answers.{code}": found for code, found in errors.items()}, **missing})
    attributes, _ = respondent_attributes(version, clean, None, None)
    cell, target = quota_cell(version.definition, attributes)
    if target is not None and quota_count(survey.id, cell) >= target:
        raise QuotaFull("we already have all the answers we need from people in your group")
    return clean
