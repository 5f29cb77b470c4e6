"""The sections of the annual quality report, each made by one provider function.

A provider takes the ReportContext and returns a Section (title + HTML body) or None (nothing to report).
SECTION_PROVIDERS lists them in report order; a new analysis (indicators, survey indices, IPA, hot spots)
is one more function here, rendering its own template under analytics/report/, inserted before the
methodology. Numbers come from the same services as the dashboard, so the report and the pages agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from analytics.kpis import KPI_BY_CODE, KPIS
from analytics.report import quality, svg
from analytics.report.context import ReportContext, Section, render_fragment
from analytics.report.hotspots import hotspot_section
from analytics.services import complaint_kpis, ledger, volumes
from analytics.services.survey_indices import min_cell
from analytics.services.three_rate import parse_weights
from analytics.web.indicator_panel import TREND_PERIODS
from analytics.web.presenters import format_kpi, key_labeler, kpi_text, target_state
from complaints.services.catalogue import current_policy

__all__ = ["SECTION_PROVIDERS", "ReportContext", "Section", "render_fragment"]

RULE_KPIS = ("acceptance_rate", "completion_rate", "feedback_rate")
TREND_KPIS = (
    "acceptance_rate",
    "completion_rate",
    "feedback_rate",
    "completion_on_time_rate",
    "satisfaction_rate",
)
DEPARTMENT_KPIS = (
    "acceptance_rate",
    "completion_rate",
    "completion_on_time_rate",
    "feedback_rate",
    "satisfaction_rate",
    "resolution_rate",
)
RULE_NAMES = {"acceptance": "受理", "handling": "办理", "feedback": "反馈"}
OUTSTANDING_LIST_MAX = 200  # longer lists are in the ledger download, not in a printed report


def local_date(moment: datetime) -> date:
    """The local calendar day of an instant."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def kpi_row(code: str, number: dict[str, Any]) -> dict[str, Any]:
    """A KPI's name, value (raw and formatted), denominator and target state, for report tables."""
    kpi = KPI_BY_CODE[code]
    return {
        "code": code,
        "name": kpi.name_zh,
        "value": number["value"],
        "display": format_kpi(code, number["value"]),
        "n": number["n"],
        "target": None if kpi.target is None else format_kpi(code, kpi.target),
        "state": target_state(kpi, number["value"]),
    }


def _shares(counts: dict[str | None, int], label: Callable[[str | None], str]) -> list[dict[str, Any]]:
    total = sum(counts.values())
    return [
        {"key": key, "label": label(key), "n": n, "share": format_kpi("acceptance_rate", n / total)}
        for key, n in counts.items()
    ]


def summary_section(ctx: ReportContext) -> Section:
    """Cases received by kind, channel and hotline; the 100 % rules against their targets; every KPI."""
    by_kind = volumes.count_received(ctx.start, ctx.end, "kind")
    by_channel = volumes.count_received(ctx.start, ctx.end, "channel")
    by_hotline = volumes.count_received(ctx.start, ctx.end, "hotline")
    body = render_fragment(
        "analytics/report/_summary.html",
        ctx=ctx,
        received=sum(by_kind.values()),
        kinds=_shares(by_kind, key_labeler("kind")),
        channels=_shares(by_channel, key_labeler("channel")),
        hotlines=_shares(by_hotline, key_labeler("hotline")),
        rules=[kpi_row(code, ctx.totals[code]) for code in RULE_KPIS],
        kpis=[kpi_row(kpi.code, ctx.totals[kpi.code]) for kpi in KPIS],
        totals={code: kpi_row(code, number) for code, number in ctx.totals.items()},
    )
    return Section("summary", "年度概况", body)


