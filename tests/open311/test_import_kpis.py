"""KPIs over imported history: the complaint KPIs and the 100 % ledger over SF 311 rows, against a
recomputation straight from the CSV (policy v1: decision in 7 working days, help requests answered in
5, counted on the Beijing working-day calendar)."""

from __future__ import annotations

from datetime import date, datetime, time
from statistics import mean
from zoneinfo import ZoneInfo

import pytest

from analytics.services.complaint_kpis import compute_complaint_kpis
from analytics.services.ledger import list_breaches
from core.auth.services import create_department
from core.workdays import load_calendar
from open311.importing.service import import_cases
from tests.open311.test_import import MAPPING, SF_DEPARTMENTS, require_sample, sample_rows, write_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = (date(2015, 1, 1), date(2016, 1, 1))
ROWS = 3000


@pytest.fixture(autouse=True, scope="module")
def _sample() -> None:
    require_sample()


def _moment(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@pytest.fixture()
def imported(ctx, tmp_path):
    for code in SF_DEPARTMENTS:
        create_department(code, code, "350100")
    header, rows = sample_rows()
    rows = [r for r in rows[:ROWS] if not (r["closed_date"] and r["closed_date"] < r["created_date"])]
    report = import_cases(write_csv(tmp_path / "sf.csv", header, rows), "csv", MAPPING)
    assert report.imported == len(rows) and not report.problems
    return rows


def test_kpis_over_imported_history_match_the_source(imported):
    calendar = load_calendar("Asia/Shanghai")
    lo, hi = (datetime.combine(d, time(0), tzinfo=SHANGHAI) for d in PERIOD)
    decision_due = [r for r in imported if lo <= calendar.add_workdays(_moment(r["created_date"]), 7) < hi]
    handling_due = []
    for row in imported:
        created, closed = _moment(row["created_date"]), _moment(row["closed_date"])
        due = calendar.add_workdays(created, 5)
        if lo <= due < hi:
            handling_due.append((created, closed, due))
    replied = [(c, d, due) for c, d, due in handling_due if d is not None]
    on_time = [1 for _, closed, due in replied if closed <= due]
    assert len(decision_due) > 100 and len(replied) > 100 and 0 < len(on_time) < len(replied)

    (result,) = compute_complaint_kpis(*PERIOD)
    kpis = {code: (v["n"], v["value"]) for code, v in result["kpis"].items()}
    assert kpis["acceptance_rate"] == (len(decision_due), 1.0)  # a 311 request is accepted by logging it
    assert kpis["acceptance_on_time_rate"] == (len(decision_due), 1.0)
    assert kpis["completion_rate"] == (len(handling_due), round(len(replied) / len(handling_due), 6))
    assert kpis["completion_on_time_rate"] == (len(handling_due), round(len(on_time) / len(handling_due), 6))
    assert kpis["first_time_rate"] == (len(replied), 1.0)
    days = [calendar.workdays_between(created, closed) for created, closed, _ in replied]
    assert kpis["avg_handling_workdays"] == (len(days), round(mean(days), 2))
    # The source recorded no sign-for and no feedback deadline: those KPIs are not invented for history.
    assert kpis["sign_rate"] == (0, None) and kpis["feedback_rate"] == (0, None)
    assert kpis["satisfaction_rate"] == (0, None)


def test_kpis_by_channel_follow_the_mapping(imported):
    calendar = load_calendar("Asia/Shanghai")
    lo, hi = (datetime.combine(d, time(0), tzinfo=SHANGHAI) for d in PERIOD)
    channels = {"Phone": "phone", "Web": "web", "Mobile/Open311": "open311", "Email": "email"}
    expected: dict[str, int] = {}
    for row in imported:
        if lo <= calendar.add_workdays(_moment(row["created_date"]), 5) < hi:
            channel = channels.get(row["source"], "import")
            expected[channel] = expected.get(channel, 0) + 1
    by_channel = {
        g["key"]: g["kpis"]["completion_rate"]["n"] for g in compute_complaint_kpis(*PERIOD, "channel")
    }
    assert {k: v for k, v in by_channel.items() if v} == expected


def test_the_ledger_proves_the_same_from_the_imported_events(imported):
    calendar = load_calendar("Asia/Shanghai")
    lo, hi = (datetime.combine(d, time(0), tzinfo=SHANGHAI) for d in PERIOD)
    late, missing = 0, 0
    for row in imported:
        created, closed = _moment(row["created_date"]), _moment(row["closed_date"])
        due = calendar.add_workdays(created, 5)
        if lo <= due < hi:
            late += closed is not None and closed > due
            missing += closed is None
    breaches = list_breaches(*PERIOD)
    kinds = [b.breach for b in breaches]
    assert kinds.count("replied_late") == late and kinds.count("never_replied") == missing
    assert not {"never_decided", "decided_late", "no_feedback", "closed_without_feedback"} & set(kinds)
