"""Survey pages through the test client: per-question errors in the visitor's language, screening and
quotas, repeats, and the staff builder, fieldwork and monitor pages behind roles and CSRF."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from core.db import db
from surveys.models import Survey, SurveyInvitation, SurveyResponse
from surveys.services import importing
from tests.surveys.conftest import choice, definition, likert, publish
from tests.web.test_pages import csrf, login

SERVICE = "/s/service-satisfaction"
SCREEN = {"district": "350102", "age_group": "30-39", "sex": "female", "step": "screen"}


def error_of(html: str, code: str) -> str:
    match = re.search(rf'id="{code}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def test_public_page_in_chinese(client, templates):
    html = client.get("/s/government-work").get_data(as_text=True)
    assert (
        "政府工作满意度调查" in html and 'lang="zh-CN"' in html and "提交答卷" not in html
    )  # screening first
    assert "您目前居住在哪个区（县、市）？" in html and "您的年龄段" in html and "继续" in html
    assert client.get("/s/no-such-survey").status_code == 404


def test_public_page_in_english(client, templates):
    client.get("/lang/en")  # first: the test's shared app context caches the language of its first page
    english = client.get("/s/hotline-callback").get_data(as_text=True)
    assert "How was your request handled?" in english and "Very dissatisfied" in english
    assert "Send my answers" in english


def test_errors_are_shown_next_to_each_question_and_answers_are_kept(client, templates):
    token = csrf(client, "/s/hotline-callback")
    response = client.post(
        "/s/hotline-callback", data={"resolved": "no", "comment": "太慢", "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请修改下面标出的回答" in html
    assert error_of(html, "satisfaction") == "本题为必答题。"
    assert error_of(html, "resolved") == ""
    assert 'value="no" checked' in html and ">太慢</textarea>" in html
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert client.post("/s/hotline-callback", data={"satisfaction": "5"}).status_code == 400  # no CSRF token


def test_screening_then_the_questionnaire_then_thanks(client, templates):
    token = csrf(client, SERVICE)
    assert "ql_device=" in client.get(SERVICE).headers.get("Set-Cookie", "") or client.get_cookie("ql_device")
    incomplete = client.post(SERVICE, data={"step": "screen", "district": "350102", "csrf_token": token})
    assert (
        incomplete.status_code == 422
        and error_of(incomplete.get_data(as_text=True), "sex") == "本题为必答题。"
    )
    skipped = client.post(
        SERVICE, data={"step": "main", "sat1": "9", "csrf_token": token}
    )  # screening bypassed
    assert skipped.status_code == 422 and 'name="step" value="screen"' in skipped.get_data(as_text=True)
    screened = client.post(SERVICE, data={**SCREEN, "csrf_token": token}).get_data(as_text=True)
    assert 'type="hidden" name="district" value="350102"' in screened and "提交答卷" in screened
    assert "仅当第 17 题回答“是”时作答" in screened  # skip logic reminder; CSS hides it until then
    assert '.survey-form:not(:has(input[name="complained"][value="yes"]:checked)) #q-cmp1' in screened
    answers = {
        f"{c}": "8"
        for c in ("img1", "img2", "exp1", "exp2", "pq1", "pq2", "pv1", "pv2", "sat1", "sat2", "sat3")
    }
    answers.update(pq3="dont_know", service_type="repair", complained="no", cmp1="3", loy1="9", nps="10")
    form = {**SCREEN, **answers, "step": "main", "improve": ["price", "skill"], "csrf_token": token}
    done = client.post(SERVICE, data=form)
    assert done.status_code == 302, error_of(done.get_data(as_text=True), "cmp1")
    assert "感谢您的回答" in client.get(done.headers["Location"]).get_data(as_text=True)
    stored = db.session.scalar(select(SurveyResponse))
    assert (stored.district, stored.sex, stored.quota_cell, stored.is_duplicate) == (
        "350102", "female", "district=350102", False
    )  # fmt: skip
    assert "cmp1" not in stored.answer_map()  # answered although hidden: dropped, not an error, on the page
    assert stored.answer_map()["improve"] == ["price", "skill"] and stored.answer_map()["pq3"] == "dont_know"
    again = client.post(SERVICE, data=form)
    assert again.status_code == 302
    assert db.session.scalars(select(SurveyResponse.is_duplicate).order_by(SurveyResponse.id)).all() == [
        False,
        True,
    ]


def test_a_full_quota_cell_screens_out_before_the_questionnaire(client, ctx):
    quotas = {"dimensions": ["sex"], "cells": [{"sex": "female", "target": 0}]}
    body = definition(choice("sex", ["female", "male"], attribute="sex"), likert("q1"), quotas=quotas)
    publish("quota-page", body)
    token = csrf(client, "/s/quota-page")
    out = client.post("/s/quota-page", data={"step": "screen", "sex": "female", "csrf_token": token})
    assert out.status_code == 409 and "样本已经收满" in out.get_data(as_text=True)
    assert (
        client.post("/s/quota-page", data={"step": "screen", "sex": "male", "csrf_token": token}).status_code
        == 200
    )


def test_closed_and_used_invitations_say_so(client, org, templates):
    link = client.post(
        "/api/v1/surveys/hotline-callback/invitations/link", json={}, headers=org.auth("admin")
    ).json
    path = link["link"].split("8000", 1)[1]
    token = csrf(client, path)
    assert (
        client.post(path, data={"satisfaction": "4", "resolved": "yes", "csrf_token": token}).status_code
        == 302
    )
    used = client.get(path)
    assert used.status_code == 409 and "这份邀请已经作答过了" in used.get_data(as_text=True)
    assert client.get("/s/t/unknown-token").status_code == 404
    client.post("/api/v1/surveys/government-work/close", headers=org.auth("admin"))
    assert "本问卷已关闭" in client.get("/s/government-work").get_data(as_text=True)


def test_staff_survey_pages_need_the_right_role(client, org, templates):
    assert "/staff/login" in client.get("/staff/surveys/").headers["Location"]
    login(client, "handler")
    assert client.get("/staff/surveys/").status_code == 403
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/")})
    login(client, "analyst")
    listing = client.get("/staff/surveys/").get_data(as_text=True)
    assert "政府工作满意度调查" in listing and "新建问卷" not in listing
    assert client.get("/staff/surveys/government-work/monitor").status_code == 200
    assert client.get("/staff/surveys/government-work/preview").status_code == 200
    for page in ("edit", "invitations", "import"):
        assert client.get(f"/staff/surveys/government-work/{page}").status_code == 403
    token = csrf(client, "/staff/surveys/")
    assert client.post("/staff/surveys/government-work/close", data={"csrf_token": token}).status_code == 403
    export = client.get("/staff/surveys/government-work/export.csv")
    assert export.status_code == 200 and "deidentified" in export.headers["Content-Disposition"]


def test_builder_edits_a_new_version_and_publishes_it(client, org, templates):
    login(client, "admin")
    page = "/staff/surveys/hotline-callback/edit"
    html = client.get(page).get_data(as_text=True)
    assert 'id="published-notice"' in html  # version 1 is published: read-only
    token = csrf(client, page)
    assert client.post("/staff/surveys/hotline-callback/draft", data={"csrf_token": token}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "第 2 版" in html and 'id="published-notice"' not in html
    question = {"code": "resolved", "type": "likert5", "text_zh": "重复的代码", "csrf_token": token}
    clash = client.post("/staff/surveys/hotline-callback/edit/questions/3", data=question)
    assert clash.status_code == 422 and "已有题目使用这个代码" in clash.get_data(as_text=True)
    new = {
        "code": "speed",
        "type": "likert5",
        "text_zh": "办理速度如何？",
        "text_en": "How fast was it?",
        "required": "on",
        "construct": "perceived_quality",
        "indicator": "HL-PQ",
        "point_labels": "很慢 | Very slow\n慢 | Slow\n一般 | Average\n快 | Fast\n很快 | Very fast",
        "show_if_question": "resolved",
        "show_if_values": "yes",
        "csrf_token": token,
    }
    assert client.post("/staff/surveys/hotline-callback/edit/questions/3", data=new).status_code == 302
    moved = client.post(
        "/staff/surveys/hotline-callback/edit/questions/3/move", data={"direction": "up", "csrf_token": token}
    )
    assert moved.status_code == 302
    assert client.get("/api/v1/surveys/hotline-callback").json["version"] == 1  # not published yet
    published = client.post(
        "/staff/surveys/hotline-callback/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert "已发布" in published.get_data(as_text=True)
    public = client.get("/api/v1/surveys/hotline-callback").json
    assert public["version"] == 2 and [q["code"] for q in public["questions"]] == [
        "satisfaction", "resolved", "speed", "comment"
    ]  # fmt: skip
    assert public["questions"][2]["show_if"] == {"question": "resolved", "in": [True]}
    survey = db.session.scalar(select(Survey).where(Survey.slug == "hotline-callback"))
    assert len(survey.version(1).definition["questions"]) == 3  # version 1 untouched
    # The JSON editor refuses bad JSON with a message and keeps the text.
    client.post("/staff/surveys/hotline-callback/draft", data={"csrf_token": token})
    bad = client.post(
        "/staff/surveys/hotline-callback/edit/json", data={"definition": "{oops", "csrf_token": token}
    )
    assert bad.status_code == 422 and "JSON 格式错误" in bad.get_data(as_text=True)


def test_invitation_and_import_pages(client, org, templates):
    login(client, "admin")
    page = "/staff/surveys/government-work/invitations"
    token = csrf(client, page)
    bad = client.post(
        page,
        data={"file": (io.BytesIO(b"contact\n12345\n"), "c.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "第 2 行: 联系方式：不是大陆手机号或电子邮箱" in bad.get_data(
        as_text=True
    )
    good = client.post(
        page,
        data={"file": (io.BytesIO(b"contact\n13800138000\n"), "c.csv"), "csrf_token": token},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已创建 1 份邀请" in good.get_data(as_text=True) and "138****8000" in good.get_data(as_text=True)
    link = client.post(f"{page}/link", data={"csrf_token": token}).get_data(as_text=True)
    assert re.search(r"/s/t/[\w\-]{32}", link)
    assert db.session.scalar(select(func.count()).select_from(SurveyInvitation)) == 2

    csv_file = "区县,Q\n鼓楼区,5\n火星区,9\n".encode()
    upload = client.post(
        "/staff/surveys/government-work/import",
        data={"file": (io.BytesIO(csv_file), "f.csv"), "mapping": "区县 = respondent.district\nQ = overall",
              "dry_run": "on", "csrf_token": token},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert upload.status_code == 302
    waiting = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in waiting and "<progress" in waiting
    importing.run_pending_imports()
    report = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "试运行完成：1 行可以导入，1 行有错误" in report and "无法识别的值：火星区" in report
    assert "请选择 1 到 5 之间的整数" in report and '<meta http-equiv="refresh"' not in report


def test_monitor_counts_by_day_cell_and_completion(client, org, templates):
    for n, (district, sex) in enumerate([("350102", "female"), ("350102", "male"), ("350103", "female")]):
        answers = {"district": district, "age_group": "40-49", "sex": sex, "hotline_used": False}
        answers.update(convenience=4, efficiency=4, attitude=5, transparency="dont_know", integrity=3)
        answers.update(overall=4, confidence=4)
        client.post(
            "/api/v1/surveys/government-work/responses",
            json={"answers": answers},
            headers={"User-Agent": f"u{n}"},
        )
    monitor = client.get("/api/v1/surveys/government-work/monitor", headers=org.auth("analyst")).json
    assert (
        monitor["complete"] == 3
        and monitor["completion_rate"] == 1.0
        and monitor["by_channel"] == {"link": 3}
    )
    assert sum(day["complete"] for day in monitor["by_day"]) == 3
    cells = {(c["cell"]["age_group"], c["cell"]["sex"]): c["complete"] for c in monitor["quotas"]}
    assert cells[("40-49", "female")] == 2 and cells[("40-49", "male")] == 1
    login(client, "supervisor")
    html = client.get("/staff/surveys/government-work/monitor").get_data(as_text=True)
    assert 'id="quota-cells"' in html and "份完整答卷" in html and "100%" in html
