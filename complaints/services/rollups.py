"""Nightly KPI rollup: one kpi_daily row per local day x department x category x region x channel,
counted from the audit events (what happened that day) joined to the cases (the cell).

Definitions (all counts are events on that local day):
- registered: register; decided: the decision (accept, reject, transfer or merge; each case has one),
  decided_on_time: decided by the case's acceptance deadline, plus one count per decision kind;
- replied: reply (mediation terminations included); replied_on_time: at or before the handling deadline
  in force, i.e. the handling_due_at of the latest accept / approve_extension / reopen event before it;
- feedback, closed, urged, escalated, reopened: those events; rated: rate, satisfied: a rating in the
  case's policy's satisfied_ratings, resolved: the citizen said resolved; loss_recovered: sum of replies.
The department is the case's current one (NULL before assignment).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select

from complaints.models import Case, CaseEvent, KpiDaily, Policy
from core.db import db, utcnow

DECISIONS = {"accept": "accepted", "reject": "rejected", "transfer": "transferred", "merge": "merged"}
PLAIN = {
    "register": "registered",
    "feedback": "feedback",
    "close": "closed",
    "urge": "urged",
    "escalate": "escalated",
    "reopen": "reopened",
}
COUNTED = (*DECISIONS, *PLAIN, "reply", "rate")
DEADLINE_SETTERS = ("accept", "approve_extension", "reopen")
COUNTERS = (
    "registered",
    "decided",
    "decided_on_time",
    "accepted",
    "rejected",
    "transferred",
    "merged",
    "replied",
    "replied_on_time",
    "feedback",
    "closed",
    "rated",
    "satisfied",
    "resolved",
    "urged",
    "escalated",
    "reopened",
)
# How far back the first run (or a run after a long outage) rebuilds.
MAX_CATCH_UP_DAYS = 400

Cell = tuple[int | None, str, str, str]


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    loss: Decimal = Decimal("0.00")


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


def _parse(moment: Any) -> datetime | None:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else None


def _handling_deadlines(replies: list[Any]) -> dict[tuple[int, int], datetime | None]:
    """(case_id, reply seq) -> the handling deadline in force when that reply was written."""
    if not replies:
        return {}
    setters = db.session.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.payload)
        .where(CaseEvent.case_id.in_({r.case_id for r in replies}), CaseEvent.action.in_(DEADLINE_SETTERS))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    ).all()
    by_case: dict[int, list[tuple[int, datetime | None]]] = defaultdict(list)
    for case_id, seq, payload in setters:
        by_case[case_id].append((seq, _parse((payload or {}).get("handling_due_at"))))
    result: dict[tuple[int, int], datetime | None] = {}
    for reply in replies:
        earlier = [due for seq, due in by_case[reply.case_id] if seq < reply.seq]
        result[(reply.case_id, reply.seq)] = earlier[-1] if earlier else None
    return result


def _satisfied_ratings() -> dict[int, set[int]]:
    return {
        v: set(rules.get("satisfied_ratings", []))
        for v, rules in db.session.execute(select(Policy.version, Policy.rules))
    }


def roll_up_day(day: date) -> int:
    """Rebuild the kpi_daily rows of one local day from the events (one transaction); returns rows written."""
    start, end = _day_bounds(day, ZoneInfo(current_app.config["TIMEZONE"]))
    events = db.session.execute(
        select(
            CaseEvent.case_id,
            CaseEvent.seq,
            CaseEvent.action,
            CaseEvent.at,
            CaseEvent.payload,
            Case.department_id,
            Case.category_code,
            Case.region_code,
            Case.channel,
            Case.acceptance_due_at,
            Case.policy_version,
        )
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.at >= start, CaseEvent.at < end, CaseEvent.action.in_(COUNTED))
    ).all()
    deadlines = _handling_deadlines([e for e in events if e.action == "reply"])
    satisfied = _satisfied_ratings()
    tallies: dict[Cell, _Tally] = defaultdict(_Tally)
    for event in events:
        tally = tallies[(event.department_id, event.category_code, event.region_code, event.channel)]
        counts, payload = tally.counts, event.payload or {}
        if event.action in DECISIONS:
            counts["decided"] += 1
            counts[DECISIONS[event.action]] += 1
            counts["decided_on_time"] += event.at <= event.acceptance_due_at
        elif event.action in PLAIN:
            counts[PLAIN[event.action]] += 1
        elif event.action == "reply":
            counts["replied"] += 1
            due = deadlines[(event.case_id, event.seq)]
            counts["replied_on_time"] += due is not None and event.at <= due
            if payload.get("loss_recovered") is not None:
                tally.loss += Decimal(str(payload["loss_recovered"]))
        elif event.action == "rate":
            counts["rated"] += 1
            counts["satisfied"] += payload.get("rating") in satisfied.get(event.policy_version, set())
            counts["resolved"] += bool(payload.get("resolved"))
    db.session.execute(delete(KpiDaily).where(KpiDaily.day == day))
    now = utcnow()
    db.session.add_all(
        KpiDaily(
            day=day,
            department_id=cell[0],
            category_code=cell[1],
            region_code=cell[2],
            channel=cell[3],
            loss_recovered=tally.loss,
            computed_at=now,
            **tally.counts,
        )
        for cell, tally in tallies.items()
    )
    db.session.commit()
    return len(tallies)


def roll_up_pending(now: datetime | None = None) -> list[date]:
    """Roll up every complete day not rolled up yet (from the day after the last one, or the first event;
    at most MAX_CATCH_UP_DAYS back) up to yesterday; returns the days rebuilt."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    yesterday = (now or utcnow()).astimezone(tz).date() - timedelta(days=1)
    last = db.session.scalar(select(func.max(KpiDaily.day)))
    if last is not None:
        first = last + timedelta(days=1)
    else:
        earliest = db.session.scalar(select(func.min(CaseEvent.at)))
        if earliest is None:
            return []
        first = earliest.astimezone(tz).date()
    first = max(first, yesterday - timedelta(days=MAX_CATCH_UP_DAYS))
    days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    for day in days:
        roll_up_day(day)
    return days
