"""Query arguments of the hot-spot API: a month (YYYY-MM) or a from/to range of local days, and the test's
parameters.  Without either, the period is the current month so far."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from analytics.schemas import FORMATS
from analytics.services.hotspot_periods import add_months
from analytics.services.hotspots import DIMENSIONS
from core.workdays import FIRST_DAY, LAST_DAY

MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")
MAX_DAYS = 366


class HotspotPeriodQuery(Schema):
    month = fields.String(metadata={"description": "YYYY-MM, local calendar month (default: this month)"})
    start = fields.Date(
        data_key="from",
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": "first local day (with to, instead of month)"},
    )
    end = fields.Date(
        data_key="to",
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": f"day after the last one (at most {MAX_DAYS} days after from)"},
    )
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))

    @validates_schema
    def _one_period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "month" in data and ("start" in data or "end" in data):
            raise ValidationError("give month or from/to, not both", "month")
        if "start" in data and "end" not in data:
            raise ValidationError("required with from", "to")
        if "end" in data and "start" not in data:
            raise ValidationError("required with to", "from")
        if "month" in data and not MONTH.match(data["month"]):
            raise ValidationError("must be YYYY-MM between 2000-01 and 2099-12, e.g. 2026-09", "month")
        if "start" in data and data["end"] <= data["start"]:
            raise ValidationError("must be after from", "to")
        if "start" in data and (data["end"] - data["start"]).days > MAX_DAYS:
            raise ValidationError(f"a period is at most {MAX_DAYS} days", "to")

    @post_load
    def _period(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        month = data.pop("month", None)
        # No period given: the route takes the current month, which needs the app's time zone.
        data["monthly"] = "start" not in data
        if month is not None:
            first = date(int(month[:4]), int(month[5:]), 1)
            data["start"], data["end"] = first, add_months(first, 1)
        return data


class BaselineQuery(HotspotPeriodQuery):
    baseline_periods = fields.Integer(
        load_default=12,
        validate=validate.Range(2, 60),
        metadata={"description": "number of previous periods (months for month=) forming the baseline"},
    )
    alpha = fields.Float(
        load_default=0.05,
        validate=validate.Range(0, 1, min_inclusive=False, max_inclusive=False),
        metadata={"description": "flag units with BH q-value below alpha"},
    )
    min_count = fields.Integer(
        load_default=5, validate=validate.Range(min=1), metadata={"description": "fewest cases to flag"}
    )


class HotspotQuery(BaselineQuery):
    dimension = fields.String(load_default="category", validate=validate.OneOf(tuple(DIMENSIONS)))
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(1, 5000),
        metadata={"description": "JSON items (files: all)"},
    )


class BusinessQuery(HotspotPeriodQuery):
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 500))


class MonthlyProblemQuery(BaselineQuery):
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 100))
