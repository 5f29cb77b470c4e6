"""Survey models: the survey, its immutable published versions, invitations with their outbox, responses
with one row per answer (what analytics reads), and file imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow
from core.errors import Conflict
from surveys.vocab import ResponseStatus, SurveyStatus


class Survey(db.Model):
    """A survey addressed by its public slug; what it asks lives in its versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=SurveyStatus.DRAFT.value)
    # The version respondents get (None until the first publication).
    published_version: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", lazy="selectin"
    )

    def version(self, number: int | None) -> SurveyVersion | None:
        """The version with this number, if any."""
        return next((v for v in self.versions if v.number == number), None)

    @property
    def published(self) -> SurveyVersion | None:
        return self.version(self.published_version)

    @property
    def draft(self) -> SurveyVersion | None:
        latest = self.versions[-1] if self.versions else None
        return latest if latest is not None and latest.published_at is None else None

    @property
    def latest(self) -> SurveyVersion:
        return self.versions[-1]

    def publish(self, version: SurveyVersion, at: datetime) -> None:
        """Freeze the draft and make it the version respondents get; publishing opens the survey."""
        if version.published_at is not None:
            raise Conflict("this version is already published")
        version.published_at = at
        self.published_version = version.number
        self.status = SurveyStatus.OPEN.value

    def close(self) -> None:
        """Stop collecting responses."""
        if self.status != SurveyStatus.OPEN:
            raise Conflict("only an open survey can be closed")
        self.status = SurveyStatus.CLOSED.value

    def reopen(self) -> None:
        """Collect again with the published version."""
        if self.status != SurveyStatus.CLOSED:
            raise Conflict("only a closed survey can be reopened")
        self.status = SurveyStatus.OPEN.value


class SurveyVersion(db.Model):
    """One numbered definition; immutable once published (edits start a new draft version)."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_versions_survey_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship(back_populates="versions")

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.definition["questions"]

    def question(self, code: str) -> dict[str, Any] | None:
        """The question with this code, if any."""
        return next((question for question in self.questions if question["code"] == code), None)

    def replace_definition(self, definition: dict[str, Any]) -> None:
        """Edit a draft; a published version refuses (its responses must keep meaning what they meant)."""
        if self.published_at is not None:
            raise Conflict("a published version cannot change; edit a new version")
        self.definition = definition


@event.listens_for(SurveyVersion, "before_update")
def _refuse_changes_to_published(_mapper, _connection, target: SurveyVersion) -> None:
    # Last line of defence behind replace_definition: no code path may rewrite a published definition.
    state = inspect(target)
    if not state.attrs.definition.history.has_changes():
        return
    published = state.attrs.published_at.history
    publishing_now = bool(published.added) and (not published.deleted or published.deleted[0] is None)
    if target.published_at is not None and not publishing_now:
        raise Conflict("a published version cannot change; edit a new version")


class SurveyInvitation(db.Model):
    """A single-use link for one contact (or one replied case); only the token's SHA-256 is stored.

    The token is HMAC(SECRET_KEY, nonce), so the outbox can rebuild the link for a reminder without the
    database ever holding it; a copy of the database without the key yields no usable token.
    """

    __tablename__ = "survey_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(8))  # sms, email; None = handed out by hand
    contact: Mapped[str | None] = mapped_column(String(254))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    batch: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship(lazy="joined")

    def state(self, now: datetime) -> str:
        """used, revoked, expired or open."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "open"


class SurveyMessage(db.Model):
    """Outbox row for an invitation or reminder; the text (with the rebuilt link) is made at delivery."""

    __tablename__ = "survey_messages"
    __table_args__ = (Index("ix_survey_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("survey_invitations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # invitation, reminder
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    invitation: Mapped[SurveyInvitation] = relationship(lazy="joined")


class SurveyResponse(db.Model):
    """One respondent's answers to one version, with what weighting and quality checks need."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "external_id", name="uq_survey_responses_survey_external"),
        UniqueConstraint("survey_id", "idempotency_key", name="uq_survey_responses_survey_idempotency"),
        Index("ix_survey_responses_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_survey_responses_survey_device", "survey_id", "device_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("survey_invitations.id"), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("survey_imports.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    # The client's Idempotency-Key and a hash of what it sent: a retried submission gets this response.
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default=ResponseStatus.COMPLETE.value)
    channel: Mapped[str] = mapped_column(String(12))
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    district: Mapped[str | None] = mapped_column(String(6))
    age_group: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(8))
    quota_cell: Mapped[str | None] = mapped_column(String(120))
    # Keyed hash of the browser cookie (or address + user agent): spots repeats without storing either.
    device_hash: Mapped[str | None] = mapped_column(String(64))
    is_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"))
    # Call-back surveys: when the answer was handed to the case (set once) and whether it rated the case.
    case_feedback_at: Mapped[datetime | None]
    case_rating_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", lazy="selectin"
    )
    version: Mapped[SurveyVersion] = relationship(lazy="joined")

    def answer_map(self) -> dict[str, Any]:
        """{question code: clean value} as questions.check_answer returns them."""
        return {answer.question_code: answer.value for answer in self.answers}


class SurveyAnswer(db.Model):
    """One answer: numbers (scales, NPS, yes = 1 / no = 0), a choice, several choices or text."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_code", name="uq_survey_answers_response_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    question_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[float | None]
    choice: Mapped[str | None] = mapped_column(String(32))
    choices: Mapped[list[str] | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)
    # "Don't know" is kept apart from the value: it is a missing value, not a low score.
    dont_know: Mapped[bool] = mapped_column(Boolean, default=False)
    is_yes_no: Mapped[bool] = mapped_column(Boolean, default=False)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")

    @property
    def value(self) -> Any:
        if self.dont_know:
            return "dont_know"
        if self.is_yes_no:
            return None if self.number is None else bool(self.number)
        if self.number is not None:
            return int(self.number)
        if self.choices is not None:
            return list(self.choices)
        return self.choice if self.choice is not None else self.text


class SurveyImport(db.Model):
    """A third-party data file waiting for, or done with, validation and import (the scheduler runs it)."""

    __tablename__ = "survey_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx
    # Dropped once processed: the file may hold personal data the import itself does not keep.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    skip_bad_rows: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending running done failed
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    # [{"row": 7, "column": "Q3", "field": "answers.q3", "message": "..."}], capped.
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
