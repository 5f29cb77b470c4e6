"""Complaint KPIs on hand-built histories; every expected number is worked out by hand in the comments.

Calendar facts used (2026): National Day holiday 1-7 Oct, Sat 10 Oct is a make-up working day, Sun 27 Sep
is not. Deadlines end at 23:59:59 local time of their last working day.
"""

from __future__ import annotations

import pytest

from analytics.kpis import KPIS
from tests.analytics_api.conftest import TimedFlow

PERIOD = "from=2026-09-01&to=2026-11-01"
SIMPLE = {"respondent": {}}


def build_histories(client, org) -> dict[str, TimedFlow]:
    """Five cases A-E (see each comment); returns them by letter."""
    # A: inquiry across National Day. Accepted Tue 29 Sep -> handling due 3 WD = 30 Sep, 8 Oct, 9 Oct;
    # acceptance due 7 WD = 30 Sep, 8, 9, 10 (make-up Sat), 12, 13, 14 Oct. Replied 9 Oct: on time
    # (with holidays counted it would be 2 Oct and late). Handling time 3 WD. Fed back; rated 3 (基本满意,
    # not satisfied under the default policy [4, 5]), not resolved.
    a = TimedFlow(client, org, "2026-09-29 09:00", kind="inquiry", **SIMPLE)
    a.at("2026-09-29 10:00", "accept", "dispatcher")
    a.at("2026-09-29 10:10", "assign", "dispatcher", {"department_code": "GL-SCJG"})
    a.at("2026-09-29 10:20", "sign", "handler")
    # Contact due 2 WD after assignment = 30 Sep, 8 Oct (the holiday skipped): phoned on 8 Oct, on time.
    a.at("2026-10-08 17:00", "contact", "handler", {"channel": "phone", "note": "已电话联系"})
    a.at(
        "2026-10-09 15:00",
        "reply",
        "handler",
        {"outcome": "resolved", "reply": "已答复", "loss_recovered": None},
    )
    a.at("2026-10-09 16:00", "feedback", "operator", {"channel": "phone", "note": "已告知"})
    a.rate_at("2026-10-10 10:00", 3, resolved=False)

    # B: help with an extension. Accepted Mon 7 Sep -> due 5 WD = 14 Sep; +3 WD approved -> 17 Sep.
    # Replied 16 Sep: on time but not first-time (extended). Handling time 8..16 Sep = 7 WD. Never fed
    # back: feedback due 2 WD after 16 Sep = 18 Sep.
    b = TimedFlow(client, org, "2026-09-07 09:00", kind="help", **SIMPLE)
    b.at("2026-09-07 09:30", "accept", "dispatcher")
    b.at("2026-09-07 09:40", "assign", "dispatcher", {"department_code": "GL-SCJG"})
    b.at("2026-09-07 09:50", "sign", "handler")
    b.at("2026-09-10 09:00", "extend", "handler", {"days": 3, "reason": "需现场核实"})
    b.at("2026-09-10 10:00", "approve_extension", "supervisor")
    b.at(
        "2026-09-16 10:00",
        "reply",
        "handler",
        {"outcome": "resolved", "reply": "已办", "loss_recovered": "50.00"},
    )

    # C: help, replied 8 Sep, rated 2 on Wed 9 Sep -> reopened with the rectification deadline 15 WD =
    # 30 Sep. Replied again 9 Oct: late. Handling time 7 Sep -> 9 Oct = 17 WD in Sep + 8, 9 Oct = 19.
    # Rated 4 (满意) and resolved on 10 Oct, which records the feedback (due 12 Oct).
    c = TimedFlow(client, org, "2026-09-07 09:00", kind="help", **SIMPLE)
    c.at("2026-09-07 09:30", "accept", "dispatcher")
    c.at("2026-09-07 09:40", "assign", "dispatcher", {"department_code": "TJ-SCJG"})
    c.at("2026-09-07 09:50", "sign", "other_handler")
    c.at(
        "2026-09-08 10:00",
        "reply",
        "other_handler",
        {"outcome": "resolved", "reply": "已办", "loss_recovered": None},
    )
    c.rate_at("2026-09-09 10:00", 2, resolved=False)
    c.at(
        "2026-10-09 11:00",
        "reply",
        "other_handler",
        {"outcome": "resolved", "reply": "重办", "loss_recovered": "120.50"},
    )
    c.rate_at("2026-10-10 10:00", 4, resolved=True)

    # D: complaint merged into B (still open) as a duplicate, same day (acceptance due 7 WD = 16 Sep).
    d = TimedFlow(client, org, "2026-09-07 10:00")
    d.at("2026-09-07 11:00", "merge", "dispatcher", {"into": b.code})

    # E: complaint never decided (acceptance due 16 Sep).
    e = TimedFlow(client, org, "2026-09-07 09:00")
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def kpis(client, org, query: str = "", user: str = "analyst") -> dict:
    response = client.get(f"/api/v1/analytics/complaints/kpis?{PERIOD}{query}", headers=org.auth(user))
    assert response.status_code == 200, response.json
    return response.json


