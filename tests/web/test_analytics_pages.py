"""Analyst dashboard pages through the test client: roles, filters in the address, numbers equal to the
services, downloads, panels, translations, and no personal data in any page or file."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from html import unescape

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from analytics.kpis import KPIS
from analytics.services import kpi_rollups
from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.services.ledger import list_breaches
from analytics.services.trend_buckets import default_period, local_today
from analytics.web import charts, ledger, panels
from analytics.web.presenters import KPI_TEXTS
from tests.analytics_api.conftest import TimedFlow
from tests.analytics_api.test_kpis import build_histories
from tests.conftest import complaint_body
from tests.web.test_pages import login

PERIOD = "from=2026-09-01&to=2026-11-01"
START, END = date(2026, 9, 1), date(2026, 11, 1)
PAGES = ("/analytics/", "/analytics/ledger", "/analytics/export/kpis.csv", "/analytics/export/ledger.xlsx")
PLANTED = ("隐私王五", "13912345678", "planted@example.com", "秘密路88号", "机密线索仓库藏假货", "秘密标题")


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def tiles(html: str) -> dict[str, tuple[str, str]]:
    """{kpi code: (data-value, data-n)} of the KPI tiles."""
    found = re.findall(r'class="tile tile-\w+" data-kpi="(\w+)" data-value="([^"]*)" data-n="(\d+)"', html)
    return {code: (value, n) for code, value, n in found}


def expected(group: dict) -> dict[str, tuple[str, str]]:
    return {
        code: ("" if number["value"] is None else str(number["value"]), str(number["n"]))
        for code, number in group["kpis"].items()
    }


def spec(html: str, chart_id: str) -> dict:
    block = re.search(rf'<script type="application/json" id="{chart_id}-spec">(.*?)</script>', html, re.S)
    return json.loads(block.group(1))


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    "user, status",
    [
        ("analyst", 200),
        ("supervisor", 200),
        ("admin", 200),
        ("operator", 403),
        ("dispatcher", 403),
        ("handler", 403),
    ],
)
def test_roles(client, org, path, user, status):
    login(client, user)
    assert client.get(f"{path}?{PERIOD}").status_code == status


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, org, path):
    response = client.get(f"{path}?{PERIOD}")
    assert response.status_code == 302
    assert "/staff/login?next=" in response.headers["Location"]


def test_analysts_land_on_the_dashboard(client, org):
    assert login(client, "analyst").headers["Location"] == "/analytics/"
    assert "数据分析" in page(client, "/analytics/")  # the nav entry


def test_supervisors_land_on_their_queue_with_the_dashboard_in_the_menu(client, org):
    assert login(client, "supervisor").headers["Location"] == "/staff/"
    assert 'href="/analytics/"' in page(client, "/staff/")


def test_tiles_equal_the_kpi_service_with_targets_and_definitions(client, org):
    build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    [group] = compute_complaint_kpis(START, END, "none")
    assert tiles(html) == expected(group)
    assert len(tiles(html)) == len(KPIS)
    # acceptance 4/5 misses its 100 % target, completion 3/3 meets it; the other KPIs have no target.
    assert 'class="tile tile-missed" data-kpi="acceptance_rate"' in html
    assert 'class="tile tile-met" data-kpi="completion_rate"' in html
    assert 'class="tile tile-none" data-kpi="satisfaction_rate"' in html
    assert ">80.0%</a>" in html and ">66.7%</a>" in html and "¥170.50" in html
    assert "目标 100.0% ·" in html and "未达标" in html
    # The definition next to the number, in Chinese, and the drill-down link of the tile.
    assert "已作决定数 / 应作决定数" in html and "受理期限在期内的案件" in html
    assert (
        'href="/analytics/kpis/acceptance_rate/cases?from=2026-09-01&amp;to=2026-11-01&amp;group_by=none&amp;key=all"'
        in html
    )


def test_a_department_filter_narrows_tiles_and_trends_to_that_department(client, org):
    build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&department=TJ-SCJG")
    groups = {g["key"]: g for g in compute_complaint_kpis(START, END, "department")}
    assert tiles(html) == expected(groups["TJ-SCJG"])
    assert "group_by=department&amp;key=TJ-SCJG" in html
    september = compute_complaint_kpis(START, date(2026, 10, 1), "department")
    tj = next(g for g in september if g["key"] == "TJ-SCJG")["kpis"]
    trend = spec(html, "trend-rules")
    assert trend["labels"] == ["2026-09", "2026-10"]
    assert trend["series"][1]["data"][0] == tj["completion_rate"]["value"]
    assert '<tr class="selected" data-key="TJ-SCJG">' in html


def test_trend_points_equal_the_service_per_month(client, org):
    build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    rules, outcomes = spec(html, "trend-rules"), spec(html, "trend-outcomes")
    assert rules["kind"] == "line" and rules["format"] == "percent"
    months = [
        compute_complaint_kpis(START, date(2026, 10, 1))[0],
        compute_complaint_kpis(date(2026, 10, 1), END)[0],
    ]
    codes = ["acceptance_rate", "completion_rate", "feedback_rate", "completion_on_time_rate"]
    assert [s["data"] for s in rules["series"]] == [[m["kpis"][c]["value"] for m in months] for c in codes]
    assert [s["data"] for s in outcomes["series"]] == [
        [m["kpis"][c]["value"] for m in months] for c in ("satisfaction_rate", "resolution_rate")
    ]
    assert [s["label"] for s in outcomes["series"]] == ["满意率", "解决率"]


def test_breakdown_by_a_dimension_equals_the_service(client, org):
    build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&group_by=kind")
    for group in compute_complaint_kpis(START, END, "kind"):
        row = re.search(rf'<tr data-key="{group["key"]}">(.*?)</tr>', html, re.S).group(1)
        cells = dict(re.findall(r'<td data-kpi="(\w+)" data-value="([^"]*)"', row))
        assert cells == {
            code: "" if group["kpis"][code]["value"] is None else str(group["kpis"][code]["value"])
            for code in cells
        }
        assert len(cells) == 5
    chart = spec(html, "breakdown-chart")
    assert chart["kind"] == "bar" and chart["labels"] == ["投诉", "求助", "咨询"]
    assert "按类型" in html and "group_by=kind&amp;key=help" in html


def test_filters_are_in_the_address_and_the_form(client, org):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&group_by=region&interval=week&department=GL-SCJG")
    assert 'value="region" selected' in html and 'value="week" selected' in html
    assert 'value="GL-SCJG" selected' in html and 'value="2026-09-01"' in html
    share = re.search(r'href="([^"]+)" id="share-link"', html).group(1)
    assert unescape(share) == f"/analytics/?{PERIOD}&group_by=region&interval=week&department=GL-SCJG"
    labels = spec(html, "trend-rules")["labels"]
    assert labels[0] == "2026-W36" and labels[-1] == "2026-W44" and len(labels) == 9
    # The tabs keep the period and department.
    assert 'href="/analytics/ledger?from=2026-09-01&amp;to=2026-11-01&amp;department=GL-SCJG"' in html
    assert "本表涵盖全部部门" in html  # the region table is not narrowed by the department


def test_without_filters_the_last_twelve_months(client, org):
    login(client, "analyst")
    html = page(client, "/analytics/")
    start, end = default_period(local_today())
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html
    assert len(spec(html, "trend-rules")["labels"]) == 12
    assert default_period(date(2026, 1, 15)) == (date(2025, 2, 1), date(2026, 1, 16))


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("from=2026-10-01&to=2026-09-01", "to", "必须晚于起始日期"),
        ("from=2026-02-30", "from", "不是有效的日期"),
        (f"{PERIOD}&department=NOPE", "department", "未知部门"),
        (f"{PERIOD}&group_by=name", "group_by", ""),
        ("from=2020-01-01&to=2026-01-01&interval=week", "interval", "最多 60 个"),
    ],
)
def test_bad_filters_are_explained_on_the_field(client, org, query, field, message):
    login(client, "analyst")
    html = page(client, f"/analytics/?{query}", 422)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1)
    assert 'data-kpi="' not in html


def test_the_ledger_page_counts_filters_and_pages(client, org, monkeypatch):
    cases = build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"/analytics/ledger?{PERIOD}")
    breaches = list_breaches(START, END)
    assert re.search(r'id="ledger-total">(\d+)<', html).group(1) == str(len(breaches)) == "3"
    counts = dict(re.findall(r'<tr data-breach="(\w+)">.*?<td class="count">(\d+)</td>', html, re.S))
    assert counts == {
        "never_decided": "1",
        "decided_late": "0",
        "never_replied": "0",
        "replied_late": "1",
        "no_feedback": "1",
        "closed_without_feedback": "0",
    }
    assert all(cases[x].code in html for x in "EBC")
    only = page(client, f"/analytics/ledger?{PERIOD}&rule=handling")
    assert cases["C"].code in only and cases["E"].code not in only
    outstanding = page(client, f"/analytics/ledger?{PERIOD}&state=outstanding")
    assert (
        cases["C"].code not in outstanding
        and cases["E"].code in outstanding
        and cases["B"].code in outstanding
    )
    department = page(client, f"/analytics/ledger?{PERIOD}&department=TJ-SCJG")
    assert re.search(r'id="ledger-total">(\d+)<', department).group(1) == "1"

    monkeypatch.setattr(ledger, "PAGE_SIZE", 2)
    first = page(client, f"/analytics/ledger?{PERIOD}")
    assert "第 1 页，共 2 页" in first and "page=2" in first
    second = page(client, f"/analytics/ledger?{PERIOD}&page=2")
    assert cases["C"].code in second and cases["E"].code not in second


def test_downloads_are_csv_and_xlsx_with_chinese_headers(client, org):
    cases = build_histories(client, org)
    login(client, "analyst")
    response = client.get(f"/analytics/export/kpis.csv?{PERIOD}&group_by=kind")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="kpis-kind-2026-09-01-2026-11-01.csv"'
    )
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["类型", "指标代码", "指标", "分母（件）", "值", "计算方法"]
    assert len(table) == 1 + 3 * len(KPIS)
    by_key = {(row[0], row[1]): row for row in table[1:]}
    assert by_key[("help", "completion_on_time_rate")][3:5] == ["2", "0.5"]

    response = client.get(f"/analytics/export/kpis.xlsx?{PERIOD}&department=GL-SCJG")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == ["部门", "指标代码", "指标", "分母（件）", "值", "计算方法"]
    assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"GL-SCJG"}

    response = client.get(f"/analytics/export/ledger.xlsx?{PERIOD}&state=outstanding")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "台账" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:7] == ["受理编号", "类型", "类别", "区域", "部门", "规则", "违规情形"]
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == [cases["E"].code, cases["B"].code]
    text = client.get(f"/analytics/export/ledger.csv?{PERIOD}").data.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]] == [cases[x].code for x in "EBC"]
    assert client.get(f"/analytics/export/ledger.pdf?{PERIOD}").status_code == 404


def plant_personal_data(client, org) -> list[TimedFlow]:
    """A confidential report handled to the end and a complaint never decided, full of personal data."""
    secrets = complaint_body(
        title=PLANTED[5],
        description=PLANTED[4],
        address=PLANTED[3],
        complainant={"name": PLANTED[0], "mobile": PLANTED[1], "email": PLANTED[2]},
        is_confidential=True,
    )
    report = TimedFlow(client, org, "2026-09-08 09:00", **{**secrets, "kind": "report"})
    report.at("2026-09-08 10:00", "accept", "dispatcher")
    report.at("2026-09-08 10:10", "assign", "dispatcher", {"department_code": "GL-SCJG"})
    report.at("2026-09-08 10:20", "sign", "handler")
    report.at(
        "2026-09-09 10:00",
        "reply",
        "handler",
        {"outcome": "resolved", "reply": PLANTED[4], "loss_recovered": None},
    )
    report.at("2026-09-09 11:00", "feedback", "operator", {"channel": "phone", "note": PLANTED[0]})
    never = TimedFlow(client, org, "2026-09-08 09:00", **secrets)
    return [report, never]


def test_no_personal_data_in_any_page_or_file(client, org):
    build_histories(client, org)
    planted = plant_personal_data(client, org)
    login(client, "analyst")
    outputs = []
    for group_by in ("department", "region", "category", "channel", "hotline", "kind"):
        outputs.append(page(client, f"/analytics/?{PERIOD}&group_by={group_by}"))
        outputs.append(page(client, f"/analytics/export/kpis.csv?{PERIOD}&group_by={group_by}"))
    for state in ("all", "outstanding"):
        outputs.append(page(client, f"/analytics/ledger?{PERIOD}&state={state}"))
        outputs.append(page(client, f"/analytics/export/ledger.csv?{PERIOD}&state={state}"))
    for path in (f"/analytics/export/kpis.xlsx?{PERIOD}", f"/analytics/export/ledger.xlsx?{PERIOD}"):
        with zipfile.ZipFile(io.BytesIO(client.get(path).data)) as book:
            outputs.extend(
                book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml")
            )
    text = unescape("\n".join(outputs))
    assert planted[1].code in text  # the never-decided complaint is a ledger row...
    for secret in PLANTED:
        assert secret not in text, secret  # ...but nothing personal comes with it


def test_english_pages_use_the_english_kpi_names(client, org):
    client.set_cookie("ql_lang", "en")  # first: the shared app context keeps the first page's language
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    assert "Complaint handling overview" in html and "Acceptance rate" in html
    assert "decided / due for decision" in html and "受理率" not in html


def test_the_kpi_texts_match_the_kpi_definitions(app):
    with app.test_request_context(), force_locale("en"):
        listed = {str(text) for text in KPI_TEXTS}
    assert listed == {text for kpi in KPIS for text in (kpi.numerator, kpi.denominator, kpi.formula)}
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        untranslated = [str(t) for t in KPI_TEXTS if re.fullmatch(r"[ -~]+", str(t))]
    assert untranslated == []


def test_a_filled_panel_slot_shows_its_chart_and_table(client, org, monkeypatch):
    def index_panel(filters):
        spec = charts.interval_chart(
            ["鼓楼区", "台江区"], [82.5, 77.0], [80.1, 73.2], [84.9, 80.8], "指数", "95% 置信区间"
        )
        return panels.PanelContent(["区域", "指数"], [["鼓楼区", "82.5"], ["台江区", "77.0"]], chart=spec)

    slots = [panels.Panel("survey-index", "满意度指数", index_panel), panels.Panel("ipa", "IPA")]
    monkeypatch.setattr(panels, "OVERVIEW_PANELS", slots)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    assert 'id="panel-survey-index"' in html and 'id="panel-ipa"' not in html  # an empty slot shows nothing
    assert spec(html, "chart-survey-index")["lows"] == [80.1, 73.2]
    assert '<th scope="row">台江区</th><td>77.0</td>' in html


def test_chart_specs_are_plain_json():
    line = charts.line_chart(["2026-01"], [("受理率", [None])])
    assert json.loads(json.dumps(line))["series"] == [{"label": "受理率", "data": [None]}]
    scatter = charts.quadrant_scatter([("价格", 4.2, 3.1)], 4.0, 3.5, "重要性", "表现")
    assert scatter["guides"] == {"x": 4.0, "y": 3.5} and scatter["points"][0]["label"] == "价格"
    with pytest.raises(ValueError):
        charts.interval_chart(["a"], [1], [0, 1], [2], "e", "i")
    with pytest.raises(ValueError):
        charts.bar_chart(["a"], [("x", [1])], value_format="stars")


def test_after_a_rollup_the_dashboard_reads_it_and_live_figures_stay_one_click_away(client, org):
    build_histories(client, org)
    login(client, "analyst")
    kpi_rollups.rebuild_kpi_rollups()
    rolled = compute_complaint_kpis(START, END, "none", source="rollup")[0]
    html = page(client, f"/analytics/?{PERIOD}")
    assert 'id="rollup-note"' in html and tiles(html) == expected(rolled)
    # A case registered after the rollup: the rollup view stays as it was, the live view counts it.
    TimedFlow(client, org, "2026-09-08 09:00")
    assert tiles(page(client, f"/analytics/?{PERIOD}")) == expected(rolled)
    live = page(client, f"/analytics/?{PERIOD}&source=raw")
    assert 'id="rollup-note"' not in live
    assert tiles(live) == expected(compute_complaint_kpis(START, END)[0]) != expected(rolled)
    assert "source=raw" in re.search(
        r'id="share-link" href="([^"]+)"|href="([^"]+)" id="share-link"', live
    ).group(0)
