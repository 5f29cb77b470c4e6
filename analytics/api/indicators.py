"""The service-quality indicator system: admins define indicators; analysts, supervisors and admins read
the definitions and the evaluated list for a period (JSON, CSV or XLSX)."""

from __future__ import annotations

from analytics.api.common import ANALYTICS_ROLES, JSON_OR_TABLE, URL_PREFIX, send_table
from analytics.indicator_schemas import IndicatorIn, IndicatorOut, IndicatorQuery, IndicatorReplaceIn
from analytics.services import indicator_admin, indicator_tables, indicators
from analytics.services.periods import current_period, parse_period
from core.api import Blueprint
from core.auth.guard import current_staff, staff_required
from core.auth.roles import Role
from core.db import use_read_replica, utcnow

blp = Blueprint(
    "analytics_indicators", __name__, url_prefix=URL_PREFIX, description="Service-quality indicator system"
)
blp.before_request(use_read_replica)


@blp.route("/indicators", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(IndicatorQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def list_indicators(args: dict):
    """Every indicator evaluated for a period: value, SE, CI, status against its target (met, not_met,
    indistinguishable, no_data), components, change from the period before and trend; format=json|csv|xlsx."""
    period = parse_period(args["period"]) if args["period"] else current_period(utcnow())
    rows = indicators.evaluate_indicators(period, args["trend_periods"], args["sector"], args["code"])
    if args["format"] != "json":
        table = indicator_tables.indicator_table(rows)
        if args["table"] == "components":
            table = indicator_tables.component_table(rows)
        return send_table(table, args["format"], f"indicators-{args['table']}-{period.label}")
    return {
        "period": period.label,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "items": rows,
    }


@blp.route("/indicators", methods=["POST"])
@blp.errors({409: "The code is already taken"})
@staff_required(Role.ADMIN)
@blp.arguments(IndicatorIn)
@blp.response(201, IndicatorOut)
def create_indicator(body: dict):
    """Define an indicator (admin); 422 names every field at fault, 409 when the code is taken."""
    indicator = indicator_admin.create_indicator(body, current_staff())
    return indicator_admin.describe_indicator(indicator)


@blp.route("/indicators/<code>", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.response(200, IndicatorOut)
def get_indicator(code: str):
    """An indicator's definition, with the AHP weights and consistency ratio when AHP is used."""
    return indicator_admin.describe_indicator(indicator_admin.get_indicator(code))


@blp.route("/indicators/<code>", methods=["PUT"])
@staff_required(Role.ADMIN)
@blp.arguments(IndicatorReplaceIn)
@blp.response(200, IndicatorOut)
def replace_indicator(body: dict, code: str):
    """Replace an indicator's definition (admin); the code stays."""
    return indicator_admin.describe_indicator(indicator_admin.replace_indicator(code, body))


@blp.route("/indicators/<code>", methods=["DELETE"])
@staff_required(Role.ADMIN)
@blp.response(204)
def delete_indicator(code: str):
    """Remove an indicator (admin)."""
    indicator_admin.delete_indicator(code)
