"""The analyst dashboard and the annual report in headless Chromium: charts drawn, filters in the address,
the ledger, and screenshots at desktop and phone width (test-artifacts/screenshots)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from analytics.kpis import KPIS
from analytics.report.build import render_report, report_context
from analytics.web import charts, panels
from tests.analytics_api.test_kpis import build_histories
from tests.web.conftest import DESKTOP, PHONE, screenshot
from tests.web.panel_data import build_panel_data
from tests.web.test_browser import (
    assert_accessible_basics,
    assert_only_local_resources,
    click_and_wait,
    login,
)

PERIOD = "from=2026-09-01&to=2026-11-01"
# For each canvas: the chart type Chart.js registered for it and how many of its pixels are painted.
CHARTS_JS = """
return [...document.querySelectorAll('figure[data-chart] canvas')].map(canvas => {
  const chart = window.Chart && Chart.getChart(canvas);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return [canvas.id, chart ? chart.config.type : null, painted, canvas.parentNode.hidden];
});"""


def demo_panels() -> list[panels.Panel]:
    """An index-with-intervals panel and an IPA panel, as the survey helpers will add them."""

    def index(filters):
        spec = charts.interval_chart(
            ["鼓楼区", "台江区", "仓山区"],
            [82.5, 77.0, 79.4],
            [80.1, 73.2, 76.0],
            [84.9, 80.8, 82.8],
            "满意度指数",
            "95% 置信区间",
            target=80,
        )
        return panels.PanelContent(
            ["区域", "指数"], [["鼓楼区", "82.5"], ["台江区", "77.0"], ["仓山区", "79.4"]], spec
        )

    def ipa(filters):
        points = [
            ("办事效率", 4.5, 3.6),
            ("服务态度", 4.1, 4.2),
            ("环境设施", 3.2, 4.0),
            ("信息公开", 3.5, 3.1),
        ]
        spec = charts.quadrant_scatter(points, 3.8, 3.7, "重要性", "表现")
        return panels.PanelContent(["要素", "重要性", "表现"], [list(p) for p in points], spec)

    return [panels.Panel("survey-index", "满意度指数", index), panels.Panel("ipa", "重要性—表现分析", ipa)]


def drawn_charts(driver) -> dict[str, tuple[str, int, bool]]:
    """{canvas id: (chart type, painted pixels, box hidden)} once charts.js has drawn every chart."""
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: all(row[1] for row in d.execute_script(CHARTS_JS))
    )
    return {row[0]: tuple(row[1:]) for row in driver.execute_script(CHARTS_JS)}


def no_sideways_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_analyst_sees_the_dashboard_changes_a_filter_and_opens_the_ledger(
    browser, live_server, client, org, monkeypatch
):
    build_histories(client, org)
    monkeypatch.setattr(panels, "OVERVIEW_PANELS", demo_panels())
    base = live_server
    login(browser, base, "analyst")
    assert urlsplit(browser.current_url).path == "/analytics/"  # the analyst's landing page

    browser.get(f"{base}/analytics/?{PERIOD}")
    drawn = drawn_charts(browser)
    assert {key: value[0] for key, value in drawn.items()} == {
        "trend-rules": "line",
        "trend-outcomes": "line",
        "breakdown-chart": "bar",
        "chart-survey-index": "bar",  # floating [low, high] bars with the estimates as points
        "chart-ipa": "scatter",
    }
    for canvas, (_type, painted, hidden) in drawn.items():
        assert painted > 1000 and not hidden, canvas
    tiles = browser.find_elements(By.CSS_SELECTOR, ".tile")
    assert len(tiles) == len(KPIS)
    acceptance = browser.find_element(By.CSS_SELECTOR, ".tile[data-kpi=acceptance_rate]")
    assert "80.0%" in acceptance.text and "未达标" in acceptance.text and "应作决定数" in acceptance.text
    assert_only_local_resources(browser, base)
    assert_accessible_basics(browser)
    screenshot(browser, "analytics-01-overview-desktop-zh")

    browser.set_window_size(*DESKTOP)
    Select(browser.find_element(By.ID, "group_by")).select_by_value("kind")
    Select(browser.find_element(By.ID, "department")).select_by_value("GL-SCJG")
    click_and_wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["group_by"] == ["kind"] and query["department"] == ["GL-SCJG"]
    assert query["from"] == ["2026-09-01"] and query["to"] == ["2026-11-01"]
    assert browser.find_element(By.ID, "breakdown-title").text == "按类型"
    assert drawn_charts(browser)["breakdown-chart"][0] == "bar"
    drill = browser.find_element(By.CSS_SELECTOR, ".tile[data-kpi=completion_rate] a.tile-value")
    assert "/analytics/kpis/completion_rate/cases?" in drill.get_attribute("href")
    assert "group_by=department&key=GL-SCJG" in drill.get_attribute("href")

    browser.set_window_size(*PHONE)
    browser.get(f"{base}/analytics/?{PERIOD}")
    assert all(not hidden for _type, _painted, hidden in drawn_charts(browser).values())
    assert no_sideways_scroll(browser)
    screenshot(browser, "analytics-02-overview-phone-zh")

    browser.set_window_size(*DESKTOP)
    browser.get(f"{base}/analytics/?{PERIOD}")
    click_and_wait(
        browser, lambda: browser.find_element(By.CSS_SELECTOR, "nav.tabs a[href^='/analytics/ledger']")
    )
    assert urlsplit(browser.current_url).path == "/analytics/ledger"
    assert parse_qs(urlsplit(browser.current_url).query)["from"] == ["2026-09-01"]  # the period came along
    assert browser.find_element(By.ID, "ledger-total").text == "3"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#ledger-rows tbody tr")) == 3
    assert_accessible_basics(browser)
    screenshot(browser, "analytics-03-ledger-desktop-zh")
    browser.set_window_size(*PHONE)
    browser.refresh()
    assert no_sideways_scroll(browser)
    screenshot(browser, "analytics-04-ledger-phone-zh")


def test_the_quality_panels_draw_and_fit_a_phone(browser, live_server, client, org):
    build_panel_data(client, org)
    base = live_server
    login(browser, base, "analyst")
    browser.get(f"{base}/analytics/?{PERIOD}")
    drawn = drawn_charts(browser)
    assert {key: drawn[key][0] for key in ("chart-three-rate", "chart-indicators", "chart-survey-index")} == {
        "chart-three-rate": "bar",
        "chart-indicators": "bar",  # floating interval bars, estimates and target marks
        "chart-survey-index": "bar",
    }
    assert drawn["chart-ipa"][0] == "scatter"
    for canvas, (_type, painted, hidden) in drawn.items():
        assert painted > 1000 and not hidden, canvas
    assert len(browser.find_elements(By.CSS_SELECTOR, "#indicator-table tbody tr")) == 7
    assert no_sideways_scroll(browser)
    assert_accessible_basics(browser)
    screenshot(browser, "analytics-07-panels-desktop-zh")

    # The survey picker is a GET form: the address carries the survey and keeps the period.
    browser.set_window_size(*DESKTOP)
    Select(browser.find_element(By.ID, "survey")).select_by_value("government-work")
    click_and_wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, "form.survey-picker button"))
    query = parse_qs(urlsplit(browser.current_url).query)
    assert query["survey"] == ["government-work"] and query["from"] == ["2026-09-01"]
    assert drawn_charts(browser)["chart-ipa"][0] == "scatter"
    assert "政府工作" in browser.find_element(By.ID, "survey-index-summary").text

    browser.set_window_size(*PHONE)
    browser.get(f"{base}/analytics/?{PERIOD}")
    assert all(not hidden for _type, _painted, hidden in drawn_charts(browser).values())
    assert no_sideways_scroll(browser)
    screenshot(browser, "analytics-08-panels-phone-zh")

    browser.set_window_size(*PHONE)
    browser.get(f"{base}/analytics/?{PERIOD}&survey=hotline-callback")
    assert browser.find_element(By.ID, "ipa-problem").is_displayed()
    assert no_sideways_scroll(browser)
    screenshot(browser, "analytics-09-panels-callback-phone-zh")


def test_the_annual_report_renders_with_its_charts(browser, live_server, client, org, tmp_path):
    build_histories(client, org)
    html_path = tmp_path / "report.html"
    html_path.write_text(render_report(report_context(2026)), encoding="utf-8")
    browser.get(html_path.as_uri())
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) == 4 and all(height > 100 for height in sizes)  # with the three-rate chart
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("2026年度")
    assert no_sideways_scroll(browser)
    screenshot(browser, "analytics-05-report-html-desktop")
    browser.set_window_size(*PHONE)
    browser.get(html_path.as_uri())
    screenshot(browser, "analytics-06-report-html-phone")
