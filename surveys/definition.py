"""The survey definition a version stores (questions, targets, weighting margins, quotas), as marshmallow
schemas: what the builder, the API and the shipped templates must satisfy before a draft is saved."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.workdays import FIRST_DAY, LAST_DAY
from surveys import questions as q
from surveys.questions import N_
from surveys.vocab import AGE_GROUPS, ATTRIBUTES, CONSTRUCTS, LANGUAGES, SECTORS, SEXES

CODE = validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$", error=N_("lower-case letters, digits and _, at most 32"))
INDICATOR = validate.Regexp(r"^[A-Z][A-Z0-9-]{0,23}$", error=N_("capital letters, digits and -, at most 24"))
MAX_QUESTIONS = 200
# Margins of different dimensions describe one population, so their totals must agree (raking needs it).
MARGIN_TOTAL_TOLERANCE = 0.005
ATTRIBUTE_VALUES = {"age_group": AGE_GROUPS, "sex": SEXES}


class Localized(fields.Dict):
    """{"zh-CN": "...", "en": "..."}: text per language, each stripped and non-empty."""

    def __init__(self, max_len: int = 500, **kwargs: Any):
        super().__init__(
            keys=fields.String(validate=validate.OneOf(LANGUAGES)),
            values=fields.String(validate=validate.Length(min=1, max=max_len)),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        return {lang: text.strip() for lang, text in loaded.items() if text.strip()}


class OptionIn(Schema):
    value = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_+\-.]{1,32}$"))
    label = Localized(200, required=True)


class ShowIfIn(Schema):
    question = fields.String(required=True, validate=CODE)
    in_ = fields.List(
        fields.Raw(), required=True, data_key="in", attribute="in", validate=validate.Length(min=1)
    )


class QuestionIn(Schema):
    code = fields.String(required=True, validate=CODE)
    type = fields.String(required=True, validate=validate.OneOf(q.TYPES))
    text = Localized(500, required=True)
    help = Localized(500, load_default=None)
    required = fields.Boolean(load_default=False)
    dont_know = fields.Boolean(load_default=False)
    reverse = fields.Boolean(load_default=False)
    construct = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(CONSTRUCTS))
    indicator = fields.String(load_default=None, allow_none=True, validate=INDICATOR)
    low_label = Localized(60, load_default=None)
    high_label = Localized(60, load_default=None)
    point_labels = fields.List(Localized(60), load_default=None, validate=validate.Length(equal=5))
    options = fields.List(fields.Nested(OptionIn), load_default=None, validate=validate.Length(max=60))
    min_choices = fields.Integer(load_default=None, validate=validate.Range(min=1))
    max_choices = fields.Integer(load_default=None, validate=validate.Range(min=1))
    max_length = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5000))
    show_if = fields.Nested(ShowIfIn, load_default=None, allow_none=True)
    attribute = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ATTRIBUTES))

    @validates_schema
    def _fits_its_type(self, data: dict[str, Any], **_kwargs: Any) -> None:
        kind, errors = data["type"], {}
        only = {
            "options": kind in q.CHOICE_TYPES,
            "reverse": kind in q.RANGES,
            "construct": kind in q.SCORED_TYPES,
            "indicator": kind in q.SCORED_TYPES,
            "point_labels": kind == q.LIKERT5,
            "low_label": kind in q.RANGES,
            "high_label": kind in q.RANGES,
            "min_choices": kind == q.MULTI,
            "max_choices": kind == q.MULTI,
            "max_length": kind == q.TEXT,
            "attribute": kind == q.SINGLE,
        }
        for name, allowed in only.items():
            if data.get(name) and not allowed:
                errors[name] = [N_("not used by this type of question")]
        if kind in q.CHOICE_TYPES:
            values = [o["value"] for o in data.get("options") or ()]
            if len(values) < 2:
                errors["options"] = [N_("give at least two options")]
            elif len(set(values)) != len(values):
                errors["options"] = [N_("option values must be unique")]
            elif q.DONT_KNOW in values:
                errors["options"] = [N_('"dont_know" is reserved: offer "don\'t know" instead')]
            low, high = data.get("min_choices") or 1, data.get("max_choices") or len(values)
            if kind == q.MULTI and not low <= high <= max(len(values), 1):
                errors["max_choices"] = [N_("need min_choices <= max_choices <= number of options")]
            allowed = ATTRIBUTE_VALUES.get(data.get("attribute") or "")
            if allowed is not None and set(values) - set(allowed):
                errors["options"] = [N_("options must be the attribute's values (18-29 … 60+; female, male)")]
            if data.get("attribute") == "district" and not all(v.isdigit() and len(v) == 6 for v in values):
                errors["options"] = [N_("district options must be six-digit GB/T 2260 codes")]
        if bool(data.get("construct")) != bool(data.get("indicator")):
            errors["indicator"] = [N_("a scored question needs both a construct and an indicator code")]
        if errors:
            raise ValidationError(errors)


class PeriodIn(Schema):
    label = fields.String(load_default="", validate=validate.Length(max=60))
    start = fields.Date(load_default=None, allow_none=True, validate=validate.Range(FIRST_DAY, LAST_DAY))
    end = fields.Date(load_default=None, allow_none=True, validate=validate.Range(FIRST_DAY, LAST_DAY))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError(N_("the period ends before it starts"), "end")


class TargetIn(Schema):
    indicator = fields.String(required=True, validate=INDICATOR)
    op = fields.String(load_default=">=", validate=validate.OneOf((">=", "<=")))
    value = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class WeightingIn(Schema):
    # {"district": {"350102": 687000, ...}, "age_group": {...}, "sex": {...}} population totals.
    margins = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ATTRIBUTES)),
        values=fields.Dict(
            keys=fields.String(), values=fields.Float(validate=validate.Range(min=0, min_inclusive=False))
        ),
        load_default=dict,
    )
    note = fields.String(load_default="", validate=validate.Length(max=300))
    # Optional cap on weights after calibration, as a multiple of the median weight (analytics trims).
    trim_upper = fields.Float(validate=validate.Range(min=1, min_inclusive=False))

    @validates_schema
    def _same_population(self, data: dict[str, Any], **_kwargs: Any) -> None:
        totals = {name: sum(levels.values()) for name, levels in data["margins"].items() if levels}
        if totals and max(totals.values()) - min(totals.values()) > MARGIN_TOTAL_TOLERANCE * max(
            totals.values()
        ):
            raise ValidationError(N_("margins must add up to the same population total"), "margins")


class QuotasIn(Schema):
    dimensions = fields.List(
        fields.String(validate=validate.OneOf(ATTRIBUTES)), required=True, validate=validate.Length(min=1)
    )
    # Each cell: the dimensions' values and "target", the most complete responses it takes.
    cells = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=2000))

    @validates_schema
    def _cells_match(self, data: dict[str, Any], **_kwargs: Any) -> None:
        dims, seen = data["dimensions"], set()
        if len(set(dims)) != len(dims):
            raise ValidationError(N_("each dimension once"), "dimensions")
        for index, cell in enumerate(data["cells"]):
            target = cell.get("target")
            if set(cell) != {*dims, "target"} or not all(isinstance(cell[d], str) for d in dims):
                raise ValidationError(
                    {"cells": {index: [N_("give every quota dimension (as text) and a target")]}}
                )
            if isinstance(target, bool) or not isinstance(target, int) or target < 0:
                raise ValidationError({"cells": {index: [N_("target must be a whole number >= 0")]}})
            key = tuple(cell[d] for d in dims)
            if key in seen:
                raise ValidationError({"cells": {index: [N_("this cell is listed twice")]}})
            seen.add(key)


class CaseFeedbackIn(Schema):
    rating = fields.String(required=True, validate=CODE)
    resolved = fields.String(load_default=None, allow_none=True, validate=CODE)
    comment = fields.String(load_default=None, allow_none=True, validate=CODE)


class DefinitionIn(Schema):
    """A whole survey version."""

    title = Localized(120, required=True)
    intro = Localized(2000, load_default=None)
    sector = fields.String(required=True, validate=validate.OneOf(list(SECTORS)))
    languages = fields.List(
        fields.String(validate=validate.OneOf(LANGUAGES)),
        load_default=lambda: ["zh-CN"],
        validate=validate.Length(min=1),
    )
    period = fields.Nested(PeriodIn, load_default=None, allow_none=True)
    questions = fields.List(
        fields.Nested(QuestionIn), required=True, validate=validate.Length(min=1, max=MAX_QUESTIONS)
    )
    targets = fields.List(fields.Nested(TargetIn), load_default=list)
    weighting = fields.Nested(WeightingIn, load_default=None, allow_none=True)
    quotas = fields.Nested(QuotasIn, load_default=None, allow_none=True)
    # Call-back surveys: the answers that become the case's rating (5 非常满意 … 1 非常不满意),
    # resolved flag and comment.
    case_feedback = fields.Nested(CaseFeedbackIn, load_default=None, allow_none=True)
    invitation_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=90))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        languages = data["languages"]
        if len(set(languages)) != len(languages):
            errors["languages"] = [N_("each language once")]
        missing = [lang for lang in languages if lang not in data["title"]]
        if missing:
            errors["title"] = [N_("give the title in every language of the survey")]
        question_errors = _question_errors(data["questions"], languages)
        if question_errors:
            errors["questions"] = question_errors
        by_code = {question["code"]: question for question in data["questions"]}
        indicators = {question.get("indicator") for question in data["questions"]} - {None}
        for index, target in enumerate(data["targets"]):
            if target["indicator"] not in indicators:
                errors.setdefault("targets", {})[index] = {
                    "indicator": [N_("no question measures this indicator")]
                }
        attributes = {question.get("attribute") for question in data["questions"]} - {None}
        if data.get("quotas"):
            unknown = [d for d in data["quotas"]["dimensions"] if d not in attributes]
            if unknown:
                errors["quotas"] = {"dimensions": [N_("a quota dimension needs a question asking for it")]}
        if data.get("case_feedback"):
            feedback_errors = _feedback_errors(data["case_feedback"], by_code)
            if feedback_errors:
                errors["case_feedback"] = feedback_errors
        if errors:
            raise ValidationError(errors)


def _question_errors(
    questions: list[dict[str, Any]], languages: list[str]
) -> dict[int, dict[str, list[str]]]:
    errors: dict[int, dict[str, list[str]]] = {}
    earlier: dict[str, dict[str, Any]] = {}
    attributes: set[str] = set()
    for index, question in enumerate(questions):
        problems: dict[str, list[str]] = {}
        if question["code"] in earlier:
            problems["code"] = [N_("another question has this code")]
        missing = [lang for lang in languages if lang not in question["text"]]
        labels = [option["label"] for option in question.get("options") or ()]
        if missing or any(lang not in label for label in labels for lang in languages):
            problems["text"] = [N_("give the text and option labels in every language of the survey")]
        condition = question.get("show_if")
        if condition:
            source = earlier.get(condition["question"])
            if source is None:
                problems["show_if"] = [N_("must refer to an earlier question")]
            elif source["type"] == q.TEXT:
                problems["show_if"] = [N_("cannot depend on a free-text answer")]
            elif any(
                v not in q.answer_values(source) or isinstance(v, bool) != (source["type"] == q.YES_NO)
                for v in condition["in"]
            ):
                problems["show_if"] = [N_("values must be possible answers of that question")]
        attribute = question.get("attribute")
        if attribute:
            if attribute in attributes:
                problems["attribute"] = [N_("another question already asks for this")]
            attributes.add(attribute)
        if problems:
            errors[index] = problems
        earlier.setdefault(question["code"], question)
    return errors


def _feedback_errors(feedback: dict[str, Any], by_code: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    wanted = {
        "rating": (q.LIKERT5, N_("must name a Likert 1–5 question")),
        "resolved": (q.YES_NO, N_("must name a yes/no question")),
        "comment": (q.TEXT, N_("must name a free-text question")),
    }
    errors = {}
    for role, (kind, message) in wanted.items():
        code = feedback.get(role)
        if code is not None and (code not in by_code or by_code[code]["type"] != kind):
            errors[role] = [message]
    return errors


def load_definition(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a definition and return it as JSON-ready data (dates as ISO text); raises ValidationError."""
    loaded = DefinitionIn().load(raw)
    period = loaded.get("period")
    if period:
        loaded["period"] = {
            "label": period["label"],
            "start": period["start"].isoformat() if period["start"] else None,
            "end": period["end"].isoformat() if period["end"] else None,
        }
    for question in loaded["questions"]:
        for name in [key for key, value in question.items() if value is None or value is False]:
            if name not in ("required",):
                del question[name]
    return loaded
