"""Analytics API: who may call it, the CSV and XLSX files, and no personal data in analyst output."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from analytics.kpis import GROUP_BY, KPIS
from tests.analytics_api.conftest import TimedFlow
from tests.analytics_api.test_kpis import PERIOD, build_histories
from tests.conftest import complaint_body

URLS = (
    "/api/v1/analytics/complaints/kpis",
    "/api/v1/analytics/complaints/ledger",
    "/api/v1/analytics/complaints/kpis/acceptance_rate/cases",
    "/api/v1/analytics/complaints/three-rate",
)


@pytest.mark.parametrize("url", URLS)
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
def test_roles(client, org, url, user, status):
    response = client.get(f"{url}?{PERIOD}", headers=org.auth(user))
    assert response.status_code == status
    if status == 403:
        assert response.json["code"] == 403


@pytest.mark.parametrize("url", URLS)
def test_no_token_is_401(client, org, url):
    assert client.get(f"{url}?{PERIOD}").status_code == 401


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for url in URLS:
        operation = paths[url.replace("acceptance_rate", "{code}")]["get"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "format"}


def _workbook(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data)).active


def test_kpi_files(client, org):
    build_histories(client, org)
    xlsx = client.get(f"{URLS[0]}?{PERIOD}&format=xlsx&group_by=kind", headers=org.auth("analyst"))
    sheet = _workbook(xlsx)
    assert [c.value for c in sheet[1]] == ["类型", "指标代码", "指标", "分母（件）", "值", "计算方法"]
    assert sheet.freeze_panes == "A2"
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=2)}
    assert len(rows) == 3 * len(KPIS)
    rate = rows[("help", "completion_on_time_rate")]
    assert (rate[2].value, rate[3].value, rate[4].value) == ("按时办结率", 2, 0.5)
    assert rate[4].number_format == "0.00%"
    loss = rows[("help", "loss_recovered")]
    assert loss[4].value == 170.5 and loss[4].number_format == "#,##0.00"
    assert rows[("help", "avg_handling_workdays")][4].number_format == "0.00"
    assert rows[("complaint", "completion_rate")][4].value is None

    response = client.get(f"{URLS[0]}?{PERIOD}&format=csv", headers=org.auth("analyst"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["全部", "指标代码", "指标", "分母（件）", "值", "计算方法"]
    by_code = {row[1]: row for row in table[1:]}
    assert by_code["acceptance_rate"][3:5] == ["5", "0.8"]
    assert by_code["satisfaction_rate"][2] == "满意率"


def test_ledger_files(client, org):
    cases = build_histories(client, org)
    sheet = _workbook(client.get(f"{URLS[1]}?{PERIOD}&format=xlsx", headers=org.auth("analyst")))
    header = [c.value for c in sheet[1]]
    assert header == ["受理编号", "类型", "类别", "区域", "部门", "规则", "违规情形", "期限", "完成时间"]
    assert sheet.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[5], r[6]) for r in rows] == [
        (cases["E"].code, "受理", "未作受理决定"),
        (cases["B"].code, "反馈", "未反馈"),
        (cases["C"].code, "办理", "超期办结"),
    ]
    late = next(sheet.iter_rows(min_row=4, max_row=4))
    # Local wall-clock times (Excel has no zones): due 30 Sep 23:59:59, replied 9 Oct 11:00.
    assert (
        late[7].value.isoformat() == "2026-09-30T23:59:59"
        and late[8].value.isoformat() == "2026-10-09T11:00:00"
    )
    assert late[7].number_format == "yyyy-mm-dd hh:mm:ss"
    assert late[4].value == "TJ-SCJG"

    text = client.get(f"{URLS[1]}?{PERIOD}&format=csv", headers=org.auth("supervisor")).data.decode(
        "utf-8-sig"
    )
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == header and [row[0] for row in table[1:]] == [cases[x].code for x in "EBC"]


PLANTED = ("王秘密", "13912345678", "secret@example.com", "秘密路88号", "投诉人住址隐私描述", "某某秘密商行")


def _every_output(client, org) -> str:
    """All analyst output (JSON, CSV, XLSX cell values) of every endpoint, grouping and drill-down."""
    base = "/api/v1/analytics/complaints"
    queries = [f"{base}/kpis?{PERIOD}&group_by={g}" for g in GROUP_BY]
    queries += [f"{base}/kpis?{PERIOD}&interval=month&group_by=department"]
    queries += [f"{base}/three-rate?{PERIOD}&group_by={g}" for g in GROUP_BY]
    queries += [f"{base}/kpis/{kpi.code}/cases?{PERIOD}" for kpi in KPIS]
    queries += [f"{base}/ledger?{PERIOD}"]
    chunks = []
    for query in queries:
        for file_format in ("json", "csv", "xlsx"):
            response = client.get(f"{query}&format={file_format}", headers=org.auth("analyst"))
            assert response.status_code == 200, (query, response.json)
            if file_format == "xlsx":
                sheet = load_workbook(io.BytesIO(response.data)).active
                chunks.extend(str(c.value) for row in sheet.iter_rows() for c in row)
            else:
                chunks.append(response.data.decode("utf-8"))
    return "\n".join(chunks)


def test_no_personal_data_in_analyst_output(client, org):
    build_histories(client, org)
    body = complaint_body(
        description=PLANTED[4],
        title="秘密标题",
        respondent={"name": PLANTED[5], "credit_code": "91350100M000100Y43", "address": PLANTED[3]},
        complainant={"name": PLANTED[0], "mobile": PLANTED[1], "email": PLANTED[2]},
        is_confidential=True,
    )
    # Planted in a case that is in both outputs: never decided, so it is a ledger row too.
    planted = TimedFlow(client, org, "2026-09-08 09:00", **{k: v for k, v in body.items() if k != "kind"})
    output = _every_output(client, org)
    assert planted.code in output
    for secret in (*PLANTED, "秘密标题"):
        assert secret not in output, secret
