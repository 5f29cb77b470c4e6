"""The drill-down page: the cases behind one KPI number (its population, the counted ones, the rest).

Rows carry non-personal fields only; supervisors and admins, who may open cases, get a link to each one.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from analytics.api.common import ANALYTICS_ROLES, send_table
from analytics.kpis import GROUP_BY, KPI_BY_CODE
from analytics.services import drilldown, tables
from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.web.common import bp
from analytics.web.presenters import key_labeler, kpi_name
from complaints.web.forms import load_or_errors
from core.auth.roles import Role
from core.web.auth import web_roles_required

PAGE_SIZE = 50
CASE_READERS = (Role.SUPERVISOR, Role.ADMIN)


class DrillPageQuery(Schema):
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")
    group_by = fields.String(load_default="none", validate=validate.OneOf(tuple(GROUP_BY)))
    key = fields.String(load_default="")
    part = fields.String(load_default="all", validate=validate.OneOf(drilldown.PARTS))
    after = fields.String(load_default=None)


def _read(code: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    if code not in KPI_BY_CODE:
        abort(404)
    given = {k: v for k, v in request.args.items() if v.strip() != "" or k == "key"}
    args, errors = load_or_errors(DrillPageQuery(), given)
    if args is not None and args["start"] >= args["end"]:
        return None, {"to": [_("Must be after the start date.")]}
    return args, errors


def _number(code: str, args: dict[str, Any]) -> dict[str, Any]:
    """The KPI's n and value for the group, as the report gives it."""
    key = None if args["group_by"] == "department" and args["key"] == "" else args["key"]
    for group in compute_complaint_kpis(args["start"], args["end"], args["group_by"]):
        if args["group_by"] == "none" or group["key"] == key:
            return group["kpis"][code]
    return {"n": 0, "value": None}


def _rows(code: str, args: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return drilldown.list_kpi_cases(
        code,
        args["start"],
        args["end"],
        args["group_by"],
        args["key"],
        args["part"],
        drilldown.parse_cursor(args["after"]),
        limit,
    )


@bp.get("/kpis/<code>/cases")
@web_roles_required(*ANALYTICS_ROLES)
def kpi_cases(code: str):
    """One page of the cases behind a KPI number, with the definition beside it and downloads."""
    args, errors = _read(code)
    kpi = KPI_BY_CODE[code]
    context: dict[str, Any] = {"kpi": kpi, "kpi_title": kpi_name(kpi), "errors": errors, "args": request.args}
    if args is None:
        return render_template("analytics/kpi_cases.html", filters=None, **context), 422
    rows = _rows(code, args, PAGE_SIZE)
    group = key_labeler(args["group_by"])
    region, category, department = key_labeler("region"), key_labeler("category"), key_labeler("department")
    link_args = {
        "from": args["start"].isoformat(),
        "to": args["end"].isoformat(),
        "group_by": args["group_by"],
        "key": args["key"],
    }
    can_open = current_user.role_enum in CASE_READERS
    shown = [
        {
            "code": row["tracking_code"],
            "url": url_for("staff.case_page", tracking_code=row["tracking_code"]) if can_open else None,
            "kind": row["kind"],
            "channel": row["channel"],
            "category": category(row["category_code"]),
            "region": region(row["region_code"]),
            "department": department(row["department_code"]),
            "status": row["status"],
            "due": format_datetime(row["due_at"], "short") if row["due_at"] else None,
            "done": format_datetime(row["done_at"], "short") if row["done_at"] else None,
            "met": row["met"],
        }
        for row in rows
    ]
    next_after = tables.drill_body(code, rows, PAGE_SIZE)["next_after"]
    return render_template(
        "analytics/kpi_cases.html",
        filters=args,
        number=_number(code, args),
        group_label=group(None if args["group_by"] == "department" and args["key"] == "" else args["key"]),
        rows=shown,
        part=args["part"],
        link_args=link_args,
        next_after=next_after,
        **context,
    )


@bp.get("/export/kpis/<code>/cases.<any(csv, xlsx):file_format>")
@web_roles_required(*ANALYTICS_ROLES)
def export_kpi_cases(code: str, file_format: str):
    """Every case behind the number (all pages) for the same filters and part."""
    args, errors = _read(code)
    if args is None:
        abort(422)
    args["after"] = None
    rows = _rows(code, args, 100_000)
    return send_table(tables.drill_table(rows), file_format, f"{code}-{args['start']}-{args['end']}")
