"""The report's quality chapters: 三率综合评价 (three-rate scores of the departments), 质量指标体系 (the
indicator system evaluated for the period) and 满意度测评 (survey indices with intervals, and the IPA of
each survey whose model has enough data).

The numbers are the services', as the dashboard panels show them (the same row builders): the report and
the pages agree. The period of the indicators follows the dashboard's rule (periods.covering_period): the
year when it is complete, else the latest whole month of it.
"""

from __future__ import annotations

from typing import Any

from analytics.report import svg
from analytics.report.context import ReportContext, Section, render_fragment
from analytics.services.indicators import evaluate_indicators
from analytics.services.periods import covering_period
from analytics.services.three_rate import rank_units
from analytics.web.common import published_surveys
from analytics.web.indicator_panel import TREND_PERIODS, indicator_rows
from analytics.web.quality_presenters import (
    WEIGHTING_LABELS,
    construct_name,
    response_rate_text,
    survey_title,
)
from analytics.web.survey_panels import (
    construct_rows,
    default_weighting,
    index_report,
    ipa_rows,
    model_result,
    target_rows,
)
from analytics.web.three_rate_panel import unit_rows, weights_note


def three_rate_section(ctx: ReportContext) -> Section | None:
    """Every department's three-rate score, interval and rank for the year, as a chart and a table."""
    ranking = rank_units(ctx.start, ctx.end, "department")
    if not ranking["units"]:
        return None
    rows = unit_rows(ranking, None)
    chart = svg.bar_svg(
        "three-rate",
        [row["label"] for row in rows],
        [
            ("已排名", [r["unit"]["score"] if r["unit"]["ranked"] else None for r in rows]),
            ("未排名（案件数不足）", [None if r["unit"]["ranked"] else r["unit"]["score"] for r in rows]),
        ],
        percent=False,
        stacked=True,
        value_range=(0.0, 100.0),
    )
    body = render_fragment(
        "analytics/report/_three_rate.html",
        rows=rows,
        chart=chart,
        ranking=ranking,
        note=weights_note(ranking),
    )
    return Section("three-rate", "三率综合评价", body)


def indicators_section(ctx: ReportContext) -> Section | None:
    """The indicator system evaluated for the report's period: values, intervals, targets and status."""
    period = covering_period(ctx.start, ctx.end)
    items = evaluate_indicators(period, TREND_PERIODS)
    if not items:
        return None
    rows = indicator_rows(items)
    chart = svg.interval_svg(
        "indicators",
        [row["name"] for row in rows],
        [i["value"] for i in items],
        [i["ci_low"] for i in items],
        [i["ci_high"] for i in items],
        targets=[i["target"] for i in items],
    )
    counts = {status: sum(1 for i in items if i["status"] == status) for status in ("met", "not_met")}
    body = render_fragment(
        "analytics/report/_indicators.html",
        ctx=ctx,
        period=period,
        previous=period.shifted(-1).label,
        rows=rows,
        chart=chart,
        counts=counts,
        trend_periods=TREND_PERIODS,
    )
    return Section("indicators", "质量指标体系", body)


def survey_block(survey: Any, ctx: ReportContext) -> dict[str, Any] | None:
    """One survey's indices (with chart), targets and IPA for the year; None without responses."""
    weighting = default_weighting(survey)
    report, problem = index_report(survey.slug, ctx.start, ctx.end, weighting)
    if report is not None and not report["responses"]:
        return None
    key = f"survey-{survey.slug}"
    block: dict[str, Any] = {
        "slug": survey.slug,
        "title": survey_title(survey.published.definition, survey.slug),
        "weighting": WEIGHTING_LABELS[weighting],
        "report": report,
        "problem": problem,
    }
    if report is None:
        return block
    rows = construct_rows(report)
    cells = [row["row"] for row in rows]
    block |= {
        "rows": rows,
        "targets": target_rows(report),
        "response_rate": response_rate_text(report["groups"][0]["response_rate"]),
    }
    if any(not c["suppressed"] for c in cells):
        block["chart"] = svg.interval_svg(
            key,
            [row["name"] for row in rows],
            [c["estimate"] for c in cells],
            [c["ci_low"] for c in cells],
            [c["ci_high"] for c in cells],
        )
    model, model_problem = model_result(survey.slug, ctx.start, ctx.end)
    block["model_problem"] = model_problem
    if model is not None and model["status"] == "ok":
        ipa = model["ipa"]
        block["ipa"] = ipa_rows(model)
        block["ipa_chart"] = svg.quadrant_svg(
            f"{key}-ipa",
            [(construct_name(p["code"]), p["importance"], p["performance"]) for p in ipa["points"]],
            ipa["importance_cut"],
            ipa["performance_cut"],
            "重要性（对满意度的总效应）",
            "表现（指数，0–100）",
        )
    return block


def surveys_section(ctx: ReportContext) -> Section | None:
    """Survey indices with their intervals per published survey, and the IPA where the model fits."""
    blocks = [b for b in (survey_block(s, ctx) for s in published_surveys()) if b is not None]
    if not blocks:
        return None
    body = render_fragment("analytics/report/_surveys.html", ctx=ctx, blocks=blocks)
    return Section("surveys", "满意度测评", body)
