"""The annual quality report: `flask analytics report` writes HTML and PDF whose numbers are the services'."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from flask_babel import force_locale
from pypdf import PdfReader

from analytics.kpis import KPIS
from analytics.report import build, sections
from analytics.report.sections import ReportContext, Section
from analytics.services.acsi import compute_acsi_model
from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.services.hotspot_businesses import rank_businesses
from analytics.services.hotspot_periods import resolve_period
from analytics.services.hotspots import find_rising_units
from analytics.services.indicators import evaluate_indicators
from analytics.services.periods import Period
from analytics.services.survey_indices import compute_survey_index
from analytics.services.three_rate import rank_units
from analytics.services.trend_buckets import local_today, year_period
from analytics.web.presenters import format_kpi
from tests.analytics_api.hotspot_data import PLANTED as HOTSPOT_PLANTED
from tests.analytics_api.hotspot_data import build_hotspot_data
from tests.analytics_api.test_kpis import build_histories
from tests.web.panel_data import SECRETS, build_panel_data
from tests.web.test_analytics_pages import PLANTED, plant_personal_data
from tests.web.test_analytics_panels import rows, text


def data_values(html: str, table_id: str) -> dict[str, str]:
    """{kpi code: data-value} of the rows of one table of the report."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S).group(1)
    return dict(re.findall(r'data-kpi="(\w+)" data-value="([^"]*)"', table))


def as_text(value) -> str:
    return "" if value is None else str(value)


