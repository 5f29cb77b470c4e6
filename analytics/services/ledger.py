"""The 100 % ledger: every case that broke the acceptance, handling or feedback rule, proved from the
audit events (case_events), not from the case columns a later action may have overwritten.

A rule instance belongs to the period when its deadline falls in [from, to):
- acceptance: the decision (accept, reject, transfer, merge) against the acceptance deadline, which is
  fixed at intake (the register event carries no deadline, so it is read from the case row);
- handling: each handling cycle opens at accept or reopen, its deadline is the handling_due_at in the
  payload of the latest accept / approve_extension / reopen, and it ends at the next reply;
- feedback: each reply, rejection or transfer owes the citizen a feedback by the policy's feedback
  deadline from that event; a feedback event settles it, a close event before that is a breach, and a
  reopen abandons it (the reply it would report has been superseded).
A missing action is a breach only once its deadline has passed (`as_of`, default now).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from analytics.services.complaint_kpis import period_bounds
from complaints.models import Case, CaseEvent, Policy
from complaints.policy import DeadlineRules
from core.auth.models import Department
from core.db import db, utcnow
from core.workdays import load_calendar

DECISIONS = frozenset({"accept", "reject", "transfer", "merge"})
HANDLING_OPENERS = frozenset({"accept", "reopen"})
FEEDBACK_OWED = frozenset({"reply", "reject", "transfer"})

# breach code -> (rule, Chinese label)
BREACHES = {
    "never_decided": ("acceptance", "未作受理决定"),
    "decided_late": ("acceptance", "超期受理"),
    "never_replied": ("handling", "未办结"),
    "replied_late": ("handling", "超期办结"),
    "no_feedback": ("feedback", "未反馈"),
    "closed_without_feedback": ("feedback", "未反馈即结案"),
}


@dataclass(frozen=True)
class Breach:
    """One broken rule instance; only non-personal fields (analysts read the ledger)."""

    tracking_code: str
    kind: str
    category_code: str
    region_code: str
    department_code: str | None
    rule: str
    breach: str
    due_at: datetime
    done_at: datetime | None


def _due(payload: dict[str, Any] | None) -> datetime | None:
    value = (payload or {}).get("handling_due_at")
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def find_breaches_in_events(
    events: Iterable[Any],
    acceptance_due: datetime,
    feedback_due: Any,
    lo: datetime,
    hi: datetime,
    as_of: datetime,
) -> list[tuple[str, datetime, datetime | None]]:
    """(breach, due, done) of one case's events (oldest first); feedback_due(at) gives that deadline."""
    found: list[tuple[str, datetime, datetime | None]] = []

    def judge(late: str, missing: str, due: datetime | None, done: datetime | None) -> None:
        if due is None or not lo <= due < hi:
            return
        if done is None and due < as_of:
            found.append((missing, due, None))
        elif done is not None and done > due:
            found.append((late, due, done))

    decided: datetime | None = None
    handling: list[list[Any]] = []  # [due, done] per cycle
    feedback_open: datetime | None = None  # due of the owed feedback
    for event in events:
        if event.action in DECISIONS and decided is None:
            decided = event.at
        if event.action in HANDLING_OPENERS:
            if event.action == "reopen":
                feedback_open = None
            handling.append([_due(event.payload), None])
        elif event.action == "approve_extension" and handling and handling[-1][1] is None:
            handling[-1][0] = _due(event.payload) or handling[-1][0]
        if event.action == "reply" and handling and handling[-1][1] is None:
            handling[-1][1] = event.at
        if event.action in FEEDBACK_OWED:
            if feedback_open is not None:
                judge("", "no_feedback", feedback_open, None)
            feedback_open = feedback_due(event.at).astimezone(UTC)
        elif event.action == "feedback" and feedback_open is not None:
            feedback_open = None  # late feedback is not one of the 100 % rules: it is only required
        elif event.action == "close" and feedback_open is not None:
            if lo <= feedback_open < hi:
                found.append(("closed_without_feedback", feedback_open, event.at))
            feedback_open = None
    judge("decided_late", "never_decided", acceptance_due, decided)
    for due, done in handling:
        judge("replied_late", "never_replied", due, done)
    if feedback_open is not None:
        judge("", "no_feedback", feedback_open, None)
    return found


def lookback_days(policies: list[dict[str, Any]]) -> int:
    """Calendar days before a deadline within which the event that set or owed it must lie.

    The longest span from an event to a deadline it sets is a handling limit plus an extension (or a
    rectification limit plus an extension); working days are at most 7/5 calendar days, and 40 days more
    cover the longest holiday runs of a year, so the bound is safe rather than tight.
    """
    longest = 0
    for rules in policies:
        extension = max(rules.get("extension_max_wd", {}).values(), default=0)
        steps = [
            rules.get("acceptance_wd", 0),
            max(rules.get("handling_wd", {}).values(), default=0) + extension,
            rules.get("rectification_wd", 0) + extension,
            rules.get("feedback_wd", 0),
            rules.get("contact_wd", 0),
        ]
        hours = [v for k, v in rules.items() if k.startswith("urgent_") and isinstance(v, int)]
        longest = max(longest, *steps, max(hours, default=0) // 24 + 1)
    return longest * 7 // 5 + 40


def list_breaches(start: date, end: date, as_of: datetime | None = None) -> list[Breach]:
    """Every breach of a 100 % rule whose deadline falls in [start, end), by deadline then tracking code.

    Only cases with an event in [start - lookback, end) can owe anything due in the period (every
    deadline comes after the event that set it, within the lookback), so the database picks those cases
    by the indexed event time and the rules are judged on their events alone, not on all history.
    """
    lo, hi = period_bounds(start, end)
    as_of = as_of or utcnow()
    calendar = load_calendar(current_app.config["TIMEZONE"])
    policies = dict(db.session.execute(select(Policy.version, Policy.rules)).tuples().all())
    rules = {v: DeadlineRules(r, calendar) for v, r in policies.items()}
    since = lo - timedelta(days=lookback_days(list(policies.values())))
    active = select(CaseEvent.case_id).where(CaseEvent.at >= since, CaseEvent.at < hi).distinct()
    cases = {
        row.id: row
        for row in db.session.execute(
            select(
                Case.id,
                Case.tracking_code,
                Case.kind,
                Case.category_code,
                Case.region_code,
                Case.acceptance_due_at,
                Case.policy_version,
                Department.code.label("department_code"),
            )
            .outerjoin(Department, Department.id == Case.department_id)
            .where(Case.id.in_(active))
        )
    }
    by_case: dict[int, list[Any]] = {case_id: [] for case_id in cases}
    events = db.session.execute(
        select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at, CaseEvent.payload)
        .where(CaseEvent.case_id.in_(active))
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    )
    for event in events:
        by_case[event.case_id].append(event)
    breaches = []
    for case_id, case in cases.items():
        policy = rules[case.policy_version]
        for code, due, done in find_breaches_in_events(
            by_case[case_id], case.acceptance_due_at, policy.feedback_due, lo, hi, as_of
        ):
            breaches.append(
                Breach(
                    case.tracking_code,
                    case.kind,
                    case.category_code,
                    case.region_code,
                    case.department_code,
                    BREACHES[code][0],
                    code,
                    due,
                    done,
                )
            )
    return sorted(breaches, key=lambda b: (b.due_at, b.tracking_code, b.breach))
