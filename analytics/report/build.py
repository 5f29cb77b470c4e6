"""Assemble the annual report from its sections and write it as self-contained HTML and as PDF."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from weasyprint import HTML

from analytics.report import sections
from analytics.report.sections import ReportContext, Section
from analytics.services.trend_buckets import local_today, year_period
from core.db import utcnow


class _SvgStyleNoise(logging.Filter):
    """Drops WeasyPrint's warning for every SVG style property (fill, stroke...) matplotlib writes: its
    HTML CSS checker does not know them, although its SVG renderer applies them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Ignored `") and message.endswith("unknown property."))


logging.getLogger("weasyprint").addFilter(_SvgStyleNoise())
REPORT_LOCALE = "zh_Hans_CN"  # the report is a Chinese document whatever the analyst's page language
NUMERALS = "一二三四五六七八九十"


def report_context(year: int) -> ReportContext:
    """The year's period, cut at today while the year is running."""
    start, end = year_period(year, local_today())
    return ReportContext(year, start, end, utcnow())


def render_report(ctx: ReportContext) -> str:
    """The whole report as one HTML document (inline CSS and SVG, no external resources)."""
    with force_locale(REPORT_LOCALE):
        chapters: list[Section] = [
            s for s in (provider(ctx) for provider in sections.SECTION_PROVIDERS) if s is not None
        ]
        numbered = [(NUMERALS[i] if i < len(NUMERALS) else str(i + 1), s) for i, s in enumerate(chapters)]
        return current_app.jinja_env.get_template("analytics/report/report.html").render(
            ctx=ctx,
            sections=numbered,
            generated_at=ctx.as_of.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(
                "%Y-%m-%d %H:%M"
            ),
        )


def write_report(year: int, out_dir: Path) -> tuple[Path, Path]:
    """Write quality-report-<year>.html and .pdf into out_dir; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html = render_report(report_context(year))
    html_path, pdf_path = out_dir / f"quality-report-{year}.html", out_dir / f"quality-report-{year}.pdf"
    html_path.write_text(html, encoding="utf-8")
    HTML(string=html, base_url=str(out_dir)).write_pdf(pdf_path)
    return html_path, pdf_path
