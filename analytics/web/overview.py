"""The analyst overview: KPI tiles against their targets, trends, the breakdown table and the panels."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from analytics.api.common import ANALYTICS_ROLES
from analytics.kpis import KPI_BY_CODE, KPIS
from analytics.services import complaint_kpis, volumes
from analytics.services.kpi_rollups import rollups_built_at
from analytics.services.trend_buckets import split_period
from analytics.web import charts
from analytics.web.common import (
    BREAKDOWNS,
    DIMENSION_LABELS,
    INTERVAL_LABELS,
    Filters,
    bp,
    department_choices,
    read_filters,
)
from analytics.web.panels import build_panels
from analytics.web.presenters import format_kpi, key_labeler, kpi_name, kpi_text, target_state
from core.web.auth import web_roles_required

TILE_GROUPS = (
    ("rules", _l("The one-hundred-percent rules"), ("acceptance_rate", "completion_rate", "feedback_rate")),
    (
        "timeliness",
        _l("Timeliness"),
        (
            "acceptance_on_time_rate",
            "sign_rate",
            "sign_on_time_rate",
            "response_rate",
            "completion_on_time_rate",
            "avg_handling_workdays",
        ),
    ),
    (
        "outcomes",
        _l("Outcomes"),
        (
            "callback_rate",
            "satisfaction_rate",
            "resolution_rate",
            "first_time_rate",
            "duplicate_rate",
            "loss_recovered",
        ),
    ),
)
TREND_CHARTS = (
    (
        "trend-rules",
        _l("One-hundred-percent rules and on-time completion"),
        ("acceptance_rate", "completion_rate", "feedback_rate", "completion_on_time_rate"),
    ),
    ("trend-outcomes", _l("Satisfaction and resolution"), ("satisfaction_rate", "resolution_rate")),
)
BREAKDOWN_KPIS = (
    "acceptance_rate",
    "completion_on_time_rate",
    "feedback_rate",
    "satisfaction_rate",
    "resolution_rate",
)
BREAKDOWN_CHART_KPIS = ("completion_on_time_rate", "satisfaction_rate")
EMPTY = {kpi.code: {"n": 0, "value": None} for kpi in KPIS}


def drill_url(code: str, filters: Filters, group_by: str, key: str | None) -> str:
    """The cases behind one KPI number (the drill-down page under /analytics/kpis/<code>/cases)."""
    args = {"from": filters.start.isoformat(), "to": filters.end.isoformat(), "group_by": group_by}
    args["key"] = "" if key is None else key
    return url_for("analytics_web.kpi_cases", code=code, **args)


def scope(filters: Filters) -> tuple[str, str]:
    """(group_by, key) of the cases the tiles and trends describe: all, or the chosen department."""
    return ("department", filters.department) if filters.department else ("none", "all")


def report(filters: Filters, start: date, end: date, group_by: str) -> list[dict[str, Any]]:
    """The KPI report from the view's source (the rollups, or the live cases)."""
    return complaint_kpis.compute_complaint_kpis(start, end, group_by, filters.source)


def kpis_of(groups: list[dict[str, Any]], key: str | None) -> dict[str, dict[str, Any]]:
    """The KPI numbers of one group (all n = 0 when nothing of that group was due)."""
    return next((group["kpis"] for group in groups if group["key"] == key), EMPTY)


def kpi_tiles(filters: Filters) -> list[dict[str, Any]]:
    """Tile groups: every KPI with its value, denominator, target state and definition."""
    group_by, key = scope(filters)
    numbers = kpis_of(report(filters, filters.start, filters.end, group_by), key)
    tiles = []
    for slot, title, codes in TILE_GROUPS:
        items = []
        for code in codes:
            kpi, number = KPI_BY_CODE[code], numbers[code]
            items.append(
                {
                    "code": code,
                    "name": kpi_name(kpi),
                    "value": number["value"],
                    "display": format_kpi(code, number["value"]),
                    "n": number["n"],
                    "target": None if kpi.target is None else format_kpi(code, kpi.target),
                    "state": target_state(kpi, number["value"]),
                    "formula": kpi_text(kpi.formula),
                    "denominator": kpi_text(kpi.denominator),
                    "href": drill_url(code, filters, group_by, key),
                }
            )
        tiles.append({"slot": slot, "title": title, "items": items})
    return tiles


