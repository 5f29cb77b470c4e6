"""Query arguments of the analytics API (the period is [from, to) in local days)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.kpis import GROUP_BY
from analytics.services.complaint_kpis import INTERVALS, SOURCES
from analytics.services.drilldown import PARTS
from core.workdays import FIRST_DAY, LAST_DAY

FORMATS = ("json", "csv", "xlsx")


class PeriodQuery(Schema):
    start = fields.Date(
        required=True,
        data_key="from",
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": "first local day"},
    )
    end = fields.Date(
        required=True,
        data_key="to",
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": "day after the last one"},
    )
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class KpiQuery(PeriodQuery):
    group_by = fields.String(load_default="none", validate=validate.OneOf(tuple(GROUP_BY)))
    interval = fields.String(
        load_default=None,
        validate=validate.OneOf(INTERVALS),
        metadata={"description": "cut the period into days, weeks, months, quarters or years (a series)"},
    )
    source = fields.String(
        load_default="raw",
        validate=validate.OneOf(SOURCES),
        metadata={"description": "raw: live from the cases; rollup: the nightly tables (fast)"},
    )


class DrillQuery(PeriodQuery):
    group_by = fields.String(load_default="none", validate=validate.OneOf(tuple(GROUP_BY)))
    key = fields.String(load_default=None, metadata={"description": "the group's key; empty = unassigned"})
    part = fields.String(
        load_default="all",
        validate=validate.OneOf(PARTS),
        metadata={"description": "all: the denominator; met: the numerator; unmet: the rest"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after = fields.String(load_default=None, metadata={"description": "next_after of the previous page"})


class ThreeRateQuery(PeriodQuery):
    group_by = fields.String(load_default="department", validate=validate.OneOf(tuple(GROUP_BY)))
    weights = fields.String(
        load_default=None,
        metadata={"description": "响应率,解决率,满意率 weights, e.g. 0.2,0.4,0.4 (default: the setting)"},
    )
    min_cases = fields.Integer(load_default=None, validate=validate.Range(1, 100000))
    source = fields.String(load_default="raw", validate=validate.OneOf(SOURCES))
