"""The report's 热点问题 chapter: for each complete month of the year, the categories and districts whose
complaints rose significantly above their own twelve-month baseline and the month's 每月一题 candidate,
then the businesses complained about most over the year with their repeat rates.

The same services and thresholds as the hot-spot page (analytics.web.hotspots), so the two agree.
"""

from __future__ import annotations

from datetime import date

from analytics.report.context import ReportContext, Section, render_fragment
from analytics.services.hotspot_businesses import rank_businesses
from analytics.services.hotspot_periods import add_months, resolve_period
from analytics.services.hotspots import find_rising_units
from analytics.services.monthly_problems import rank_monthly_problems
from analytics.web.hotspots import ALPHA, BASELINE, MIN_COUNT
from core.errors import InvalidInput

TOP_BUSINESSES = 10


def complete_months(start: date, end: date) -> list[date]:
    """First days of the calendar months wholly inside [start, end)."""
    months, month = [], date(start.year, start.month, 1)
    if month < start:
        month = add_months(month, 1)
    while add_months(month, 1) <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def hotspot_section(ctx: ReportContext) -> Section | None:
    """Monthly hot spots and the year's most complained-about businesses (None without any case)."""
    months = []
    for first in complete_months(ctx.start, ctx.end):
        try:
            period = resolve_period(first, add_months(first, 1), True, BASELINE)
        except InvalidInput:
            continue  # the month ends before the first case on record: nothing to compare

        rising = {
            dimension: [u for u in find_rising_units(period, dimension, ALPHA, MIN_COUNT) if u.flagged]
            for dimension in ("category", "region")
        }
        problems = rank_monthly_problems(period, ALPHA, MIN_COUNT, 1)
        months.append({"month": first, "rising": rising, "problem": problems[0] if problems else None})
    try:
        businesses = rank_businesses(resolve_period(ctx.start, ctx.end, False, 1), TOP_BUSINESSES)
    except InvalidInput:
        return None  # no case in the year at all
    if not businesses and not any(m["problem"] for m in months):
        return None
    body = render_fragment(
        "analytics/report/_hotspots.html",
        months=months,
        businesses=businesses,
        alpha=ALPHA,
        min_count=MIN_COUNT,
        baseline=BASELINE,
    )
    return Section("hotspots", "热点问题", body)
