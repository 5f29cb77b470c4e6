"""Three-rate score and fair ranking on the hand-built histories (numbers worked out in the comments)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.analytics_api.test_kpis import PERIOD, build_histories

URL = "/api/v1/analytics/complaints/three-rate"


def ranking(client, org, query: str = "") -> dict:
    response = client.get(f"{URL}?{PERIOD}{query}", headers=org.auth("analyst"))
    assert response.status_code == 200, response.json
    return response.json


def test_scores_ranks_and_intervals(client, org):
    build_histories(client, org)
    body = ranking(client, org, "&min_cases=1")
    assert body["weights"] == pytest.approx({"response": 0.2, "resolution": 0.4, "satisfaction": 0.4})
    units = {u["key"]: u for u in body["units"]}
    # TJ-SCJG (C): contacted on time by its reply, rated 4 and resolved -> 100.
    assert units["TJ-SCJG"]["score"] == 100.0 and units["TJ-SCJG"]["rank"] == 1
    # GL-SCJG (A on time, B late -> 响应率 1/2; A rated 3, not resolved -> 0/1, 0/1): 100 x 0.2 x 0.5 = 10.
    gl = units["GL-SCJG"]
    assert gl["score"] == 10.0 and gl["rank"] == 2
    # SE = 100 x sqrt(0.2^2 x 0.5 x 0.5 / 2) = 7.071; interval clipped at 0.
    assert gl["se"] == pytest.approx(7.071, abs=0.001)
    assert gl["ci_low"] == 0.0 and gl["ci_high"] == pytest.approx(10 + 1.959964 * 7.071, abs=0.01)
    # The unassigned cases have no rates at all: listed, never ranked.
    assert units[None]["rank"] is None and units[None]["not_ranked_reason"]
    assert [u["key"] for u in body["units"]] == ["TJ-SCJG", "GL-SCJG", None]


def test_small_units_are_not_ranked_and_weights_are_configurable(client, org):
    build_histories(client, org)
    default = ranking(client, org)  # RANKING_MIN_CASES = 30 by default
    assert all(u["rank"] is None for u in default["units"])
    assert {u["not_ranked_reason"] for u in default["units"] if u["key"]} == {
        "fewer than 30 cases behind a rate"
    }
    only_response = ranking(client, org, "&min_cases=1&weights=1,0,0")
    units = {u["key"]: u for u in only_response["units"]}
    assert units["GL-SCJG"]["score"] == 50.0 and units["TJ-SCJG"]["score"] == 100.0
    # Equal scores share the rank: with satisfaction only... both departments have a rated case.
    ties = ranking(client, org, "&min_cases=1&weights=0,0,1&group_by=kind")
    ranks = {u["key"]: u["rank"] for u in ties["units"]}
    assert ranks["help"] == 1 and ranks["inquiry"] == 2 and ranks["complaint"] is None


def test_three_rate_excel_file(client, org):
    build_histories(client, org)
    response = client.get(f"{URL}?{PERIOD}&min_cases=1&format=xlsx", headers=org.auth("analyst"))
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:3] == ["排名", "部门", "响应率"]
    assert sheet.freeze_panes == "A2"
    assert sheet["C2"].number_format == "0.00%" and sheet["I2"].value == 100.0


@pytest.mark.parametrize("weights", ["1,2", "a,b,c", "-1,1,1", "0,0,0"])
def test_bad_weights_are_422(client, org, weights):
    response = client.get(f"{URL}?{PERIOD}&weights={weights}", headers=org.auth("analyst"))
    assert response.status_code == 422 and "weights" in response.json["errors"]
