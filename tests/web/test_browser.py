"""End-to-end journeys in headless Chromium against the app served on 127.0.0.1."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from complaints.models import Rectification
from core.db import db
from tests.conftest import PASSWORD
from tests.web.conftest import DESKTOP, PHONE, screenshot


def fill(driver, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = driver.find_element(By.NAME, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def click(find) -> None:
    """Click the element `find()` returns, finding it again if Chromium lost it in between.

    Chromium sometimes answers "Node with given id does not belong to the document" for an element found
    a moment earlier; the click then never happened, so finding the element again and retrying is safe.
    """
    for attempt in range(3):
        try:
            find().click()
            return
        except (StaleElementReferenceException, WebDriverException) as exc:
            lost = isinstance(exc, StaleElementReferenceException) or "does not belong" in str(exc)
            if not lost or attempt == 2:
                raise
            time.sleep(0.3)


def click_and_wait(driver, find) -> None:
    """Click something that loads a new page and wait until the new page has loaded.

    The old page is recognised by a marker set on its window, not by an element reference: Chromium
    sometimes reports a replaced element as "not in the document" instead of stale.
    """
    marker = f"qlPage{time.monotonic_ns()}"
    driver.execute_script(f"window.{marker} = true;")
    click(find)
    new_page_loaded = f"return window.{marker} === undefined && document.readyState === 'complete'"
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(new_page_loaded)
    )


def submit_form(driver, form_css: str = "main form") -> None:
    click_and_wait(driver, lambda: driver.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]"))


def login(driver, base: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/staff/login")
    fill(driver, {"username": username, "password": PASSWORD})
    submit_form(driver)


def run_action(driver, action: str, values: dict[str, str] | None = None) -> None:
    details = driver.find_element(By.ID, f"action-{action}")
    if details.get_attribute("open") is None:
        click(lambda: driver.find_element(By.CSS_SELECTOR, f"#action-{action} summary"))
        details = driver.find_element(By.ID, f"action-{action}")
    if values:
        for name, value in values.items():
            element = details.find_element(By.NAME, name)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)
    click_and_wait(
        driver, lambda: driver.find_element(By.CSS_SELECTOR, f"#action-{action} button[type=submit]")
    )


def assert_accessible_basics(driver) -> None:
    """Every visible form control has a label, the page has one h1 and a language."""
    unlabelled = driver.execute_script("""
        return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
          .map(el => el.name);""")
    assert unlabelled == []
    assert len(driver.find_elements(By.TAG_NAME, "h1")) == 1
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") in ("zh-CN", "en")


def assert_light_page(driver, limit_bytes: int = 100_000) -> None:
    """HTML plus everything it loads stays small (decoded bytes, so caching cannot hide weight)."""
    total = driver.execute_script("""
        const nav = performance.getEntriesByType('navigation')[0];
        return nav.decodedBodySize + performance.getEntriesByType('resource')
          .reduce((sum, e) => sum + e.decodedBodySize, 0);""")
    assert 0 < total < limit_bytes, total


def assert_only_local_resources(driver, base: str) -> None:
    host = urlsplit(base).netloc
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(urlsplit(url).netloc == host for url in resources), resources
    for element in driver.find_elements(By.CSS_SELECTOR, "link[href], script[src], img[src]"):
        url = element.get_attribute("href") or element.get_attribute("src")
        assert urlsplit(url).netloc == host, url


COMPLAINT = {
    "category_code": "G0101",
    "region_code": "350102",
    "title": "电热水壶使用两周漏电",
    "description": "在该商行购买的电热水壶使用两周后底座漏电，要求退货被拒绝。",
    "amount_involved": "299.00",
    "respondent_name": "某某电器商行",
    "respondent_credit_code": "91350100M000100Y43",
    "complainant_name": "张三",
    "complainant_mobile": "12345",
}


def test_complaint_journey_from_citizen_to_rectification(browser, live_server):
    base = browser_base = live_server
    # 1. A citizen on a phone submits with a bad mobile number, sees the error next to it, fixes it.
    browser.set_window_size(*PHONE)
    browser.get(base + "/")
    screenshot(browser, "01-home-phone-zh")
    assert_only_local_resources(browser, base)
    assert_accessible_basics(browser)
    assert_light_page(browser)
    click_and_wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, "a.card[href='/submit/complaint']"))
    fill(browser, COMPLAINT)
    submit_form(browser)
    error = browser.find_element(By.ID, "complainant_mobile-error")
    assert "手机号码" in error.text
    assert browser.find_element(By.ID, "complainant_mobile").get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "title").get_attribute("value") == COMPLAINT["title"]  # kept
    assert (
        Select(browser.find_element(By.ID, "category_code")).first_selected_option.get_attribute("value")
        == "G0101"
    )
    screenshot(browser, "02-submit-error-phone-zh")
    assert_accessible_basics(browser)
    assert_light_page(browser)
    fill(browser, {"complainant_mobile": "13800138000"})
    submit_form(browser)
    code = browser.find_element(By.ID, "receipt-code").text
    key = browser.find_element(By.ID, "receipt-key").text
    assert code.startswith("QL-") and len(key) == 16
    assert "查询码只显示一次" in browser.page_source
    screenshot(browser, "03-receipt-phone-zh")
    submit_form(browser)
    assert browser.find_element(By.ID, "case-status").text == "已收到"
    screenshot(browser, "04-track-registered-phone-zh")

    # 2. The dispatcher accepts and assigns (the routing suggestion is preselected).
    browser.set_window_size(*DESKTOP)
    login(browser, base, "dispatcher")
    assert "待办" in browser.title or "全部案件" in browser.page_source
    screenshot(browser, "05-workbench-dispatcher-desktop-zh")
    browser.get(f"{base}/staff/cases/{code}")
    run_action(browser, "accept")
    assert "已完成" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    department = browser.find_element(By.CSS_SELECTOR, "#action-assign select[name=department_code]")
    assert Select(department).first_selected_option.get_attribute("value") == "GL-SCJG"
    run_action(browser, "assign")
    assert browser.find_element(By.ID, "case-status").text == "已派单"
    screenshot(browser, "06-case-assigned-desktop-zh")
    assert_accessible_basics(browser)
    assert_light_page(browser)

    # 3. The handler signs and replies; a reply without text is refused next to the field.
    login(browser, base, "handler")
    browser.get(f"{base}/staff/cases/{code}")
    run_action(browser, "sign")
    run_action(browser, "reply", {"outcome": "resolved"})
    assert browser.find_element(By.ID, "reply-error").is_displayed()
    run_action(browser, "reply", {"reply": "经调解，商家同意退货退款。", "loss_recovered": "299.00"})
    assert browser.find_element(By.ID, "case-status").text == "已答复"
    screenshot(browser, "07-case-replied-handler-desktop-zh")

    # 4. The citizen rates it dissatisfied: the case reopens and a rectification task is open.
    browser.delete_all_cookies()
    browser.set_window_size(*PHONE)
    browser.get(base + "/track")
    fill(browser, {"tracking_code": code, "access_key": key})
    submit_form(browser)
    assert "经调解" in browser.find_element(By.ID, "case-reply").text
    screenshot(browser, "08-track-replied-phone-zh")
    click(lambda: browser.find_element(By.CSS_SELECTOR, "input[name=rating][value='2']"))
    fill(browser, {"comment": "商家至今没有退款"})
    click_and_wait(
        browser, lambda: browser.find_element(By.CSS_SELECTOR, "form[action='/track/rate'] button")
    )
    assert browser.find_element(By.ID, "case-status").text == "办理中"
    assert "重新办理" in browser.page_source
    screenshot(browser, "09-track-reopened-phone-zh")
    db.session.expire_all()
    task = db.session.scalar(select(Rectification))
    assert task is not None and task.status == "open" and task.rating == 2

    # 5. The supervisor board lists the rectification; another department's handler cannot open the case.
    browser.set_window_size(*DESKTOP)
    login(browser, base, "supervisor")
    browser.get(base + "/staff/board")
    assert code in browser.page_source
    screenshot(browser, "10-board-supervisor-desktop-zh")
    login(browser, base, "other_handler")
    browser.get(f"{base}/staff/cases/{code}")
    assert "未找到" in browser.find_element(By.TAG_NAME, "h1").text
    assert "某某电器商行" not in browser.page_source and "13800138000" not in browser_base
    screenshot(browser, "11-other-department-404-desktop-zh")


def test_english_switch_shows_errors_in_english(browser, live_server):
    browser.set_window_size(*PHONE)
    browser.get(live_server + "/submit/report")
    click_and_wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, "a.lang[href='/lang/en']"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "New Report"
    fill(browser, {"title": "x", "complainant_mobile": "555"})
    submit_form(browser)
    assert browser.find_element(By.ID, "category_code-error").text.endswith(
        "Missing data for required field."
    )
    assert "Length must be between 2 and 100" in browser.find_element(By.ID, "title-error").text
    assert "mainland mobile" in browser.find_element(By.ID, "complainant_mobile-error").text
    assert browser.find_element(By.ID, "is_confidential").is_selected()  # reports default to confidential
    screenshot(browser, "12-submit-report-errors-phone-en")
    click_and_wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, "a.lang[href='/lang/zh_CN']"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "提交举报"


def test_staff_pages_on_a_phone(browser, live_server):
    browser.set_window_size(*PHONE)
    login(browser, live_server, "operator")
    browser.get(live_server + "/staff/intake")
    fill(
        browser,
        {
            "category_code": "P01",
            "region_code": "350103",
            "title": "小区停水两天",
            "description": "整栋楼停水两天，无人告知恢复时间。",
            "complainant_name": "李四",
            "complainant_mobile": "13912345678",
        },
    )
    Select(browser.find_element(By.NAME, "kind")).select_by_value("help")
    submit_form(browser)
    assert browser.find_element(By.ID, "case-status").text == "已收到"
    assert "查询码" in browser.find_element(By.CSS_SELECTOR, ".flash").text
    screenshot(browser, "13-case-registered-operator-phone-zh")
    browser.get(live_server + "/staff/")
    screenshot(browser, "14-workbench-operator-phone-zh")
    assert_only_local_resources(browser, live_server)
    assert_accessible_basics(browser)
    assert_light_page(browser)
