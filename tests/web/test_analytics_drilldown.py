"""The drill-down page: the cases behind a KPI number, for analysts without personal data, with links to
the cases for supervisors, page by page, and as CSV / XLSX."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.web import drilldown
from tests.analytics_api.conftest import TimedFlow
from tests.analytics_api.test_kpis import build_histories
from tests.conftest import complaint_body
from tests.web.test_analytics_pages import END, PERIOD, PLANTED, START, page
from tests.web.test_pages import login

BASE = "/analytics/kpis"


def codes(html: str) -> list[str]:
    return re.findall(r"QL-\d{8}-[0-9A-Z]{8}", html.split('id="drill-rows"')[1])


def test_analyst_sees_the_late_case_behind_on_time_completion(client, org):
    flows = build_histories(client, org)
    login(client, "analyst")
    html = page(client, f"{BASE}/completion_on_time_rate/cases?{PERIOD}&group_by=none&key=all&part=unmet")
    assert codes(html) == [flows["C"].code]
    assert "/staff/cases/" not in html  # analysts open no case
    number = compute_complaint_kpis(START, END)[0]["kpis"]["completion_on_time_rate"]
    assert f"n = {number['n']}" in html and "66.7 %" in html
    assert "按时办结" in html or "办结" in html


def test_supervisor_gets_links_and_the_department_group(client, org):
    flows = build_histories(client, org)
    login(client, "supervisor")
    html = page(client, f"{BASE}/acceptance_rate/cases?{PERIOD}&group_by=department&key=")
    assert set(codes(html)) == {flows["D"].code, flows["E"].code}
    assert f'href="/staff/cases/{flows["E"].code}"' in html


def test_the_overview_tiles_link_to_working_drill_downs(client, org):
    build_histories(client, org)
    login(client, "analyst")
    overview = page(client, f"/analytics/?{PERIOD}")
    links = set(re.findall(r'href="(/analytics/kpis/\w+/cases\?[^"]+)"', overview))
    assert len(links) >= 10
    for link in links:
        page(client, link.replace("&amp;", "&"))


def test_pages_follow_the_cursor_and_files_hold_every_row(client, org, monkeypatch):
    build_histories(client, org)
    login(client, "analyst")
    monkeypatch.setattr(drilldown, "PAGE_SIZE", 2)
    first = page(client, f"{BASE}/acceptance_rate/cases?{PERIOD}")
    following = re.search(r'href="([^"]+)" id="next-page"', first).group(1).replace("&amp;", "&")
    second = page(client, following)
    assert len(codes(first)) == 2 and len(codes(second)) == 2
    assert not set(codes(first)) & set(codes(second))
    files = "/analytics/export/kpis/acceptance_rate/cases"
    text = client.get(f"{files}.csv?{PERIOD}").get_data(as_text=True).lstrip("\ufeff")
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert csv_rows[0][0] == "受理编号" and len(csv_rows) == 1 + 5
    sheet = load_workbook(io.BytesIO(client.get(f"{files}.xlsx?{PERIOD}").data)).active
    assert sheet.freeze_panes == "A2" and sheet.max_row == 6


def test_bad_input_and_roles(client, org):
    build_histories(client, org)
    login(client, "analyst")
    assert client.get(f"{BASE}/happiness/cases?{PERIOD}").status_code == 404
    html = page(client, f"{BASE}/acceptance_rate/cases?from=2026-10-01&to=2026-09-01", 422)
    assert "必须晚于起始日期" in html
    client.get("/staff/logout")
    login(client, "handler")
    assert client.get(f"{BASE}/acceptance_rate/cases?{PERIOD}").status_code == 403


def test_no_personal_data_on_the_drill_down(client, org):
    build_histories(client, org)
    body = complaint_body(
        title=PLANTED[5],
        description=PLANTED[4],
        respondent={"name": "某商行", "address": PLANTED[3]},
        complainant={"name": PLANTED[0], "mobile": PLANTED[1], "email": PLANTED[2]},
        is_confidential=True,
    )
    planted = TimedFlow(client, org, "2026-09-08 09:00", **{k: v for k, v in body.items() if k != "kind"})
    login(client, "analyst")
    html = page(client, f"{BASE}/acceptance_rate/cases?{PERIOD}")
    files = client.get(f"/analytics/export/kpis/acceptance_rate/cases.csv?{PERIOD}").get_data(as_text=True)
    assert planted.code in html and planted.code in files
    for secret in PLANTED:
        assert secret not in html and secret not in files
