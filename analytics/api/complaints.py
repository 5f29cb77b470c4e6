"""Complaint analytics API for analysts, supervisors and admins: KPIs and the 100 % ledger (JSON/CSV/XLSX).

Analysts see aggregates only: the KPI report has no case fields, the ledger no personal data."""

from __future__ import annotations

from flask_smorest import Blueprint

from analytics.api.common import ANALYTICS_ROLES, URL_PREFIX, send_table
from analytics.schemas import KpiQuery, PeriodQuery
from analytics.services import complaint_kpis, ledger, tables
from core.auth.guard import staff_required
from core.db import utcnow

blp = Blueprint("analytics_complaints", __name__, url_prefix=URL_PREFIX, description="Complaint KPIs, ledger")


@blp.route("/complaints/kpis", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(KpiQuery, location="query")
@blp.response(200)
def get_complaint_kpis(args: dict):
    """Complaint KPIs for [from, to), denominators = cases due in the period; format=json|csv|xlsx."""
    start, end, group_by = args["start"], args["end"], args["group_by"]
    groups = complaint_kpis.compute_complaint_kpis(start, end, group_by)
    if args["format"] != "json":
        return send_table(tables.kpi_table(group_by, groups), args["format"], f"kpis-{start}-{end}")
    return tables.kpi_report_body(start, end, group_by, groups)


@blp.route("/complaints/ledger", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(PeriodQuery, location="query")
@blp.response(200)
def get_complaint_ledger(args: dict):
    """Cases breaking a 100 % rule with a deadline in [from, to), from the audit log; format=json|csv|xlsx."""
    start, end, as_of = args["start"], args["end"], utcnow()
    breaches = ledger.list_breaches(start, end, as_of)
    if args["format"] != "json":
        return send_table(tables.ledger_table(breaches), args["format"], f"ledger-{start}-{end}")
    return tables.ledger_body(start, end, as_of, breaches)
