"""CSV / XLSX downloads for signed-in analysts (the API's files, behind the web session instead of a token).

The filters are the page's own query string, so a download holds exactly what the page shows.
"""

from __future__ import annotations

from flask import abort, request

from analytics.api.common import ANALYTICS_ROLES, send_table
from analytics.services import indicator_tables, tables, three_rate
from analytics.services.indicators import evaluate_indicators
from analytics.services.periods import covering_period
from analytics.web.common import bp, read_filters
from analytics.web.indicator_panel import TREND_PERIODS
from analytics.web.ledger import LedgerQuery, select_breaches
from analytics.web.overview import report
from core.web.auth import web_roles_required

FILE_FORMATS = "any(csv, xlsx)"


@bp.get(f"/export/kpis.<{FILE_FORMATS}:file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_kpis(file_format: str):
    """Every KPI per group of the chosen dimension (only the chosen department's row when one is set)."""
    filters, _options, errors = read_filters(request.args)
    if filters is None:
        abort(422)
    groups = report(filters, filters.start, filters.end, filters.group_by)
    if filters.department and filters.group_by == "department":
        groups = [g for g in groups if g["key"] == filters.department]
    name = f"kpis-{filters.group_by}-{filters.start}-{filters.end}"
    return send_table(tables.kpi_table(filters.group_by, groups), file_format, name)


@bp.get(f"/export/ledger.<{FILE_FORMATS}:file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_ledger(file_format: str):
    """The ledger rows the page lists for the same filters (all pages)."""
    filters, options, errors = read_filters(request.args, LedgerQuery())
    if filters is None:
        abort(422)
    _found, shown = select_breaches(filters, options)
    return send_table(tables.ledger_table(shown), file_format, f"ledger-{filters.start}-{filters.end}")


@bp.get(f"/export/three-rate.<{FILE_FORMATS}:file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_three_rate(file_format: str):
    """The three-rate panel's table: every department's rates, score, interval and rank."""
    filters, _options, errors = read_filters(request.args)
    if filters is None:
        abort(422)
    ranking = three_rate.rank_units(filters.start, filters.end, "department", source=filters.source)
    name = f"three-rate-department-{filters.start}-{filters.end}"
    return send_table(tables.three_rate_table("department", ranking), file_format, name)


@bp.get(f"/export/indicators.<{FILE_FORMATS}:file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_indicators(file_format: str):
    """The indicator panel's table: every indicator evaluated for the period the filter dates cover."""
    filters, _options, errors = read_filters(request.args)
    if filters is None:
        abort(422)
    period = covering_period(filters.start, filters.end)
    rows = evaluate_indicators(period, TREND_PERIODS)
    return send_table(indicator_tables.indicator_table(rows), file_format, f"indicators-{period.label}")
