"""The nightly KPI rollup equals a straightforward recomputation from the raw cases and audit events."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from complaints import demo
from complaints.models import Case, CaseEvent, KpiDaily, Policy
from complaints.services import rollups, sla
from complaints.services.catalogue import create_policy
from core.clock import travel_to
from core.db import db, utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")
DECISIONS = {"accept": "accepted", "reject": "rejected", "transfer": "transferred", "merge": "merged"}
PLAIN = {
    "register": "registered",
    "feedback": "feedback",
    "close": "closed",
    "urge": "urged",
    "escalate": "escalated",
    "reopen": "reopened",
}


def recompute(until: datetime) -> dict[tuple, Counter]:
    """Walk every case's events in order, as an auditor would, and count them by local day and cell."""
    cases = {case.id: case for case in db.session.scalars(select(Case))}
    satisfied = {p.version: set(p.rules["satisfied_ratings"]) for p in db.session.scalars(select(Policy))}
    by_case = defaultdict(list)
    for event in db.session.scalars(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.seq)):
        by_case[event.case_id].append(event)
    totals: dict[tuple, Counter] = defaultdict(Counter)
    for case_id, events in by_case.items():
        case, handling_due = cases[case_id], None
        for event in events:
            if event.action in ("accept", "approve_extension", "reopen"):
                due = event.payload.get("handling_due_at")
                handling_due = datetime.fromisoformat(due) if due else None
            if event.at >= until:
                continue
            cell = (event.at.astimezone(SHANGHAI).date(), case.department_id, case.category_code)
            cell += (case.region_code, case.channel)
            counts = totals[cell]
            if event.action in DECISIONS:
                counts["decided"] += 1
                counts[DECISIONS[event.action]] += 1
                counts["decided_on_time"] += event.at <= case.acceptance_due_at
            elif event.action in PLAIN:
                counts[PLAIN[event.action]] += 1
            elif event.action == "reply":
                counts["replied"] += 1
                counts["replied_on_time"] += handling_due is not None and event.at <= handling_due
                if event.payload.get("loss_recovered"):
                    counts["loss_cents"] += int(Decimal(event.payload["loss_recovered"]) * 100)
            elif event.action == "rate":
                counts["rated"] += 1
                counts["satisfied"] += event.payload["rating"] in satisfied[case.policy_version]
                counts["resolved"] += bool(event.payload.get("resolved"))
    return {cell: +counts for cell, counts in totals.items() if +counts}


def rolled_up() -> dict[tuple, Counter]:
    found = {}
    for row in db.session.scalars(select(KpiDaily)):
        counts = Counter({name: getattr(row, name) for name in rollups.COUNTERS})
        counts["loss_cents"] = int(row.loss_recovered * 100)
        cell = (row.day, row.department_id, row.category_code, row.region_code, row.channel)
        assert cell not in found, "one row per cell and day"
        found[cell] = +counts
    return {cell: counts for cell, counts in found.items() if counts}


@pytest.mark.parametrize("seed", [7, 2026])
def test_rollup_equals_a_recomputation_from_the_raw_rows(ctx, seed):
    # A policy under which 基本满意 (3) counts as satisfied: "satisfied" follows each case's policy.
    if seed == 2026:
        create_policy({"satisfied_ratings": [3, 4, 5]}, "基本满意 counts as satisfied")
    demo.load_demo(60, seed)
    now = utcnow()
    for hours in (1, 30, 80):  # system urges and escalations, too
        with travel_to(now + timedelta(hours=hours)):
            sla.scan_deadlines()
            sla.escalate_overdue()
    with travel_to(now + timedelta(days=4)):
        days = rollups.roll_up_pending()
        assert rollups.roll_up_pending() == []  # nothing left to do: idempotent
    today = (now + timedelta(days=4)).astimezone(SHANGHAI).date()
    assert days[-1] == today - timedelta(days=1)
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=SHANGHAI)
    expected = recompute(until=midnight)
    assert sum(c["registered"] for c in expected.values()) == 60 and any(
        c["urged"] for c in expected.values()
    )
    assert rolled_up() == expected

    # Rebuilding a day gives the same rows.
    day = days[len(days) // 2]
    rollups.roll_up_day(day)
    assert rolled_up() == expected
