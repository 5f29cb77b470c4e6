"""The hot-spot page on the planted spike: the same units flagged as the service finds, downloads, no
personal data, bad input in the visitor's language."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from analytics.services.hotspot_periods import resolve_period
from analytics.services.hotspots import find_rising_units
from tests.analytics_api.hotspot_data import PLANTED, TARGET, build_hotspot_data
from tests.web.test_analytics_pages import page
from tests.web.test_pages import login

MONTH = TARGET.strftime("%Y-%m")


def flagged_rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(r'<tr data-key="([^"]+)">(?:(?!</tr>).)*badge late', body, re.S)


def test_the_page_flags_what_the_service_flags(client, org):
    build_hotspot_data()
    login(client, "analyst")
    for dimension, expected in (("category", ["G0101"]), ("region", ["350104"])):
        html = page(client, f"/analytics/hotspots?month={MONTH}&dimension={dimension}")
        assert flagged_rows(html, "hotspot-units") == expected
        units = find_rising_units(
            resolve_period(TARGET, TARGET.replace(month=10), True, 12), dimension, 0.05, 5
        )
        assert [u.key for u in units if u.flagged] == expected
        assert f'<strong id="flagged-count">{len(expected)}</strong>' in html
    html = page(client, f"/analytics/hotspots?month={MONTH}")
    assert "福州市某某电器商行" in html and 'id="hotspot-problems"' in html
    assert 'id="hotspot-chart-spec"' in html


def test_downloads_and_no_personal_data(client, org):
    build_hotspot_data()
    login(client, "analyst")
    outputs = [
        page(client, f"/analytics/hotspots?month={MONTH}&dimension={d}")
        for d in ("category", "region", "respondent")
    ]
    for table in ("units", "businesses", "problems"):
        csv_text = client.get(f"/analytics/export/hotspots/{table}.csv?month={MONTH}").get_data(as_text=True)
        outputs.append(csv_text)
        sheet = load_workbook(
            io.BytesIO(client.get(f"/analytics/export/hotspots/{table}.xlsx?month={MONTH}").data)
        ).active
        assert sheet.freeze_panes == "A2"
        outputs.append(" ".join(str(c.value) for row in sheet.iter_rows() for c in row))
    text = "\n".join(outputs)
    for secret in PLANTED.values():
        assert secret not in text, secret


def test_bad_month_is_422_in_chinese_and_roles(client, org):
    login(client, "analyst")
    html = page(client, "/analytics/hotspots?month=2026-13", 422)
    assert 'id="form-errors"' in html
    assert page(client, "/analytics/hotspots?month=2031-01", 422)
    client.get("/staff/logout")
    login(client, "handler")
    assert client.get("/analytics/hotspots").status_code == 403


def test_the_overview_panel_lists_the_months_hot_spots(client, org):
    build_hotspot_data()
    login(client, "analyst")
    html = page(client, "/analytics/?from=2026-09-01&to=2026-10-01")
    panel = html.split('id="panel-hotspots"')[1].split("</section>")[0]
    assert "仓山区" in panel and "电热水壶" in panel
    assert f"/analytics/hotspots?month={MONTH}" in panel
