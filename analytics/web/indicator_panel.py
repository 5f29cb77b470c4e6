"""The indicator-system panel: every indicator of analytics.services.indicators evaluated for the period the
filter range covers (analytics.services.periods.covering_period), with its CI, target, status, attribute,
change from the period before and trend."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analytics.services.indicators import evaluate_indicators
from analytics.services.periods import Period, covering_period
from analytics.web import charts
from analytics.web.common import Filters
from analytics.web.panel_content import PanelContent
from analytics.web.quality_presenters import (
    ATTRIBUTE_LABELS,
    INTERVAL_HEADER,
    STATUS_BADGES,
    STATUS_LABELS,
    change_text,
    indicator_name,
    indicator_reason_text,
    interval_text,
    score_text,
    target_text,
    trend_text,
)

TREND_PERIODS = 6  # the API's default: the evaluated period and the five before it


def indicator_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service's evaluation of each indicator with the texts a table shows."""
    return [
        {
            "item": item,
            "name": indicator_name(item),
            "value": score_text(item["value"], item["unit"]),
            "interval": interval_text(item["ci_low"], item["ci_high"], item["unit"]),
            "target": target_text(item["target"], item["direction"], item["unit"]),
            "status": STATUS_LABELS[item["status"]],
            "badge": STATUS_BADGES[item["status"]],
            "attribute": ATTRIBUTE_LABELS[item["attribute"]],
            "change": change_text(item["change"]),
            "trend": trend_text(item["trend"]),
            "reason": indicator_reason_text(item),
        }
        for item in items
    ]


def indicator_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Each indicator's value with its 95 % interval and a mark at its own target (all on 0-100)."""
    items = [row["item"] for row in rows]
    return charts.interval_chart(
        [row["name"] for row in rows],
        [i["value"] for i in items],
        [i["ci_low"] for i in items],
        [i["ci_high"] for i in items],
        _l("Value"),
        _l("%(level)s confidence interval", level="95%"),
        maximum=100,
        targets=[i["target"] for i in items],
        target_label=_l("Target"),
    )


def period_note(period: Period) -> str:
    """Which period the panel evaluates and why (the rule of covering_period)."""
    return _(
        "Evaluated for %(period)s (%(start)s to %(end)s, not including): the latest whole month in the "
        "chosen dates, or the quarter or year ending with it when the dates hold it whole. Indicators "
        "cover the whole city; the department filter does not apply.",
        period=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )


def indicator_panel(filters: Filters) -> PanelContent | None:
    """The evaluated indicator system; None when no indicator is defined."""
    period = covering_period(filters.start, filters.end)
    items = evaluate_indicators(period, TREND_PERIODS)
    if not items:
        return None
    rows = indicator_rows(items)
    return PanelContent(
        [],
        [],
        chart=indicator_chart(rows),
        note=period_note(period),
        extra={
            "rows": rows,
            "period": period,
            "previous": period.shifted(-1).label,
            "trend_periods": TREND_PERIODS,
            "interval_header": INTERVAL_HEADER,
            "download_query": filters.query(),
        },
    )