def trends(filters: Filters) -> dict[str, Any]:
    """Per interval: every KPI of the scope; chart specs of TREND_CHARTS and the rows of the table."""
    group_by, key = scope(filters)
    buckets = split_period(filters.start, filters.end, filters.interval)
    points = [kpis_of(report(filters, b.start, b.end, group_by), key) for b in buckets]
    labels = [b.label for b in buckets]
    figures = []
    for slot, title, codes in TREND_CHARTS:
        series = [(kpi_name(KPI_BY_CODE[c]), [p[c]["value"] for p in points]) for c in codes]
        spec = charts.line_chart(labels, series, "percent", minimum=0, maximum=1)
        rows = [
            [label] + [(format_kpi(c, p[c]["value"]), p[c]["n"]) for c in codes]
            for label, p in zip(labels, points, strict=True)
        ]
        figures.append(
            {
                "slot": slot,
                "title": title,
                "spec": spec,
                "columns": [kpi_name(KPI_BY_CODE[c]) for c in codes],
                "rows": rows,
            }
        )
    return {"figures": figures, "buckets": buckets}


def breakdown(filters: Filters) -> dict[str, Any]:
    """The chosen dimension's groups: table rows with values and bars, and a bar chart."""
    groups = report(filters, filters.start, filters.end, filters.group_by)
    label = key_labeler(filters.group_by)
    rows = []
    for group in groups:
        cells = []
        for code in BREAKDOWN_KPIS:
            number = group["kpis"][code]
            cells.append(
                {
                    "code": code,
                    "value": number["value"],
                    "display": format_kpi(code, number["value"]),
                    "n": number["n"],
                    "href": drill_url(code, filters, filters.group_by, group["key"]),
                }
            )
        rows.append(
            {
                "key": group["key"],
                "label": label(group["key"]),
                "due": group["kpis"]["acceptance_rate"]["n"],
                "cells": cells,
                "selected": bool(filters.department) and group["key"] == filters.department,
            }
        )
    spec = charts.bar_chart(
        [row["label"] for row in rows],
        [
            (kpi_name(KPI_BY_CODE[code]), [g["kpis"][code]["value"] for g in groups])
            for code in BREAKDOWN_CHART_KPIS
        ],
        "percent",
        minimum=0,
        maximum=1,
    )
    return {"rows": rows, "columns": [kpi_name(KPI_BY_CODE[c]) for c in BREAKDOWN_KPIS], "spec": spec}


def received(filters: Filters) -> int:
    """Cases received in the period (in the chosen department when one is chosen)."""
    counts = volumes.count_received(filters.start, filters.end, "department")
    return counts.get(filters.department, 0) if filters.department else sum(counts.values())


@bp.get("/")
@web_roles_required(*ANALYTICS_ROLES)
def overview():
    """KPI tiles with targets, trends, the breakdown by a dimension, and the filled panels."""
    filters, _other, errors = read_filters(request.args)
    choices = {
        "departments": department_choices(),
        "breakdowns": [(key, DIMENSION_LABELS[key]) for key in BREAKDOWNS],
        "intervals": INTERVAL_LABELS,
        "args": request.args,
        "errors": errors,
    }
    if filters is None:
        return render_template("analytics/overview.html", filters=None, **choices), 422
    return render_template(
        "analytics/overview.html",
        filters=filters,
        received=received(filters),
        tiles=kpi_tiles(filters),
        trends=trends(filters),
        breakdown=breakdown(filters),
        panels=build_panels(filters),
        rollups_at=rollups_built_at() if filters.source == "rollup" else None,
        **choices,
    )