def flat(group: dict) -> dict:
    return {code: (number["n"], number["value"]) for code, number in group["kpis"].items()}


def test_every_kpi_on_hand_built_histories(client, org):
    build_histories(client, org)
    body = kpis(client, org)
    assert [d["code"] for d in body["definitions"]] == [k.code for k in KPIS]
    [group] = body["groups"]
    assert group["key"] == "all"
    assert flat(group) == {
        # A-E are all due for a decision in the period; A, B, C, D decided on their first day.
        "acceptance_rate": (5, 0.8),
        "acceptance_on_time_rate": (5, 0.8),
        # A, B, C assigned and signed the same day; sign-for due the next working day.
        "sign_rate": (3, 1.0),
        "sign_on_time_rate": (3, 1.0),
        # Contact due 2 WD after assignment: A phoned in time; B's first contact is its reply of 16 Sep
        # (due 9 Sep, late); C's reply of 8 Sep counts as contact (due 9 Sep, on time).
        "response_rate": (3, 0.666667),
        # A (9 Oct), B (17 Sep), C (30 Sep after reopening) due for reply; C replied late.
        "completion_rate": (3, 1.0),
        "completion_on_time_rate": (3, 0.666667),
        # A and C fed back; B never.
        "feedback_rate": (3, 0.666667),
        # Of the replied cases owing feedback (A, B, C), A and C were rated (回访 done).
        "callback_rate": (3, 0.666667),
        # A rated 3, C's latest rating 4: one satisfied, one resolved.
        "satisfaction_rate": (2, 0.5),
        "resolution_rate": (2, 0.5),
        # Only A: B was extended, C reopened.
        "first_time_rate": (3, 0.333333),
        "duplicate_rate": (5, 0.2),
        # (3 + 7 + 19) / 3
        "avg_handling_workdays": (3, 9.67),
        # B 50.00 + C's latest reply 120.50; A stated none.
        "loss_recovered": (3, "170.50"),
    }


def test_grouping_by_kind_and_department(client, org):
    build_histories(client, org)
    by_kind = {g["key"]: flat(g) for g in kpis(client, org, "&group_by=kind")["groups"]}
    assert set(by_kind) == {"complaint", "help", "inquiry"}
    assert by_kind["complaint"]["acceptance_rate"] == (2, 0.5)  # D merged, E undecided
    assert by_kind["complaint"]["duplicate_rate"] == (2, 0.5)
    assert by_kind["complaint"]["completion_rate"] == (0, None)  # n = 0 -> None, never NaN
    assert by_kind["help"]["completion_on_time_rate"] == (2, 0.5)
    assert by_kind["inquiry"]["avg_handling_workdays"] == (1, 3.0)
    by_department = {g["key"]: flat(g) for g in kpis(client, org, "&group_by=department")["groups"]}
    # D and E were never assigned: their group is the null department.
    assert set(by_department) == {"GL-SCJG", "TJ-SCJG", None}
    assert by_department["GL-SCJG"]["first_time_rate"] == (2, 0.5)
    assert by_department["TJ-SCJG"]["satisfaction_rate"] == (1, 1.0)
    assert by_department[None]["acceptance_rate"] == (2, 0.5)


def test_a_narrower_period_counts_only_what_is_due_in_it(client, org):
    build_histories(client, org)
    body = client.get(
        "/api/v1/analytics/complaints/kpis?from=2026-10-01&to=2026-11-01", headers=org.auth("analyst")
    ).json
    numbers = flat(body["groups"][0])
    assert numbers["acceptance_rate"] == (1, 1.0)  # only A (due 14 Oct)
    assert numbers["completion_rate"] == (1, 1.0)  # only A (due 9 Oct)
    assert numbers["feedback_rate"] == (2, 1.0)  # A and C (due 12 Oct)


def test_empty_period_gives_none_not_nan(client, org):
    numbers = flat(kpis(client, org)["groups"][0])
    assert all(n == 0 for n, _ in numbers.values())
    assert {v for code, (_, v) in numbers.items() if code != "loss_recovered"} == {None}
    assert numbers["loss_recovered"] == (0, "0.00")


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-10-01&to=2026-10-01", "to"),
        (f"{PERIOD}&group_by=respondent", "group_by"),
        ("to=2026-10-01", "from"),
    ],
)
def test_bad_queries_are_422(client, org, query, field):
    response = client.get(f"/api/v1/analytics/complaints/kpis?{query}", headers=org.auth("analyst"))
    assert response.status_code == 422 and field in response.json["errors"], response.json
