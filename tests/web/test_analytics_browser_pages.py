"""The drill-down and hot-spot pages in headless Chromium: a tile leads to its cases, the hot-spot chart is
drawn, nothing loads from elsewhere; screenshots at desktop and phone width."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.analytics_api.hotspot_data import TARGET, build_hotspot_data
from tests.analytics_api.test_kpis import build_histories
from tests.web.conftest import DESKTOP, PHONE, screenshot
from tests.web.test_analytics_browser import drawn_charts
from tests.web.test_browser import (
    assert_accessible_basics,
    assert_only_local_resources,
    click_and_wait,
    login,
)

PERIOD = "from=2026-09-01&to=2026-11-01"


def test_a_kpi_tile_drills_down_to_its_cases(browser, live_server, client, org):
    flows = build_histories(client, org)
    base = live_server
    browser.set_window_size(*DESKTOP)
    login(browser, base, "supervisor")
    browser.get(f"{base}/analytics/?{PERIOD}")
    click_and_wait(
        browser,
        lambda: browser.find_element(By.CSS_SELECTOR, ".tile[data-kpi=completion_on_time_rate] a.tile-value"),
    )
    assert "/analytics/kpis/completion_on_time_rate/cases" in browser.current_url
    click_and_wait(browser, lambda: browser.find_element(By.LINK_TEXT, "未计入分子"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#drill-rows tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.code").text for r in rows] == [flows["C"].code]
    assert "66.7 %" in browser.find_element(By.ID, "kpi-value").text
    assert_only_local_resources(browser, base)
    assert_accessible_basics(browser)
    screenshot(browser, "analytics-07-drilldown-desktop-zh")
    browser.set_window_size(*PHONE)
    screenshot(browser, "analytics-08-drilldown-phone-zh")


def test_the_hot_spot_page_draws_its_chart(browser, live_server, org):
    build_hotspot_data()
    base = live_server
    browser.set_window_size(*DESKTOP)
    login(browser, base, "analyst")
    browser.get(f"{base}/analytics/hotspots?month={TARGET:%Y-%m}&dimension=region")
    assert browser.find_element(By.ID, "flagged-count").text == "1"
    drawn = drawn_charts(browser)
    assert drawn["hotspot-chart"][0] == "bar" and drawn["hotspot-chart"][1] > 1000
    assert_only_local_resources(browser, base)
    assert_accessible_basics(browser)
    screenshot(browser, "analytics-09-hotspots-desktop-zh")
    browser.set_window_size(*PHONE)
    browser.get(f"{base}/analytics/hotspots?month={TARGET:%Y-%m}&dimension=category")
    screenshot(browser, "analytics-10-hotspots-phone-zh")
