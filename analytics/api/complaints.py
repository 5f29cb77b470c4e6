"""Complaint analytics API for analysts, supervisors and admins: KPIs and the 100 % ledger (JSON/CSV/XLSX).

Analysts see aggregates only: the KPI report has no case fields, the ledger no personal data."""

from __future__ import annotations

from analytics.api.common import ANALYTICS_ROLES, JSON_OR_TABLE, URL_PREFIX, send_table
from analytics.schemas import DrillQuery, KpiQuery, PeriodQuery, ThreeRateQuery
from analytics.services import complaint_kpis, drilldown, ledger, tables, three_rate
from core.api import Blueprint
from core.auth.guard import staff_required
from core.db import use_read_replica, utcnow

blp = Blueprint("analytics_complaints", __name__, url_prefix=URL_PREFIX, description="Complaint KPIs, ledger")
blp.before_request(use_read_replica)


@blp.route("/complaints/kpis", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(KpiQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_complaint_kpis(args: dict):
    """Complaint KPIs for [from, to) (denominators = cases due in it), or a series per `interval`."""
    start, end, group_by, source = args["start"], args["end"], args["group_by"], args["source"]
    name = f"kpis-{start}-{end}"
    if args["interval"]:
        periods = complaint_kpis.compute_kpi_series(start, end, args["interval"], group_by, source)
        if args["format"] != "json":
            return send_table(tables.kpi_table(group_by, [], periods), args["format"], name)
        return tables.kpi_series_body(start, end, group_by, args["interval"], periods)
    groups = complaint_kpis.compute_complaint_kpis(start, end, group_by, source)
    if args["format"] != "json":
        return send_table(tables.kpi_table(group_by, groups), args["format"], name)
    return tables.kpi_report_body(start, end, group_by, groups)


@blp.route("/complaints/kpis/<code>/cases", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(DrillQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_kpi_cases(args: dict, code: str):
    """The cases behind one KPI number (all / met / unmet), without personal data; keyset pages."""
    after = drilldown.parse_cursor(args["after"])
    rows = drilldown.list_kpi_cases(
        code, args["start"], args["end"], args["group_by"], args["key"], args["part"], after, args["limit"]
    )
    if args["format"] != "json":
        return send_table(tables.drill_table(rows), args["format"], f"{code}-{args['start']}-{args['end']}")
    return tables.drill_body(code, rows, args["limit"])


@blp.route("/complaints/three-rate", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(ThreeRateQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_three_rate(args: dict):
    """Three-rate score (响应率, 解决率, 满意率) per unit with a 95 % interval; few cases: not ranked."""
    weights = three_rate.parse_weights(args["weights"])
    ranking = three_rate.rank_units(
        args["start"], args["end"], args["group_by"], weights, args["min_cases"], args["source"]
    )
    if args["format"] != "json":
        table = tables.three_rate_table(args["group_by"], ranking)
        return send_table(table, args["format"], f"three-rate-{args['start']}-{args['end']}")
    return {"from": args["start"].isoformat(), "to": args["end"].isoformat(), **ranking}


@blp.route("/complaints/ledger", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(PeriodQuery, location="query")
@blp.response(200)
@blp.doc(responses=JSON_OR_TABLE)
def get_complaint_ledger(args: dict):
    """Cases breaking a 100 % rule with a deadline in [from, to), from the audit log; format=json|csv|xlsx."""
    start, end, as_of = args["start"], args["end"], utcnow()
    breaches = ledger.list_breaches(start, end, as_of)
    if args["format"] != "json":
        return send_table(tables.ledger_table(breaches), args["format"], f"ledger-{start}-{end}")
    return tables.ledger_body(start, end, as_of, breaches)
