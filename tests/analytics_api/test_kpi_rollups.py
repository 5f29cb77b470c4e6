"""The KPI rollups by deadline day give exactly the numbers of the raw report, on random histories."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import func, select

from analytics.kpis import GROUP_BY
from analytics.services import kpi_rollups
from analytics.services.complaint_kpis import compute_complaint_kpis, compute_kpi_series, split_periods
from complaints.models import Case, KpiDueDaily
from core.db import db
from core.errors import InvalidInput
from tests.analytics_api.test_ledger import random_histories

PERIODS = [
    (date(2026, 8, 1), date(2027, 1, 1)),
    (date(2026, 8, 20), date(2026, 9, 10)),
    (date(2026, 9, 15), date(2026, 10, 10)),
    (date(2026, 10, 1), date(2026, 10, 2)),
]


@pytest.fixture()
def histories(client, org):
    rng = random.Random(20261001)
    for _ in range(3):
        random_histories(client, org, rng)
    # The random walk must have reached the states that make rollups hard: moved deadlines and replies.
    assert db.session.scalar(select(func.count()).where(Case.reopen_count > 0)) > 0
    assert db.session.scalar(select(func.count()).where(Case.contacted_at.is_not(None))) > 0
    assert db.session.scalar(select(func.count()).where(Case.rated_at.is_not(None))) > 0


def test_rollup_equals_the_raw_report_for_every_dimension_and_period(app, histories):
    written = kpi_rollups.rebuild_kpi_rollups()
    assert written == db.session.scalar(select(func.count()).select_from(KpiDueDaily)) > 0
    for group_by in GROUP_BY:
        for start, end in PERIODS:
            raw = compute_complaint_kpis(start, end, group_by, source="raw")
            rolled = compute_complaint_kpis(start, end, group_by, source="rollup")
            assert rolled == raw, (group_by, start, end)
    # Not vacuous: the long period has numbers in every family.
    [report] = compute_complaint_kpis(*PERIODS[0])
    assert all(v["n"] > 0 for v in report["kpis"].values())


def _rollup_rows() -> list[tuple]:
    columns = [
        getattr(KpiDueDaily, name) for name in ("family", "day", "dimension", "key", *kpi_rollups.COUNTERS)
    ]
    return sorted(tuple(row) for row in db.session.execute(select(*columns)))


def test_a_rebuild_follows_changes_and_repeats_to_the_same_rows(app, client, org, histories):
    kpi_rollups.rebuild_kpi_rollups()
    first = _rollup_rows()
    kpi_rollups.rebuild_kpi_rollups()
    assert _rollup_rows() == first
    # More history: the stale rollup no longer matches; the rebuild does again.
    random_histories(client, org, random.Random(7), cases=6)
    start, end = PERIODS[0]
    raw = compute_complaint_kpis(start, end, "department")
    assert compute_complaint_kpis(start, end, "department", source="rollup") != raw
    kpi_rollups.rebuild_kpi_rollups()
    assert compute_complaint_kpis(start, end, "department", source="rollup") == raw


def test_handling_workdays_backfill_matches_the_calendar(app, histories):
    replied = db.session.scalar(select(func.count()).where(Case.handling_workdays.is_not(None)))
    assert replied > 0
    db.session.execute(Case.__table__.update().values(handling_workdays=None))
    assert kpi_rollups.fill_handling_workdays() == replied
    start, end = PERIODS[0]
    kpi_rollups.rebuild_kpi_rollups()
    raw = compute_complaint_kpis(start, end)[0]["kpis"]["avg_handling_workdays"]
    assert compute_complaint_kpis(start, end, source="rollup")[0]["kpis"]["avg_handling_workdays"] == raw


def test_series_cut_at_calendar_boundaries_and_sum_to_the_whole(app, histories):
    assert split_periods(date(2026, 8, 20), date(2026, 11, 5), "month") == [
        (date(2026, 8, 20), date(2026, 9, 1)),
        (date(2026, 9, 1), date(2026, 10, 1)),
        (date(2026, 10, 1), date(2026, 11, 1)),
        (date(2026, 11, 1), date(2026, 11, 5)),
    ]
    assert split_periods(date(2026, 8, 20), date(2026, 9, 1), "week")[0] == (
        date(2026, 8, 20),
        date(2026, 8, 24),
    )
    assert [p[0] for p in split_periods(date(2026, 2, 1), date(2027, 1, 1), "quarter")] == [
        date(2026, 2, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]
    series = compute_kpi_series(date(2026, 8, 1), date(2027, 1, 1), "month")
    whole = compute_complaint_kpis(date(2026, 8, 1), date(2027, 1, 1))[0]["kpis"]
    for code in ("acceptance_rate", "completion_rate", "satisfaction_rate"):
        assert sum(p["groups"][0]["kpis"][code]["n"] for p in series) == whole[code]["n"]
    with pytest.raises(InvalidInput):
        split_periods(date(2020, 1, 1), date(2026, 1, 1), "day")
