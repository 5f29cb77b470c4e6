"""Query arguments of the survey analytics API: indices, sector indices and the ACSI model."""

from __future__ import annotations

from marshmallow import fields, validate

from analytics.schemas import PeriodQuery
from analytics.services.acsi import MAX_BOOTSTRAP
from analytics.services.survey_indices import GROUP_BY
from analytics.services.survey_tables import MODEL_TABLES
from analytics.services.survey_weighting import METHODS
from surveys.vocab import ATTRIBUTES


class WeightingQuery(PeriodQuery):
    weighting = fields.String(
        load_default="none",
        validate=validate.OneOf(METHODS),
        metadata={
            "description": "none, poststratify (one margin) or raking (every margin of the definition)"
        },
    )


class SurveyIndexQuery(WeightingQuery):
    version = fields.Integer(
        load_default=None, metadata={"description": "one published version (default all)"}
    )
    group_by = fields.String(load_default="none", validate=validate.OneOf(tuple(GROUP_BY)))
    poststrata = fields.String(
        load_default=None,
        validate=validate.OneOf(ATTRIBUTES),
        metadata={"description": "the margin to post-stratify on (default the definition's first)"},
    )


class ModelQuery(PeriodQuery):
    version = fields.Integer(load_default=None)
    bootstrap = fields.Integer(load_default=200, validate=validate.Range(min=0, max=MAX_BOOTSTRAP))
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0))
    table = fields.String(
        load_default="paths",
        validate=validate.OneOf(MODEL_TABLES),
        metadata={"description": "which table a csv/xlsx file holds"},
    )
