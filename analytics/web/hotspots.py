"""The hot-spot page: rising categories, districts and respondents of a month against their own baseline,
the most complained-about businesses with repeat rates, and the 每月一题 candidates, with downloads.

Businesses are shown by registered name and credit code (not personal data); complainants never appear.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from analytics.api.common import ANALYTICS_ROLES, send_table
from analytics.services import hotspot_tables
from analytics.services.hotspot_businesses import rank_businesses
from analytics.services.hotspot_periods import HotspotPeriod, add_months, current_month, resolve_period
from analytics.services.hotspots import find_rising_units
from analytics.services.monthly_problems import rank_monthly_problems
from analytics.web import charts
from analytics.web.common import bp
from complaints.web.forms import load_or_errors
from core.web.auth import web_roles_required

DIMENSIONS = {"category": _l("Category"), "region": _l("District"), "respondent": _l("Respondent")}
ALPHA, MIN_COUNT, BASELINE = 0.05, 5, 12
TOP = 20


class HotspotPageQuery(Schema):
    month = fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    dimension = fields.String(load_default="category", validate=validate.OneOf(tuple(DIMENSIONS)))


def _read() -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    given = {k: v for k, v in request.args.items() if v.strip()}
    args, errors = load_or_errors(HotspotPageQuery(), given)
    if args is None:
        return None, errors
    if "month" in args:
        first = date.fromisoformat(args["month"] + "-01")
        if first > current_month()[0]:
            return None, {"month": [_("This month has not begun.")]}
        args["start"], args["end"] = first, add_months(first, 1)
    else:
        args["start"], args["end"] = current_month()
    args["month"] = args["start"].strftime("%Y-%m")
    return args, {}


def _period(args: dict[str, Any]) -> HotspotPeriod:
    return resolve_period(args["start"], args["end"], True, BASELINE)


@bp.get("/hotspots")
@web_roles_required(*ANALYTICS_ROLES)
def hotspots_page():
    """Hot spots of a month: rising units (Poisson / negative binomial with FDR), businesses, 每月一题."""
    args, errors = _read()
    context: dict[str, Any] = {"dimensions": DIMENSIONS, "errors": errors, "values": request.args}
    if args is None:
        return render_template("analytics/hotspots.html", period=None, **context), 422
    period = _period(args)
    units = find_rising_units(period, args["dimension"], ALPHA, MIN_COUNT)
    flagged = [u for u in units if u.flagged]
    shown = (flagged + [u for u in units if not u.flagged])[:TOP]
    top = shown[:10]
    chart = charts.bar_chart(
        [u.name or u.key for u in top],
        [
            (_("This month"), [u.test.observed for u in top]),
            (_("Expected from the baseline"), [u.test.baseline_mean for u in top]),
        ],
        value_format="number",
        x_title=_("Cases"),
    )
    return render_template(
        "analytics/hotspots.html",
        period=period,
        args=args,
        link_args={"month": args["month"], "dimension": args["dimension"]},
        units=shown,
        flagged=len(flagged),
        tested=len(units),
        businesses=rank_businesses(period, TOP),
        problems=rank_monthly_problems(period, ALPHA, MIN_COUNT, 10),
        chart=chart,
        alpha=ALPHA,
        min_count=MIN_COUNT,
        **context,
    )


@bp.get("/export/hotspots/<any(units, businesses, problems):table>.<any(csv, xlsx):file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_hotspots(table: str, file_format: str):
    """One of the page's three tables, complete, for the same month and dimension."""
    args, _errors = _read()
    if args is None:
        abort(422)
    period = _period(args)
    if table == "units":
        rows = find_rising_units(period, args["dimension"], ALPHA, MIN_COUNT)
        built = hotspot_tables.rising_table(args["dimension"], rows)
    elif table == "businesses":
        built = hotspot_tables.businesses_table(rank_businesses(period, 200))
    else:
        built = hotspot_tables.problems_table(rank_monthly_problems(period, ALPHA, MIN_COUNT, 50))
    return send_table(built, file_format, f"hotspots-{table}-{args['month']}")
