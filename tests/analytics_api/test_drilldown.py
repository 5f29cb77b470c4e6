"""Drill-down: the cases behind every KPI number are exactly its denominator and numerator."""

from __future__ import annotations

import random

import pytest

from analytics.kpis import GROUP_BY, KPIS
from tests.analytics_api.test_kpis import PERIOD, build_histories, kpis
from tests.analytics_api.test_ledger import random_histories

BASE = "/api/v1/analytics/complaints/kpis"


def cases(client, org, code: str, query: str = "", user: str = "analyst") -> list[dict]:
    """Every row of the drill-down, following next_after page by page (pages of 2 rows)."""
    rows, after = [], ""
    while True:
        response = client.get(f"{BASE}/{code}/cases?{PERIOD}&limit=2{query}{after}", headers=org.auth(user))
        assert response.status_code == 200, response.json
        rows += response.json["items"]
        if response.json["next_after"] is None:
            return rows
        after = f"&after={response.json['next_after']}"


def test_the_hand_built_cases_behind_each_number(client, org):
    flows = build_histories(client, org)
    code_of = {letter: flow.code for letter, flow in flows.items()}
    late = cases(client, org, "completion_on_time_rate", "&part=unmet")
    assert [r["tracking_code"] for r in late] == [code_of["C"]]  # replied 9 Oct, due 30 Sep
    assert late[0]["met"] is False and late[0]["done_at"].startswith("2026-10-09")
    undecided = cases(client, org, "acceptance_rate", "&part=unmet")
    assert [r["tracking_code"] for r in undecided] == [code_of["E"]]
    merged = cases(client, org, "duplicate_rate", "&part=met")
    assert [r["tracking_code"] for r in merged] == [code_of["D"]]
    contacted = cases(client, org, "response_rate", "&part=met")
    assert {r["tracking_code"] for r in contacted} == {code_of["A"], code_of["C"]}
    # Ordered by deadline: pages continue where the last one stopped, no row twice.
    everyone = cases(client, org, "acceptance_rate")
    assert [r["due_at"] for r in everyone] == sorted(r["due_at"] for r in everyone)
    assert len({r["tracking_code"] for r in everyone}) == len(everyone) == 5
    unassigned = cases(client, org, "acceptance_rate", "&group_by=department&key=")
    assert {r["tracking_code"] for r in unassigned} == {code_of["D"], code_of["E"]}


def test_every_group_and_kpi_matches_its_report_on_random_histories(client, org):
    rng = random.Random(20261001)
    for _ in range(3):
        random_histories(client, org, rng)
    for group_by in ("none", "department", "kind"):
        for group in kpis(client, org, f"&group_by={group_by}")["groups"]:
            key = "" if group["key"] is None else group["key"]
            query = "" if group_by == "none" else f"&group_by={group_by}&key={key}"
            for kpi in KPIS:
                number = group["kpis"][kpi.code]
                population = cases(client, org, kpi.code, query + "&limit=1000")
                assert len(population) == number["n"], (group_by, key, kpi.code)
                met = [r for r in population if r["met"]]
                if kpi.unit == "rate" and number["n"]:
                    assert len(met) == round(number["value"] * number["n"]), (group_by, key, kpi.code)
    assert set(GROUP_BY) >= {"none", "department", "kind"}


@pytest.mark.parametrize(
    "query, field",
    [("&part=some", "part"), ("&after=yesterday", "after"), ("&limit=0", "limit")],
)
def test_bad_drill_queries_are_422(client, org, query, field):
    response = client.get(f"{BASE}/acceptance_rate/cases?{PERIOD}{query}", headers=org.auth("analyst"))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_an_unknown_kpi_is_422(client, org):
    response = client.get(f"{BASE}/happiness/cases?{PERIOD}", headers=org.auth("analyst"))
    assert response.status_code == 422 and "code" in response.json["errors"]
