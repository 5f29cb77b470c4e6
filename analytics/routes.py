"""Analytics API for analysts, supervisors and admins: complaint KPIs and the 100 % ledger (JSON/CSV/XLSX).

Analysts see aggregates only: the KPI report has no case fields, the ledger no personal data."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from analytics.schemas import KpiQuery, PeriodQuery
from analytics.services import complaint_kpis, ledger, tables
from core.auth.guard import staff_required
from core.auth.roles import Role
from core.db import utcnow

blp = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics", description="Analytics")

ANALYTICS_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.ADMIN)


def _file(table: tables.Table, file_format: str, name: str) -> Response:
    content, mime = tables.write_table(table, file_format)
    return Response(
        content,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )


@blp.route("/complaints/kpis", methods=["GET"])
@staff_required(*ANALYTICS_ROLES)
@blp.arguments(KpiQuery, location="query")
@blp.response(200)
def get_complaint_kpis(args: dict):
    """Complaint KPIs for [from, to), denominators = cases due in the period; format=json|csv|xlsx."""
    start, end, group_by = args["start"], args["end"], args["group_by"]
    groups = complaint_kpis.compute_complaint_kpis(start, end, group_by)
    if args["format"] != "json":
        return _file(tables.kpi_table(group_by, groups), args["format"], f"kpis-{start}-{end}")
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
        return _file(tables.ledger_table(breaches), args["format"], f"ledger-{start}-{end}")
    return tables.ledger_body(start, end, as_of, breaches)
