"""Complaint hot spots for analysts, supervisors and admins (JSON/CSV/XLSX): rising categories,
respondents and districts, the most complained-about businesses, and the 每月一题 candidates.

Aggregates only: no complainant data and no case text (see docs/hotspots.md for the definitions)."""

from __future__ import annotations

from typing import Any

from analytics.api.common import ANALYTICS_ROLES, JSON_OR_TABLE, URL_PREFIX, send_table
from analytics.hotspot_schemas import BusinessQuery, HotspotQuery, MonthlyProblemQuery
from analytics.services import hotspot_tables
from analytics.services.hotspot_businesses import rank_businesses
from analytics.services.hotspot_periods import HotspotPeriod, current_month, resolve_period
from analytics.services.hotspots import find_rising_units
from analytics.services.monthly_problems import rank_monthly_problems
from core.api import Blueprint
from core.auth.guard import staff_required
from core.db import use_read_replica

blp = Blueprint("analytics_hotspots", __name__, url_prefix=URL_PREFIX, description="Complaint hot spots")
blp.before_request(use_read_replica)


def _period(args: dict[str, Any]) -> HotspotPeriod:
    start, end = (args["start"], args["end"]) if "start" in args else current_month()
    return resolve_period(start, end, args["monthly"], args.get("baseline_periods", 12))


def _file_name(prefix: str, period: HotspotPeriod) -> str:
    return f"{prefix}-{period.start}-{period.end}"


@blp.route("/hotspots", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(HotspotQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_hotspots(args: dict):
    """Units of a dimension whose count rose significantly above their own baseline; format=json|csv|xlsx."""
    period = _period(args)
    dimension, alpha, min_count = args["dimension"], args["alpha"], args["min_count"]
    units = find_rising_units(period, dimension, alpha, min_count)
    if args["format"] != "json":
        table = hotspot_tables.rising_table(dimension, units)
        return send_table(table, args["format"], _file_name(f"hotspots-{dimension}", period))
    return hotspot_tables.rising_body(period, dimension, alpha, min_count, units, args["limit"])


@blp.route("/hotspots/businesses", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(BusinessQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_hotspot_businesses(args: dict):
    """The most complained-about businesses (credit code) with repeat rates; format=json|csv|xlsx."""
    period = _period(args)
    businesses = rank_businesses(period, args["limit"])
    if args["format"] != "json":
        table = hotspot_tables.businesses_table(businesses)
        return send_table(table, args["format"], _file_name("hotspot-businesses", period))
    return hotspot_tables.businesses_body(period, businesses)


@blp.route("/hotspots/monthly-problems", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(MonthlyProblemQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_monthly_problems(args: dict):
    """每月一题 candidates: category x district cells ranked by the documented score; format=json|csv|xlsx."""
    period = _period(args)
    alpha, min_count = args["alpha"], args["min_count"]
    problems = rank_monthly_problems(period, alpha, min_count, args["limit"])
    if args["format"] != "json":
        table = hotspot_tables.problems_table(problems)
        return send_table(table, args["format"], _file_name("monthly-problems", period))
    return hotspot_tables.problems_body(period, alpha, min_count, problems)
