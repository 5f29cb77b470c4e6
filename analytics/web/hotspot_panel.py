"""The overview's hot-spot panel: the categories and districts rising significantly in the month the
view ends in, with a link to the hot-spot page of that month (same services and thresholds)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _

from analytics.services.hotspot_periods import add_months, current_month, resolve_period
from analytics.services.hotspots import find_rising_units
from analytics.web.common import Filters
from analytics.web.hotspots import ALPHA, BASELINE, DIMENSIONS, MIN_COUNT
from analytics.web.panel_content import PanelContent
from core.errors import InvalidInput


def hotspot_panel(filters: Filters) -> PanelContent | None:
    """Rising categories and districts of the view's last month (None when there is nothing to compare)."""
    last = filters.end - timedelta(days=1)
    first = min(date(last.year, last.month, 1), current_month()[0])
    try:
        period = resolve_period(first, add_months(first, 1), True, BASELINE)
    except InvalidInput:
        return None
    rows, tested = [], 0
    for dimension in ("category", "region"):
        units = find_rising_units(period, dimension, ALPHA, MIN_COUNT)
        tested += len(units)
        for unit in units:
            if unit.flagged:
                baseline = "—" if unit.test.baseline_mean is None else f"{unit.test.baseline_mean:.1f}"
                rows.append([unit.name or unit.key, str(DIMENSIONS[dimension]), unit.test.observed, baseline])
    if not tested:
        return None  # no complaint in the month or its baseline: nothing to compare
    month = first.strftime("%Y-%m")
    return PanelContent(
        [_("Rising"), _("Look at"), _("This month"), _("Expected count")],
        rows,
        note=_(
            "Hot spots of %(month)s: complaints significantly above the unit's own baseline.", month=month
        ),
        links=[
            (
                _("All hot spots of %(month)s", month=month),
                url_for("analytics_web.hotspots_page", month=month),
            )
        ],
    )
