"""Query arguments of the analytics API (the period is [from, to) in local days)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.kpis import GROUP_BY

FORMATS = ("json", "csv", "xlsx")


class PeriodQuery(Schema):
    start = fields.Date(required=True, data_key="from", metadata={"description": "first local day"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "day after the last one"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class KpiQuery(PeriodQuery):
    group_by = fields.String(load_default="none", validate=validate.OneOf(tuple(GROUP_BY)))
