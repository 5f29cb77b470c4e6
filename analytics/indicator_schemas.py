"""Indicator definitions in and out, and the query of the evaluated indicator list."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.models import ATTRIBUTES, DIRECTIONS, SOURCES, UNITS, WEIGHTINGS
from analytics.schemas import FORMATS
from analytics.services.indicator_tables import TABLES
from analytics.services.survey_weighting import METHODS
from complaints.states import HOTLINES
from surveys.vocab import SECTORS

CODE = validate.Regexp(r"^[A-Z][A-Z0-9-]{1,31}$", error="capital letters, digits and -, 2 to 32")


class ComponentIn(Schema):
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    survey = fields.String(load_default=None, metadata={"description": "survey slug (survey_index)"})
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "construct or indicator code of the survey, or a complaint KPI code"},
    )
    hotline = fields.String(load_default=None, validate=validate.OneOf(HOTLINES))
    weight = fields.Float(load_default=None, metadata={"description": "fixed weighting: weights sum to 1"})
    reverse = fields.Boolean(load_default=False, metadata={"description": "lower is better: use 100 - value"})


class IndicatorIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=120))
    name_en = fields.String(load_default="", validate=validate.Length(max=200))
    sector = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(SECTORS)))
    unit = fields.String(load_default="index", validate=validate.OneOf(list(UNITS)))
    target = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    direction = fields.String(load_default="higher", validate=validate.OneOf(DIRECTIONS))
    attribute = fields.String(
        required=True,
        validate=validate.OneOf(list(ATTRIBUTES)),
        metadata={"description": "binding (约束性) or expected (预期性)"},
    )
    weighting = fields.String(required=True, validate=validate.OneOf(WEIGHTINGS))
    ahp_matrix = fields.List(
        fields.List(fields.Float()),
        load_default=None,
        allow_none=True,
        metadata={"description": "AHP: Saaty pairwise comparisons of the components, n x n"},
    )
    survey_weighting = fields.String(load_default="raking", validate=validate.OneOf(METHODS))
    components = fields.List(
        fields.Nested(ComponentIn), required=True, validate=validate.Length(min=1, max=15)
    )


class IndicatorReplaceIn(IndicatorIn):
    class Meta:
        exclude = ("code",)


class ComponentOut(Schema):
    source = fields.String()
    survey = fields.String(allow_none=True)
    code = fields.String()
    hotline = fields.String(allow_none=True)
    weight = fields.Float(allow_none=True)
    reverse = fields.Boolean()


class AhpOut(Schema):
    weights = fields.List(fields.Float())
    lambda_max = fields.Float()
    consistency_ratio = fields.Float()


class IndicatorOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    sector = fields.String(allow_none=True)
    unit = fields.String()
    target = fields.Float()
    direction = fields.String()
    attribute = fields.String()
    weighting = fields.String()
    survey_weighting = fields.String()
    ahp_matrix = fields.List(fields.List(fields.Float()), allow_none=True)
    ahp = fields.Nested(AhpOut, allow_none=True)
    components = fields.List(fields.Nested(ComponentOut))


class IndicatorQuery(Schema):
    period = fields.String(
        load_default=None, metadata={"description": "YYYY, YYYY-Qn or YYYY-MM (default: this month)"}
    )
    trend_periods = fields.Integer(load_default=6, validate=validate.Range(min=2, max=24))
    sector = fields.String(load_default=None, validate=validate.OneOf(list(SECTORS)))
    code = fields.String(load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    table = fields.String(load_default="indicators", validate=validate.OneOf(TABLES))
