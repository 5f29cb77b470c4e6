"""A citizen takes the surveys on a phone-sized Chromium window (tests/web fixtures; screenshots kept)."""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from complaints.models import Case, Notification
from complaints.services import followup
from core.clock import travel_to, utcnow
from core.db import db
from surveys.models import SurveyResponse
from tests.complaints.test_lifecycle_api import Flow
from tests.web.conftest import PHONE, screenshot
from tests.web.test_browser import assert_accessible_basics, assert_light_page, click, submit_form


def choose(driver, name: str, value: str) -> None:
    """Tap the option (the label, as a thumb would) of a radio or checkbox question."""
    selector = f'input[name="{name}"][value="{value}"]'
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'});", driver.find_element(By.CSS_SELECTOR, selector)
    )
    click(lambda: driver.find_element(By.CSS_SELECTOR, selector).find_element(By.XPATH, "./.."))


def visible(driver, question: str) -> bool:
    return driver.find_element(By.ID, f"q-{question}").is_displayed()


def test_every_template_fits_a_phone(browser, live_server, templates):
    browser.set_window_size(*PHONE)
    for slug in templates:
        browser.get(live_server + f"/s/{slug}")
        assert_accessible_basics(browser)
        # Nothing wider than the phone: no sideways scrolling.
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0], slug
    screenshot(browser, "survey-phone-0-government-work")


def test_citizen_takes_the_satisfaction_survey_on_a_phone(browser, live_server, templates):
    browser.set_window_size(*PHONE)
    browser.get(live_server + "/s/service-satisfaction")
    assert "生活性服务业顾客满意度调查" in browser.find_element(By.TAG_NAME, "h1").text
    assert_light_page(browser)

    submit_form(browser, "form.survey-form")  # nothing answered: errors next to the questions
    assert browser.find_element(By.ID, "district-error").text.endswith("本题为必答题。")
    screenshot(browser, "survey-phone-1-screening-errors")
    browser.set_window_size(*PHONE)
    Select(browser.find_element(By.NAME, "district")).select_by_value("350104")
    choose(browser, "age_group", "30-39")
    choose(browser, "sex", "female")
    submit_form(browser, "form.survey-form")

    assert (
        browser.find_element(By.CSS_SELECTOR, 'input[name="district"][type="hidden"]').get_attribute("value")
        == "350104"
    )
    choose(browser, "service_type", "catering")
    for code in ("img1", "img2", "exp1", "exp2", "pq1", "pq2", "pv1", "pv2", "sat1", "sat2", "sat3", "loy1"):
        choose(browser, code, "8")
    choose(browser, "pq3", "dont_know")
    assert not visible(browser, "cmp1")  # skip logic without scripts: CSS :has()
    choose(browser, "complained", "yes")
    assert visible(browser, "cmp1")
    choose(browser, "improve", "price")
    choose(browser, "improve", "attitude")
    choose(browser, "improve", "hygiene")  # one too many
    browser.find_element(By.NAME, "comment").send_keys("总体不错")
    screenshot(browser, "survey-phone-2-questions")
    browser.set_window_size(*PHONE)
    submit_form(browser, "form.survey-form")

    # cmp1 and nps were left out, and three improvements chosen: each question says what is wrong.
    assert browser.find_element(By.ID, "cmp1-error").text.endswith("本题为必答题。")
    assert browser.find_element(By.ID, "nps-error").text.endswith("本题为必答题。")
    assert browser.find_element(By.ID, "improve-error").text.endswith("最多只能选择 2 项。")
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="sat1"][value="8"]').is_selected()  # kept
    screenshot(browser, "survey-phone-3-question-errors")
    browser.set_window_size(*PHONE)
    choose(browser, "cmp1", "6")
    choose(browser, "nps", "9")
    choose(browser, "improve", "hygiene")
    submit_form(browser, "form.survey-form")

    assert browser.find_element(By.ID, "survey-thanks").is_displayed()
    screenshot(browser, "survey-phone-4-thanks")
    response = db.session.scalar(select(SurveyResponse))
    answers = response.answer_map()
    assert (response.district, response.age_group, response.sex) == ("350104", "30-39", "female")
    assert (
        answers["cmp1"] == 6 and answers["pq3"] == "dont_know" and answers["improve"] == ["price", "attitude"]
    )


def test_citizen_answers_the_call_back_from_the_message_on_a_phone(
    browser, live_server, templates, client, org
):
    replied = utcnow() - timedelta(hours=30)
    with travel_to(replied):
        flow = Flow(client, org).to_replied()
    assert followup.send_callback_invitations() == 1
    notice = db.session.scalar(select(Notification).where(Notification.template == "callback_invitation"))
    path = notice.params["link"].split("8000", 1)[1]

    browser.set_window_size(*PHONE)
    browser.get(live_server + path + "?satisfaction=2")  # the "不满意" link in the message
    assert browser.find_element(By.ID, "one-click-recorded").is_displayed()
    assert flow.code in browser.find_element(By.CLASS_NAME, "case-ref").text
    assert browser.find_element(By.CSS_SELECTOR, 'input[name="satisfaction"][value="2"]').is_selected()
    assert_accessible_basics(browser)
    choose(browser, "resolved", "no")
    browser.find_element(By.NAME, "comment").send_keys("商家仍未退款")
    screenshot(browser, "survey-phone-5-callback")
    browser.set_window_size(*PHONE)
    submit_form(browser, "form.survey-form")
    assert "重新办理" in browser.find_element(By.ID, "survey-thanks").text
    screenshot(browser, "survey-phone-6-callback-thanks")
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.tracking_code == flow.code))
    assert case.status == "in_progress" and case.rating == 2 and case.reopen_count == 1
