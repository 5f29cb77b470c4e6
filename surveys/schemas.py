"""Marshmallow schemas of the survey API: request bodies (...In) and responses (...Out)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.auth.roles import Role
from surveys.services.definitions import TEMPLATES
from surveys.services.invitations import masked_contact
from surveys.vocab import AGE_GROUPS, LANGUAGES, SEXES

# Who may do what with surveys (analysts see aggregates and de-identified rows only).
SURVEY_MANAGERS = (Role.ADMIN,)
SURVEY_VIEWERS = (Role.ADMIN, Role.SUPERVISOR, Role.ANALYST)
SURVEY_EXPORTERS = (Role.ADMIN, Role.ANALYST)


class SurveyRespondentIn(Schema):
    district = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    age_group = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(AGE_GROUPS))
    sex = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEXES))


class ResponseIn(Schema):
    answers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        metadata={
            "description": "question code -> answer: an integer for scales and NPS, true/false for yes/no, "
            'the option value for single choice, a list of values for multiple choice, text, or "dont_know"'
        },
    )
    respondent = fields.Nested(SurveyRespondentIn, load_default=None, allow_none=True)
    token = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "single-use invitation token (or send it as X-Survey-Token)"},
    )
    locale = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([*LANGUAGES, "zh_CN"]))


class ResponseOut(Schema):
    id = fields.Integer()
    status = fields.String()
    channel = fields.String()
    submitted_at = fields.DateTime()
    is_duplicate = fields.Boolean()
    case_rating_applied = fields.Boolean()


class PublicSurveyOut(Schema):
    slug = fields.String()
    status = fields.String()
    version = fields.Integer()
    title = fields.Dict()
    intro = fields.Dict(allow_none=True)
    sector = fields.String()
    languages = fields.List(fields.String())
    period = fields.Dict(allow_none=True)
    questions = fields.List(fields.Dict())


def public_survey(survey, version) -> dict[str, Any]:
    """What a respondent's client needs to render and validate the survey."""
    definition = version.definition
    return {
        "slug": survey.slug,
        "status": survey.status,
        "version": version.number,
        **{
            key: definition.get(key)
            for key in ("title", "intro", "sector", "languages", "period", "questions")
        },
    }


class VersionOut(Schema):
    number = fields.Integer()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    definition = fields.Dict()


class VersionSummaryOut(Schema):
    number = fields.Integer()
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class SurveyOut(Schema):
    slug = fields.String()
    status = fields.String()
    published_version = fields.Integer(allow_none=True)
    draft_version = fields.Function(lambda s: s.draft.number if s.draft else None)
    title = fields.Function(lambda s: s.latest.definition["title"])
    sector = fields.Function(lambda s: s.latest.definition["sector"])
    created_at = fields.DateTime()
    versions = fields.List(fields.Nested(VersionSummaryOut))


class SurveyCreateIn(Schema):
    slug = fields.String(required=True)
    template = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TEMPLATES))
    definition = fields.Dict(load_default=None, allow_none=True)

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("template") is None) == (data.get("definition") is None):
            raise ValidationError("give either a template name or a definition", "definition")


class DraftIn(Schema):
    definition = fields.Dict(required=True)


class BatchOut(Schema):
    batch = fields.String()
    created = fields.Integer()
    expires_at = fields.DateTime()


class LinkInvitationIn(Schema):
    days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=90))


class LinkInvitationOut(Schema):
    token = fields.String()
    link = fields.String()
    expires_at = fields.DateTime()


class InvitationOut(Schema):
    id = fields.Integer()
    channel = fields.String(allow_none=True)
    contact = fields.Function(masked_contact, metadata={"description": "masked"})
    attributes = fields.Dict()
    locale = fields.String()
    batch = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    reminders = fields.Integer()
    used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class InvitationPageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class InvitationPageOut(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(InvitationOut))


class CountOut(Schema):
    queued = fields.Integer()


class ImportReportLineOut(Schema):
    row = fields.Integer()
    column = fields.String()
    field = fields.String()
    message = fields.String()


class ImportOut(Schema):
    id = fields.Integer()
    status = fields.String()
    filename = fields.String()
    dry_run = fields.Boolean()
    skip_bad_rows = fields.Boolean()
    total_rows = fields.Integer()
    processed_rows = fields.Integer()
    error_rows = fields.Integer()
    imported_rows = fields.Integer()
    message = fields.String(allow_none=True)
    report = fields.List(fields.Nested(ImportReportLineOut))
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class ExportQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class MonitorQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class MonitorOut(Schema):
    complete = fields.Integer()
    partial = fields.Integer()
    duplicates = fields.Integer()
    invitations = fields.Integer()
    invitations_sent = fields.Integer()
    invitations_answered = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    completion_rate = fields.Float(allow_none=True)
    by_day = fields.List(fields.Dict())
    by_channel = fields.Dict()
    quotas = fields.List(fields.Dict())