def test_the_cli_writes_html_and_pdf_with_the_years_numbers(app, client, org, tmp_path):
    cases = build_histories(client, org)
    planted = plant_personal_data(client, org)
    result = app.test_cli_runner().invoke(
        args=["analytics", "report", "--year", "2026", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    html_path, pdf_path = tmp_path / "quality-report-2026.html", tmp_path / "quality-report-2026.pdf"
    assert f"HTML: {html_path}" in result.output and f"PDF:  {pdf_path}" in result.output

    html = html_path.read_text(encoding="utf-8")
    start, end = year_period(2026, local_today())
    assert start == date(2026, 1, 1)
    [year] = compute_complaint_kpis(start, end, "none")
    expected = {code: as_text(number["value"]) for code, number in year["kpis"].items()}
    assert data_values(html, "kpis") == expected
    assert data_values(html, "rules") == {
        c: expected[c] for c in ("acceptance_rate", "completion_rate", "feedback_rate")
    }
    [september] = compute_complaint_kpis(date(2026, 9, 1), date(2026, 10, 1), "none")
    month = re.search(r"<tr><td>2026-09</td>(.*?)</tr>", html, re.S).group(1)
    assert dict(re.findall(r'data-kpi="(\w+)" data-value="([^"]*)"', month)) == {
        code: as_text(september["kpis"][code]["value"]) for code in sections.TREND_KPIS
    }
    # 7 cases received: A-E and the two planted ones, by kind in the summary.
    assert re.search(r'id="received-total">(\d+)<', html).group(1) == "7"
    assert (
        re.search(r'<tr data-key="complaint"><td>投诉</td><td class="num">(\d+)</td>', html).group(1) == "3"
    )
    # The ledger: E, the planted never-decided complaint, B without feedback (outstanding); C late.
    assert re.search(r'id="ledger-total">(\d+)<', html).group(1) == "4"
    assert re.search(r'id="ledger-open">(\d+)<', html).group(1) == "3"
    outstanding = re.search(r'<table id="ledger-open-list">(.*?)</table>', html, re.S).group(1)
    assert (
        cases["E"].code in outstanding
        and planted[1].code in outstanding
        and cases["C"].code not in outstanding
    )
    # Methodology: every KPI definition verbatim, and the Chinese of it.
    text = unescape(html)
    for kpi in KPIS:
        assert kpi.numerator in text and kpi.denominator in text and kpi.formula in text
    assert "已作决定数 / 应作决定数" in text and "期内到期" in text
    # Self-contained: inline CSS and SVG charts, nothing fetched.
    assert "<script" not in html and "<link" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert len(re.findall(r'<svg class="chart"', html)) == 4  # the three-rate chapter has one
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # two charts never share an element id
    for secret in PLANTED:
        assert secret not in text, secret

    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(pdf_path)
    assert len(reader.pages) >= 5  # cover and one page per chapter at least
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    assert "2026年度" in pdf_text and "统计口径与方法说明" in pdf_text
    with force_locale("zh_Hans_CN"):
        shown = {c: format_kpi(c, year["kpis"][c]["value"]) for c in ("acceptance_rate", "feedback_rate")}
    assert shown == {"acceptance_rate": "71.4%", "feedback_rate": "75.0%"}  # 5/7 decided, 3/4 fed back
    for code, value in shown.items():
        assert value in pdf_text, code
    assert cases["E"].code in pdf_text
    for secret in PLANTED:
        assert secret not in pdf_text, secret


def test_a_section_provider_adds_a_numbered_chapter(app, org, monkeypatch):
    def hot_spots(ctx: ReportContext) -> Section:
        return Section(
            "hotspots",
            "热点问题",
            sections.render_fragment(
                "analytics/report/_ledger.html",
                **{
                    "ctx": ctx,
                    "counts": [],
                    "total": 0,
                    "outstanding": [],
                    "outstanding_total": 0,
                    "list_max": 1,
                },
            ),
        )

    def nothing(ctx: ReportContext) -> None:
        return None

    providers = [sections.summary_section, hot_spots, nothing, sections.methodology_section]
    monkeypatch.setattr(sections, "SECTION_PROVIDERS", providers)
    html = build.render_report(ReportContext(2025, date(2025, 1, 1), date(2026, 1, 1), build.utcnow()))
    assert re.findall(r"<h2>(.*?)</h2>", html) == [
        "目　录",
        "一、年度概况",
        "二、热点问题",
        "三、统计口径与方法说明",
    ]
    assert '<a href="#hotspots">二、热点问题</a>' in html
    assert "统计期间：2025年1月1日至2025年12月31日" in html and "年度未结束" not in html


def test_a_running_year_is_cut_after_today():
    assert year_period(2026, date(2026, 11, 22)) == (date(2026, 1, 1), date(2026, 11, 23))
    assert year_period(2025, date(2026, 11, 22)) == (date(2025, 1, 1), date(2026, 1, 1))
    assert year_period(2027, date(2026, 11, 22)) == (date(2027, 1, 1), date(2027, 1, 2))


def test_the_quality_chapters_equal_the_services(app, client, org):
    build_panel_data(client, org)
    start, end = date(2026, 1, 1), date(2027, 1, 1)
    html = build.render_report(ReportContext(2026, start, end, build.utcnow()))
    assert re.findall(r"<h2>(.*?)</h2>", html)[5:] == [
        "五、三率综合评价",
        "六、质量指标体系",
        "七、满意度测评",
        "八、热点问题",
        "九、统计口径与方法说明",
    ]
    ranking = rank_units(start, end, "department")
    assert rows(html, "three-rate-table", "key", "score", "rank", "ci-low", "ci-high") == {
        text(u["key"]): {
            "score": text(u["score"]),
            "rank": text(u["rank"]),
            "ci-low": text(u["ci_low"]),
            "ci-high": text(u["ci_high"]),
        }
        for u in ranking["units"]
    }
    # A finished year is evaluated as that year.
    items = evaluate_indicators(Period("year", 2026, 1), 6)
    assert rows(html, "indicator-table", "code", "value", "status") == {
        i["code"]: {"value": text(i["value"]), "status": i["status"]} for i in items
    }
    met = sum(1 for i in items if i["status"] == "met")
    assert re.search(r'id="indicators-met">(\d+)<', html).group(1) == str(met)
    assert "评价期为 2026（2026-01-01 至 2027-01-01，不含）" in html
    for slug in ("service-satisfaction", "government-work"):
        report = compute_survey_index(slug, start, end, weighting="raking")
        assert rows(html, f"survey-table-{slug}", "code", "estimate", "suppressed") == {
            r["code"]: {"estimate": text(r["estimate"]), "suppressed": "no"}
            for r in report["groups"][0]["indices"]
            if r["kind"] == "construct"
        }
        model = compute_acsi_model(slug, start, end)
        assert rows(html, f"ipa-table-{slug}", "code", "importance", "performance") == {
            p["code"]: {"importance": str(p["importance"]), "performance": str(p["performance"])}
            for p in model["ipa"]["points"]
        }
    callback = rows(html, "survey-table-hotline-callback", "code", "estimate", "suppressed")
    assert callback == {code: {"estimate": "", "suppressed": "yes"} for code in ("satisfaction", "complaint")}
    assert "样本不足 30，不公布" in html and "回收率：50.0% (2 / 4)" in html
    assert "不作重要性—表现分析" in html  # the call-back survey has no model structure
    # The methodology states the formula with the weights in force, the survey and the indicator rules.
    text_ = unescape(html)
    assert "三率综合得分 = 100 ×（0.20 × 响应率 + 0.40 × 解决率 + 0.40 × 满意率）" in text_
    assert "少于 30 人时不公布指数" in text_ and "覆盖目标值为“与目标无显著差异”" in text_
    # Charts: 3 before, the three-rate and indicator charts, index and IPA of both population surveys
    # (the call-back survey's cells are all suppressed: no chart).
    assert len(re.findall(r'<svg class="chart"', html)) == 9
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for secret in SECRETS:
        assert secret not in text_, secret


def test_the_hot_spot_chapter_lists_the_planted_spike_and_no_personal_data(app, org):
    build_hotspot_data()
    start, end = date(2026, 1, 1), date(2026, 11, 1)
    html = build.render_report(ReportContext(2026, start, end, build.utcnow()))
    assert "热点问题" in re.findall(r"<h2>(.*?)</h2>", html)[-2]
    september = re.search(r'<tr data-month="2026-09">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", september, re.S)
    assert cells[1].startswith("电热水壶") and "仓山区" in cells[2]
    period = resolve_period(date(2026, 9, 1), date(2026, 10, 1), True, 12)
    flagged = [u for u in find_rising_units(period, "category", 0.05, 5) if u.flagged]
    assert cells[1].count("件）") == len(flagged) == 1
    businesses = rank_businesses(resolve_period(start, end, False, 1), 10)
    assert re.findall(r'<tr data-code="(\w+)">', html) == [b.credit_code for b in businesses]
    assert businesses
    for secret in HOTSPOT_PLANTED.values():
        assert secret not in html
