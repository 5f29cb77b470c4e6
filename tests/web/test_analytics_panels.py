"""The overview's quality panels (three-rate, indicators, survey index, IPA) and their downloads: every number
equals the service's output on the same data, the survey and weighting are GET parameters, small cells and
"not enough data" are said plainly, roles, no personal data, English."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from html import unescape

import pytest
from openpyxl import load_workbook

from analytics.services.acsi import compute_acsi_model
from analytics.services.indicators import evaluate_indicators
from analytics.services.periods import Period, covering_period
from analytics.services.survey_indices import compute_survey_index
from analytics.services.three_rate import rank_units
from analytics.web import charts
from tests.web.panel_data import SECRETS, build_panel_data
from tests.web.test_analytics_pages import PERIOD, page, spec
from tests.web.test_pages import login

START, END = date(2026, 9, 1), date(2026, 11, 1)
EXPORTS = ("/analytics/export/three-rate.csv", "/analytics/export/indicators.xlsx")


def text(value) -> str:
    """A service value as the page writes it into a data attribute."""
    return "" if value is None else str(value)


def rows(html: str, table_id: str, *attributes: str) -> dict[str, dict[str, str]]:
    """{data-<first attribute>: {attribute: value}} of the rows of one table."""
    table = re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', html, re.S).group(1)
    found = {}
    for tag in re.findall(r"<tr (data-[^>]*)>", table):
        values = dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag))
        found[values[attributes[0]]] = {a: values.get(a) for a in attributes[1:]}
    return found


@pytest.fixture()
def data(client, org):
    return build_panel_data(client, org)


def test_covering_period_rule():
    assert covering_period(date(2026, 9, 1), date(2026, 11, 1)).label == "2026-10"
    assert covering_period(date(2026, 7, 1), date(2026, 10, 1)).label == "2026-Q3"
    assert covering_period(date(2026, 1, 1), date(2027, 1, 1)).label == "2026"
    # The default view (12 months through today): the running month is not whole, the one before is.
    assert covering_period(date(2025, 12, 1), date(2026, 11, 23)).label == "2026-10"
    # No whole month inside: the month of the last day.
    assert covering_period(date(2026, 9, 15), date(2026, 10, 10)) == Period("month", 2026, 10)


def test_three_rate_panel_equals_the_service(client, org, data, monkeypatch):
    monkeypatch.setitem(client.application.config, "RANKING_MIN_CASES", 1)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&department=GL-SCJG")
    ranking = rank_units(START, END, "department")
    shown = rows(html, "three-rate-table", "key", "score", "rank", "ci-low", "ci-high")
    assert shown == {
        text(u["key"]): {
            "score": text(u["score"]),
            "rank": text(u["rank"]),
            "ci-low": text(u["ci_low"]),
            "ci-high": text(u["ci_high"]),
        }
        for u in ranking["units"]
    }
    assert shown["TJ-SCJG"]["rank"] == "1" and shown["GL-SCJG"]["rank"] == "2" and shown[""]["rank"] == ""
    # Department names next to their codes; each rate with its denominator; the chosen department marked.
    gl_row = re.search(r'<tr data-key="GL-SCJG"[^>]*>.*?</tr>', html, re.S).group(0)
    assert 'class="selected"' in gl_row
    assert '鼓楼区市场监督管理局 <span class="code small muted">GL-SCJG</span>' in gl_row
    gl = next(u for u in ranking["units"] if u["key"] == "GL-SCJG")
    for code in ("response_rate", "resolution_rate", "satisfaction_rate"):
        value, n = text(gl[code]["value"]), gl[code]["n"]
        assert f'data-rate="{code}" data-value="{value}" data-n="{n}"' in gl_row
    chart = spec(html, "chart-three-rate")
    assert chart["kind"] == "bar" and chart["stacked"] is True
    assert chart["labels"][:2] == ["台江区市场监督管理局", "鼓楼区市场监督管理局"]
    scores = [u["score"] for u in ranking["units"]]
    assert chart["series"][0]["data"] == scores[:2] + [None]  # ranked; the unassigned row has no score
    assert chart["series"][1]["data"] == [None, None, None]
    note = unescape(re.search(r'id="three-rate-note">(.*?)</p>', html, re.S).group(1))
    assert "0.20 × 响应率 + 0.40 × 解决率 + 0.40 × 满意率" in note and "不少于 1 件" in note


def test_units_with_too_few_cases_are_listed_but_not_ranked(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")  # RANKING_MIN_CASES = 30
    shown = rows(html, "three-rate-table", "key", "rank", "score")
    assert {key: row["rank"] for key, row in shown.items()} == {"TJ-SCJG": "", "GL-SCJG": "", "": ""}
    assert "有比率的案件数少于 30 件" in html and "未排名" in html
    chart = spec(html, "chart-three-rate")
    scores = [u["score"] for u in rank_units(START, END, "department")["units"]]
    assert chart["series"][0]["data"] == [None] * 3 and chart["series"][1]["data"] == scores
    assert chart["series"][1]["label"] == "未排名（案件数不足）"


def test_three_rate_download_is_the_service_table(client, org, data):
    login(client, "analyst")
    response = client.get(f"/analytics/export/three-rate.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="three-rate-department-2026-09-01-2026-11-01.csv"'
    )
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["排名", "部门", "响应率"] and table[0][8] == "三率综合得分"
    ranking = rank_units(START, END, "department")
    assert [(row[1], row[8]) for row in table[1:]] == [
        (u["key"] or "（未分派）", text(u["score"])) for u in ranking["units"]
    ]
    sheet = load_workbook(io.BytesIO(client.get(f"/analytics/export/three-rate.xlsx?{PERIOD}").data)).active
    assert sheet.freeze_panes == "A2" and sheet["B2"].value == "TJ-SCJG"


def test_indicator_panel_equals_the_service(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    items = evaluate_indicators(Period("month", 2026, 10), 6)
    assert len(items) == 7
    shown = rows(html, "indicator-table", "code", "value", "ci-low", "ci-high", "status", "change", "trend")
    assert shown == {
        i["code"]: {
            "value": text(i["value"]),
            "ci-low": text(i["ci_low"]),
            "ci-high": text(i["ci_high"]),
            "status": i["status"],
            "change": i["change"]["result"],
            "trend": i["trend"]["result"],
        }
        for i in items
    }
    by_code = {i["code"]: i for i in items}
    # The service's verdicts on this data: the survey indices (about 72) miss their targets of 80 and 85,
    # every October case was completed (binding 100 %), 12345 has no rated case.
    assert by_code["FZ-CS-SAT"]["status"] == "not_met" and by_code["FZ-COMPLETION"]["status"] == "met"
    assert by_code["FZ-12345-SAT"]["status"] == "no_data"
    table = re.search(r'<table[^>]* id="indicator-table">(.*?)</table>', html, re.S).group(1)
    assert "生活性服务业顾客满意度" in table and "约束性" in table and "预期性" in table
    assert '<span class="badge late">未达标</span>' in table and '<span class="badge ok">达标</span>' in table
    assert "较 2026-09 变化" in html and "近 6 期趋势" in html and "≥ 80.0" in table and "≥ 100.0%" in table
    assert "12345热线满意率" in table and "期内无案件" in table  # why 12345 has no value, in Chinese
    chart = spec(html, "chart-indicators")
    assert chart["kind"] == "interval" and chart["targets"] == [i["target"] for i in items]
    assert chart["estimates"] == [i["value"] for i in items] and chart["lows"] == [i["ci_low"] for i in items]
    assert "评价期：2026-10（2026-10-01 至 2026-11-01" in html


def test_the_indicator_period_follows_the_filter_dates(client, org, data):
    login(client, "analyst")
    html = page(client, "/analytics/?from=2026-07-01&to=2026-10-01")
    assert "评价期：2026-Q3" in html and "较 2026-Q2 变化" in html
    quarter = evaluate_indicators(Period("quarter", 2026, 3), 6)
    shown = rows(html, "indicator-table", "code", "value")
    assert shown == {i["code"]: {"value": text(i["value"])} for i in quarter}
    sheet = load_workbook(
        io.BytesIO(client.get("/analytics/export/indicators.xlsx?from=2026-07-01&to=2026-10-01").data)
    ).active
    assert sheet["A1"].value == "指标代码" and {r[0].value for r in sheet.iter_rows(min_row=2)} == set(shown)


def test_survey_index_panel_equals_the_service_raked_by_default(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    report = compute_survey_index("service-satisfaction", START, END, weighting="raking")
    constructs = [r for r in report["groups"][0]["indices"] if r["kind"] == "construct"]
    shown = rows(html, "survey-index-table", "code", "estimate", "ci-low", "ci-high", "n", "suppressed")
    assert shown == {
        r["code"]: {
            "estimate": text(r["estimate"]),
            "ci-low": text(r["ci_low"]),
            "ci-high": text(r["ci_high"]),
            "n": str(r["n"]),
            "suppressed": "no",
        }
        for r in constructs
    }
    assert report["responses"] == 120 and "120" in html
    assert "按总体边际迭代加权" in html and "公开链接问卷" in html  # weighting and why no response rate
    chart = spec(html, "chart-survey-index")
    assert chart["labels"][:3] == ["形象", "预期质量", "感知质量"]
    assert chart["estimates"] == [r["estimate"] for r in constructs]
    assert chart["highs"] == [r["ci_high"] for r in constructs]
    deff = next(r for r in constructs if r["code"] == "satisfaction")
    row = re.search(r'<tr data-code="satisfaction".*?</tr>', html, re.S).group(0)
    assert f"<td>{deff['deff']:.2f}</td>" in row and f"<td>{deff['effective_n']:.1f}</td>" in row
    targets = rows(html, "survey-target-table", "code", "status")
    expected = {
        r["code"]: {"status": r["target"]["status"]}
        for r in report["groups"][0]["indices"]
        if r["kind"] == "indicator" and r.get("target")
    }
    assert targets == expected and set(expected) == {"SAT", "PQ"}
    # The picker is a GET form keeping the other filters.
    form = re.search(r'<form class="toolbar filters survey-picker".*?</form>', html, re.S).group(0)
    assert 'name="from" value="2026-09-01"' in form and 'value="service-satisfaction" selected' in form


def test_the_survey_and_weighting_are_in_the_address(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&survey=government-work&weighting=none")
    report = compute_survey_index("government-work", START, END, weighting="none")
    estimates = {
        r["code"]: text(r["estimate"]) for r in report["groups"][0]["indices"] if r["kind"] == "construct"
    }
    shown = rows(html, "survey-index-table", "code", "estimate")
    assert {code: row["estimate"] for code, row in shown.items()} == estimates
    assert "不加权" in html and 'value="none" selected' in html
    share = unescape(re.search(r'href="([^"]+)" id="share-link"', html).group(1))
    assert "survey=government-work" in share and "weighting=none" in share
    # The IPA below follows the same survey.
    model = compute_acsi_model("government-work", START, END)
    assert rows(html, "ipa-table", "code", "importance") == {
        p["code"]: {"importance": str(p["importance"])} for p in model["ipa"]["points"]
    }


def test_small_cells_are_suppressed_and_response_rates_shown(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&survey=hotline-callback")
    report = compute_survey_index("hotline-callback", START, END)
    assert report["groups"][0]["response_rate"] == {"value": 0.5, "completed": 2, "sent": 4, "reason": None}
    shown = rows(html, "survey-index-table", "code", "estimate", "n", "suppressed")
    assert shown == {
        code: {"estimate": "", "n": "6", "suppressed": "yes"} for code in ("satisfaction", "complaint")
    }
    assert "已抑制" in html and "受访者少于 30 人" in html and "50.0% (2 / 4)" in html
    assert 'id="chart-survey-index"' not in html  # nothing to draw
    # The call-back survey has no model structure: said plainly in the IPA panel.
    assert 'id="ipa-problem"' in html and "不作重要性—表现分析" in html
    # Raking a survey without margins is explained in the panel, not a broken page.
    raked = page(client, f"/analytics/?{PERIOD}&survey=hotline-callback&weighting=raking")
    assert 'id="survey-index-problem"' in raked and "答卷无法按此方式加权" in raked


def test_not_enough_data_for_the_model_is_said_plainly(client, org, data, monkeypatch):
    monkeypatch.setitem(client.application.config, "ANALYTICS_MIN_CELL", 200)
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    model = compute_acsi_model("service-satisfaction", START, END)
    assert model["status"] == "not_enough_data" and model["min_n"] == 200
    problem = re.search(r'id="ipa-problem">(.*?)</p>', html, re.S).group(1)
    assert problem == f"数据不足，无法估计模型：期内完整答卷 {model['n']} 份，至少需要 200 份。"
    assert 'id="chart-ipa"' not in html
    assert rows(html, "survey-index-table", "code", "suppressed")["satisfaction"] == {"suppressed": "yes"}


def test_ipa_panel_equals_the_model(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    model = compute_acsi_model("service-satisfaction", START, END)
    assert model["status"] == "ok"
    ipa = model["ipa"]
    assert rows(html, "ipa-table", "code", "importance", "performance", "quadrant") == {
        p["code"]: {
            "importance": str(p["importance"]),
            "performance": str(p["performance"]),
            "quadrant": p["quadrant"],
        }
        for p in ipa["points"]
    }
    assert rows(html, "ipa-paths", "path", "coefficient") == {
        f"{p['from']}-{p['to']}": {"coefficient": str(p["coefficient"])} for p in model["paths"]
    }
    assert rows(html, "ipa-r2", "code", "r2") == {
        c["code"]: {"r2": str(c["r2"])} for c in model["constructs"] if c["r2"] is not None
    }
    chart = spec(html, "chart-ipa")
    assert chart["kind"] == "scatter" and chart["guides"] == {
        "x": ipa["importance_cut"],
        "y": ipa["performance_cut"],
    }
    assert [(p["x"], p["y"]) for p in chart["points"]] == [
        (p["importance"], p["performance"]) for p in ipa["points"]
    ]
    assert "重要性：对满意度的总效应" in chart["x_title"]
    assert any(label in html for label in ("继续保持区", "重点改进区", "次要改进区", "过度投入区"))


def test_a_bad_survey_is_explained(client, org, data):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}&survey=nope", 422)
    assert "没有这个名称的已发布问卷" in html
    html = page(client, f"/analytics/?{PERIOD}&weighting=magic", 422)
    assert 'id="form-errors"' in html


def test_no_surveys_or_indicators_no_panels(client, org):
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    for slot in ("three-rate", "indicators", "survey-index", "ipa", "hotspots"):
        assert f'id="panel-{slot}"' not in html, slot


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize(
    "user, status",
    [("analyst", 200), ("supervisor", 200), ("admin", 200), ("operator", 403), ("handler", 403)],
)
def test_download_roles(client, org, path, user, status):
    login(client, user)
    assert client.get(f"{path}?{PERIOD}").status_code == status


def test_no_personal_data_in_the_panels_or_their_files(client, org, data):
    login(client, "analyst")
    outputs = []
    views = (
        "",
        "&survey=government-work&weighting=poststratify",
        "&survey=hotline-callback&weighting=raking",
    )
    for view in (*views, "&survey=hotline-callback"):
        outputs.append(page(client, f"/analytics/?{PERIOD}{view}"))
    outputs.append(page(client, "/analytics/export/three-rate.csv?" + PERIOD))
    outputs.append(page(client, "/analytics/export/indicators.csv?" + PERIOD))
    for path in ("/analytics/export/three-rate.xlsx", "/analytics/export/indicators.xlsx"):
        with zipfile.ZipFile(io.BytesIO(client.get(f"{path}?{PERIOD}").data)) as book:
            outputs.extend(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    everything = unescape("\n".join(outputs))
    assert 'id="panel-ipa"' in everything and "50.0% (2 / 4)" in everything  # the panels were there
    for secret in SECRETS:
        assert secret not in everything, secret


def test_english_panels(client, org, data):
    client.set_cookie("ql_lang", "en")  # first: the shared app context keeps the first page's language
    login(client, "analyst")
    html = page(client, f"/analytics/?{PERIOD}")
    for english in (
        "Three-rate score by department",
        "Fewer than 30 cases behind a rate.",
        "Consumer services customer satisfaction",
        "Not met",
        "Binding",
        "Perceived quality",
        "Raked to the population margins",
        "Open link: no invitations were sent",
        "Importance: total effect on satisfaction",
        "95% interval",
    ):
        assert english in unescape(html), english
    panels = html[html.index('id="panel-three-rate"') :]
    for chinese in ("未排名", "未达标", "约束性", "感知质量", "置信区间", "迭代加权", "评价期"):
        assert chinese not in panels, chinese
    assert (
        json.loads(re.search(r'id="chart-indicators-spec">(.*?)</script>', html, re.S).group(1))[
            "target_label"
        ]
        == "Target"
    )


def test_chart_specs_for_the_panels():
    bars = charts.bar_chart(["a", "b"], [("x", [1, None]), ("y", [None, 2])], "number", stacked=True)
    assert (
        bars["stacked"] is True and bars["height"] == charts.bar_chart(["a", "b"], [("x", [1, 2])])["height"]
    )
    marks = charts.interval_chart(["a"], [80], [78], [82], "e", "i", targets=[85], target_label="目标")
    assert marks["targets"] == [85.0] and marks["target_label"] == "目标" and marks["guides"] == {}
    with pytest.raises(ValueError):
        charts.interval_chart(["a"], [80], [78], [82], "e", "i", targets=[85, 90])
