"""What every analytics page shares: the blueprint, its navigation, roles and the period filters.

Filters travel in the query string (GET forms), so the address of a page is the view: copy it to share.
`from`/`to` follow the API: local days, `to` is the day after the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from analytics.api.common import ANALYTICS_ROLES
from analytics.kpis import GROUP_BY
from analytics.services.complaint_kpis import SOURCES
from analytics.services.kpi_rollups import rollups_built_at
from analytics.services.trend_buckets import INTERVALS, count_buckets, default_period, local_today
from complaints.web.forms import Errors, load_or_errors
from core.auth.services import list_departments
from core.web.auth import register_staff_home
from surveys.models import Survey
from surveys.services import definitions

bp = Blueprint("analytics_web", __name__, url_prefix="/analytics", template_folder="../templates")

# The analytics sub-navigation: (endpoint, label). A new page is one view on `bp`, one template extending
# analytics/_layout.html and one line here.
PAGES: list[tuple[str, Any]] = [
    ("analytics_web.overview", _l("Overview")),
    ("analytics_web.ledger_page", _l("Rule ledger")),
    ("analytics_web.hotspots_page", _l("Hot spots")),
]
BREAKDOWNS = tuple(key for key in GROUP_BY if key != "none")
DIMENSION_LABELS = {
    "none": _l("All cases"),
    "department": _l("Department"),
    "region": _l("District"),
    "category": _l("Category"),
    "channel": _l("Channel"),
    "hotline": _l("Hotline"),
    "kind": _l("Kind"),
}
INTERVAL_LABELS = {"month": _l("Month"), "week": _l("Week")}
SURVEY_ORDER = ("service-satisfaction", "government-work", "hotline-callback")
SURVEY_WEIGHTINGS = ("none", "poststratify", "raking")
MAX_POINTS = 60  # trend points per page: each one is a KPI query


@bp.record_once
def _offer_staff_home(state) -> None:
    register_staff_home(state.app, "analytics_web.overview", ANALYTICS_ROLES, _l("Analytics"))


@bp.context_processor
def _analytics_context() -> dict[str, Any]:
    return {"analytics_pages": PAGES, "dimension_labels": DIMENSION_LABELS}


@dataclass(frozen=True)
class Filters:
    """The period and view of a dashboard page, as read from its query string."""

    start: date
    end: date
    group_by: str = "department"
    department: str | None = None
    interval: str = "month"
    survey: str | None = None  # the survey panels' survey (None: the first of survey_choices())
    weighting: str | None = None  # their weighting (None: raking where the survey has margins)
    # Complaint KPIs from the nightly rollups (fast at millions of cases) or live from the cases.
    source: str = "raw"

    def query(self, **changes: Any) -> dict[str, str]:
        """The query string of this view (with `changes`), for links that keep the filters."""
        view = replace(self, **changes)
        args = {"from": view.start.isoformat(), "to": view.end.isoformat(), "group_by": view.group_by}
        if view.department:
            args["department"] = view.department
        args["interval"] = view.interval
        if view.survey:
            args["survey"] = view.survey
        if view.weighting:
            args["weighting"] = view.weighting
        if view.source == "raw" and rollups_built_at() is not None:
            args["source"] = "raw"  # live figures asked for: keep them in shared links
        return args


class FiltersQuery(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    group_by = fields.String(load_default="department", validate=validate.OneOf(BREAKDOWNS))
    department = fields.String()
    interval = fields.String(load_default="month", validate=validate.OneOf(INTERVALS))
    survey = fields.String()
    weighting = fields.String(validate=validate.OneOf(SURVEY_WEIGHTINGS))
    source = fields.String(validate=validate.OneOf(SOURCES))

    @validates_schema
    def _check_department(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("department") and data["department"] not in {d.code for d in list_departments()}:
            raise ValidationError(_("Unknown department."), "department")

    @validates_schema
    def _check_survey(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("survey") and data["survey"] not in {s.slug for s in published_surveys()}:
            raise ValidationError(_("No published survey has this name."), "survey")


def _period_errors(start: date, end: date, interval: str) -> Errors:
    if start >= end:
        return {"to": [_("Must be after the start date.")]}
    if count_buckets(start, end, interval) > MAX_POINTS:
        message = _(
            "Too many points for one chart (at most %(n)s): choose months or a shorter period.", n=MAX_POINTS
        )
        return {"interval": [message]}
    return {}


def read_filters(
    args: MultiDict, schema: Schema | None = None
) -> tuple[Filters | None, dict[str, Any], Errors]:
    """(filters, the schema's other arguments, errors) of a query string; blanks count as not given."""
    given = {key: value for key, value in args.items() if value.strip() != ""}
    parsed, errors = load_or_errors(schema or FiltersQuery(), given)
    if parsed is None:
        return None, {}, errors
    default_start, default_end = default_period(local_today())
    start, end = parsed.pop("start", None) or default_start, parsed.pop("end", None) or default_end
    errors = _period_errors(start, end, parsed["interval"])
    if errors:
        return None, {}, errors
    filters = Filters(
        start,
        end,
        parsed.pop("group_by"),
        parsed.pop("department", None),
        parsed.pop("interval"),
        parsed.pop("survey", None),
        parsed.pop("weighting", None),
        parsed.pop("source", None) or default_source(),
    )
    return filters, parsed, {}


def default_source() -> str:
    """Rollups once they have been built (the nightly job, `flask analytics rollup`), else the live cases."""
    return "rollup" if rollups_built_at() is not None else "raw"


def department_choices() -> list[tuple[str, str]]:
    """(code, name) of every department, for the filter."""
    return [(d.code, d.name) for d in list_departments()]


def published_surveys() -> list[Survey]:
    """Published surveys for the survey panels: the shipped templates first (population surveys, then the
    call-back survey), then the others by name."""
    order = {slug: i for i, slug in enumerate(SURVEY_ORDER)}
    found = [s for s in definitions.list_surveys() if s.published is not None]
    return sorted(found, key=lambda s: (order.get(s.slug, len(order)), s.slug))