def trends_section(ctx: ReportContext) -> Section:
    """Cases received and the main rates per month, as charts and a table."""
    labels = [bucket.label for bucket, _kpis, _n in ctx.months]
    rates = svg.line_svg(
        "trend-rates",
        labels,
        [(KPI_BY_CODE[c].name_zh, [k[c]["value"] for _b, k, _n in ctx.months]) for c in TREND_KPIS],
    )
    volume = svg.bar_svg(
        "trend-volume", labels, [("受理登记（件）", [n for _b, _k, n in ctx.months])], False, False
    )
    rows = [
        {"label": bucket.label, "received": n, "kpis": [kpi_row(c, kpis[c]) for c in TREND_KPIS]}
        for bucket, kpis, n in ctx.months
    ]
    body = render_fragment(
        "analytics/report/_trends.html",
        rates=rates,
        volume=volume,
        rows=rows,
        columns=[KPI_BY_CODE[c].name_zh for c in TREND_KPIS],
    )
    return Section("trends", "月度趋势", body)


def departments_section(ctx: ReportContext) -> Section | None:
    """Every department's rates for the year, as a table and a bar chart."""
    groups = complaint_kpis.compute_complaint_kpis(ctx.start, ctx.end, "department")
    if not groups:
        return None
    label = key_labeler("department")
    rows = [
        {"label": label(g["key"]), "kpis": [kpi_row(c, g["kpis"][c]) for c in DEPARTMENT_KPIS]}
        for g in groups
    ]
    chart = svg.bar_svg(
        "departments",
        [row["label"] for row in rows],
        [
            (KPI_BY_CODE[c].name_zh, [g["kpis"][c]["value"] for g in groups])
            for c in ("completion_on_time_rate", "satisfaction_rate")
        ],
    )
    body = render_fragment(
        "analytics/report/_departments.html",
        rows=rows,
        chart=chart,
        columns=[KPI_BY_CODE[c].name_zh for c in DEPARTMENT_KPIS],
    )
    return Section("departments", "各承办部门情况", body)


def ledger_section(ctx: ReportContext) -> Section:
    """Breaches of the 100 % rules by rule and kind, and the ones whose required action is still missing."""
    counts = Counter(b.breach for b in ctx.breaches)
    outstanding = [b for b in ctx.breaches if b.done_at is None]
    open_counts = Counter(b.breach for b in outstanding)
    department, category = key_labeler("department"), key_labeler("category")
    body = render_fragment(
        "analytics/report/_ledger.html",
        ctx=ctx,
        counts=[
            {
                "rule": RULE_NAMES[rule],
                "breach": code,
                "label": zh,
                "n": counts[code],
                "open": open_counts[code],
            }
            for code, (rule, zh) in ledger.BREACHES.items()
        ],
        total=len(ctx.breaches),
        outstanding=[
            {
                "breach": b,
                "label": ledger.BREACHES[b.breach][1],
                "due": local_date(b.due_at).isoformat(),
                "department": department(b.department_code),
                "category": category(b.category_code),
            }
            for b in outstanding[:OUTSTANDING_LIST_MAX]
        ],
        outstanding_total=len(outstanding),
        list_max=OUTSTANDING_LIST_MAX,
    )
    return Section("ledger", "“三个100%”台账", body)


def methodology_section(ctx: ReportContext) -> Section:
    """Period and denominator rules, and every KPI definition as analytics/kpis.py states it."""
    definitions = [
        {
            "kpi": kpi,
            "numerator": kpi_text(kpi.numerator),
            "denominator": kpi_text(kpi.denominator),
            "formula": kpi_text(kpi.formula),
            "target": None if kpi.target is None else format_kpi(kpi.code, kpi.target),
        }
        for kpi in KPIS
    ]
    satisfied = current_policy().rules.get("satisfied_ratings", [])
    body = render_fragment(
        "analytics/report/_methodology.html",
        ctx=ctx,
        definitions=definitions,
        satisfied=satisfied,
        timezone=current_app.config["TIMEZONE"],
        weights=parse_weights(),
        min_cases=current_app.config["RANKING_MIN_CASES"],
        min_cell=min_cell(),
        trend_periods=TREND_PERIODS,
    )
    return Section("methodology", "统计口径与方法说明", body)


SECTION_PROVIDERS: list[Callable[[ReportContext], Section | None]] = [
    summary_section,
    trends_section,
    departments_section,
    ledger_section,
    quality.three_rate_section,
    quality.indicators_section,
    quality.surveys_section,
    hotspot_section,
    methodology_section,
]
