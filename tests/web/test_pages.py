"""Server-rendered pages through the test client: CSRF, roles, errors, limits, languages, catalogue."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from complaints.models import Case
from complaints.services.catalogue import seed_catalogues
from core.app import create_app
from core.clock import travel_to
from core.db import db
from core.web.extensions import limiter
from tests.complaints.test_lifecycle_api import Flow
from tests.conftest import PASSWORD, WEB_COMPLAINT_FORM, form_csrf_token, web_login

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "core/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


# Short local names: these are used on almost every line of the page tests below.
csrf, login, FORM = form_csrf_token, web_login, WEB_COMPLAINT_FORM


def test_form_post_without_csrf_token_is_refused_and_stores_nothing(client):
    response = client.post("/submit/complaint", data=FORM)
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_submission_errors_are_per_field_in_chinese_and_keep_input(client):
    token = csrf(client, "/submit/complaint")
    response = client.post(
        "/submit/complaint",
        data={**FORM, "complainant_mobile": "12345", "amount_involved": "1.005", "csrf_token": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="complainant_mobile-error">[^<]*不是有效的大陆手机号码', html)
    assert re.search(r'id="amount_involved-error">[^<]*最多保留两位小数', html)
    assert 'value="电热水壶漏电"' in html and 'value="G0101" selected' in html
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_successful_submission_shows_the_key_once(client):
    token = csrf(client, "/submit/complaint")
    response = client.post("/submit/complaint", data={**FORM, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = client.get("/receipt").get_data(as_text=True)
    key = re.search(r'id="receipt-key">([A-Z0-9]{16})<', receipt).group(1)
    assert "只显示一次" in receipt
    assert client.get("/receipt").status_code == 302  # gone after the first view
    case = db.session.scalar(select(Case))
    assert case.channel == "web" and case.hotline == "12315" and key not in case.access_key_hash


def test_tracking_with_a_wrong_key_says_so_without_leaking(client):
    token = csrf(client, "/track")
    response = client.post(
        "/track", data={"tracking_code": "QL-20260101-AAAAAAAA", "access_key": "X" * 16, "csrf_token": token}
    )
    assert response.status_code == 404 and "没有与该查询编号和查询码相符的案件" in response.get_data(
        as_text=True
    )
    empty = client.post("/track", data={"tracking_code": "", "access_key": "", "csrf_token": token})
    assert empty.status_code == 422


def test_staff_pages_need_login_and_the_right_role(client, org):
    assert client.get("/staff/").status_code == 302
    assert "/staff/login" in client.get("/staff/board").headers["Location"]
    wrong = login(client, "dispatcher", "wrong-password-9")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    login(client, "analyst")
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/board").status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/")})
    login(client, "handler")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/board").status_code == 403
    assert client.get("/staff/intake").status_code == 403


def test_login_redirect_stays_on_site(client, org):
    token = csrf(client, "/staff/login")
    response = client.post(
        "/staff/login?next=//evil.example/x",
        data={"username": "dispatcher", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/staff/"


def test_action_form_errors_and_refusals(client, org):
    flow = Flow(client, org)
    login(client, "dispatcher")
    page = f"/staff/cases/{flow.code}"
    token = csrf(client, page)
    missing = client.post(f"{page}/actions/reject", data={"reason_code": "3", "csrf_token": token})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and re.search(r'id="reason-error">[^<]*此项为必填项', html)
    assert '<details open id="action-reject">' in html
    assert (
        client.post(f"{page}/actions/sign", data={"csrf_token": token}).status_code == 403
    )  # not a dispatcher's
    too_early = client.post(
        f"{page}/actions/assign",
        data={"department_code": "GL-SCJG", "csrf_token": token},
        follow_redirects=True,
    )
    assert "当前无法办理" in too_early.get_data(as_text=True)  # role may assign, state may not
    done = client.post(f"{page}/actions/accept", data={"csrf_token": token}, follow_redirects=True)
    assert "已完成：受理" in done.get_data(as_text=True)


def test_handler_of_another_department_gets_404(client, org):
    flow = Flow(client, org).to_in_progress()
    login(client, "other_handler")
    assert client.get(f"/staff/cases/{flow.code}").status_code == 404
    token = csrf(client, "/staff/")
    assert (
        client.post(
            f"/staff/cases/{flow.code}/actions/reply",
            data={"outcome": "resolved", "reply": "x", "csrf_token": token},
        ).status_code
        == 404
    )


def test_confidential_reporter_hidden_on_the_case_page(client, org):
    flow = Flow(
        client,
        org,
        kind="report",
        is_confidential=True,
        respondent={"name": "某工厂"},
        complainant={"name": "举报人甲", "mobile": "13700001111"},
    )
    login(client, "dispatcher")
    html = client.get(f"/staff/cases/{flow.code}").get_data(as_text=True)
    assert "举报人甲" not in html and "13700001111" not in html and "保密举报人" in html


def test_operator_intake_warns_about_duplicates(client, org):
    Flow(client, org)  # same mobile 13800138000 within 30 days
    login(client, "operator")
    token = csrf(client, "/staff/intake")
    data = {**FORM, "kind": "complaint", "channel": "phone", "priority": "normal", "csrf_token": token}
    first = client.post("/staff/intake", data=data)
    assert first.status_code == 200 and 'id="duplicate-hints"' in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    confirmed = client.post("/staff/intake", data={**data, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_board_shows_overdue_cases(client, org):
    with travel_to(datetime(2026, 9, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        old = Flow(client, org)
    login(client, "supervisor")
    html = client.get("/staff/board").get_data(as_text=True)
    assert old.code in html and "受理决定超期 (1)" in html


def test_workbench_filters_and_paging(client, org):
    codes = [Flow(client, org).code for _ in range(27)]
    login(client, "dispatcher")
    first = client.get("/staff/").get_data(as_text=True)
    assert first.count("/staff/cases/QL-") == 25
    next_link = re.search(r'href="(/staff/\?cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(next_link).get_data(as_text=True)
    shown = set(re.findall(r"/staff/cases/(QL-[0-9A-Z-]+)", first + second))
    assert shown == set(codes)
    bad = client.get("/staff/?status=lost")
    assert bad.status_code == 422


def test_language_switch_sets_a_cookie(client):
    response = client.get("/lang/en", headers={"Referer": "http://localhost/submit/help"})
    assert response.status_code == 302 and response.headers["Location"] == "http://localhost/submit/help"
    assert "ql_lang=en" in response.headers["Set-Cookie"]
    assert "New Help request" in client.get("/submit/help").get_data(as_text=True)
    assert client.get("/lang/xx").status_code == 302


def test_unknown_page_is_html_in_chinese_and_api_stays_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "未找到" in page.get_data(as_text=True)
    assert client.get("/api/v1/nothing").json["code"] == 404
    assert client.get("/submit/rumour").status_code == 404


def test_analysts_land_on_the_dashboard_with_the_surveys_in_the_menu(client, org):
    response = login(client, "analyst")
    assert response.headers["Location"] == "/analytics/"
    html = client.get("/staff/surveys/").get_data(as_text=True)
    assert 'href="/analytics/"' in html
    assert 'href="/staff/"' not in html  # no queue link for a role that may not open it


def test_intake_form_is_rate_limited(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
            "RATELIMIT_ENABLED": True,
            "INTAKE_RATE_LIMIT": "2 per minute",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all(bind_key=None)  # a throwaway database for this app only (no replica bind)
        seed_catalogues()
    client = app.test_client()
    statuses = [client.post("/submit/complaint", data={}).status_code for _ in range(3)]
    try:
        assert statuses == [422, 422, 429]
        assert "请求过于频繁" in client.post("/submit/complaint", data={}).get_data(as_text=True)
    finally:
        limiter.enabled = False  # the limiter object is shared by every app in this process


def test_every_message_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    translated = {m.id: m.string for m in read_po(PO_FILE.open("rb")) if m.id}
    assert wanted - set(translated) == set()
    assert [m for m in wanted if not translated[m]] == []


def test_compiled_catalogue_is_current():
    mo = PO_FILE.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= PO_FILE.stat().st_mtime, "run `make translations`"


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/templates/**/*.html"))
)
def test_templates_load_nothing_from_outside(template):
    text = (ROOT / template).read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', text)
