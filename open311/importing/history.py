"""What an imported case looks like in QualityLine: its row and its hash-chained audit history.

An imported case gets the events for the moments the source recorded, stamped with the source's times
and written by role "import": register and accept at creation (a 311 system accepts a request by
logging it); for a finished case reply, feedback and close at the source's closed time (closing a
request is what tells the requester). A case still open in the source becomes a live case: it is
assigned to the mapped agency (assign, and sign for in_progress) at creation, so it can be worked on.
Finished history is not given dispatch steps the source never recorded; its department is the agency
that handled it. Deadlines come from the policy in force at creation (the oldest policy for older
cases); a past step the source never recorded gets no deadline (sign-for, feedback), so those KPIs
are not invented for history, while acceptance and handling are judged like any case's.
docs/open311.md explains the choice.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from complaints.models import Policy
from complaints.policy import DeadlineRules
from complaints.services.audit import GENESIS_HASH, canonical_json, event_digest_with_payload_json
from core.db import db, utcnow
from core.workdays import load_calendar
from open311.importing.rows import PlannedCase

IMPORT_ROLE = "import"
CASE_COLUMNS = (
    "id", "tracking_code", "access_key_hash", "kind", "channel", "hotline", "priority", "category_code",
    "region_code", "title", "description", "address", "latitude", "longitude",
    "respondent_credit_code_override", "is_confidential", "is_incomplete", "status", "department_id",
    "policy_version", "received_at", "decided_at", "accepted_at", "assigned_at", "signed_at", "replied_at",
    "feedback_at", "closed_at", "updated_at", "acceptance_due_at", "sign_due_at", "return_until",
    "handling_due_at", "feedback_due_at", "next_due_at", "extended_days", "urge_count", "return_count",
    "reopen_count", "outcome", "reply", "feedback_channel", "event_count", "last_event_hash",
)  # fmt: skip
EVENT_COLUMNS = (
    "case_id", "seq", "action", "from_state", "to_state", "actor_id", "actor_role", "at", "reason",
    "payload", "prev_hash", "hash",
)  # fmt: skip
Step = tuple[str, str | None, str, datetime, dict[str, Any]]  # action, from, to, at, payload
LIVE_DISPATCHED = ("assigned", "in_progress")


class HistoryBuilder:
    """Builds case rows and event rows for one import (policies, calendar and caches loaded once)."""

    def __init__(self, source: str, batch_id: int, departments: dict[str, int]):
        self.source, self.batch_id, self.departments = source, batch_id, departments
        self.now = utcnow()
        self.calendar = load_calendar(current_app.config["TIMEZONE"])
        policies = db.session.execute(select(Policy.version, Policy.effective_from, Policy.rules)).all()
        self.rules = {v: DeadlineRules(r, self.calendar) for v, _, r in policies}
        self.policy_starts = sorted((start, v) for v, start, _ in policies)
        self.days: set[date] = set()  # local days with imported events (for the KPI rollups)
        self._dues: dict[tuple[Any, ...], datetime] = {}
        self._payloads: dict[tuple[Any, ...], str] = {}

    def _policy(self, received: datetime) -> int:
        version = self.policy_starts[0][1]
        for start, candidate in self.policy_starts:
            if start <= received:
                version = candidate
        return version

    def _due(self, step: str, version: int, moment: datetime, kind: str = "") -> datetime:
        # A deadline depends only on the local date it counts from, so it is cached by date.
        key = (step, version, self.calendar.local_date(moment), kind)
        if key not in self._dues:
            rules = self.rules[version]
            self._dues[key] = {
                "acceptance": lambda: rules.acceptance_due(moment, False),
                "handling": lambda: rules.handling_due(moment, kind, False),
                "sign": lambda: rules.sign_due(moment, False),
                "return": lambda: rules.return_until(moment),
                "feedback": lambda: rules.feedback_due(moment),
            }[step]()
        return self._dues[key]

    def _payload_json(self, payload: dict[str, Any], shared: bool) -> str:
        """canonical_json of a payload; `shared` ones (no per-case data) are encoded once per import."""
        if not shared:
            return canonical_json(payload)
        key = tuple(sorted(payload.items()))
        if key not in self._payloads:
            self._payloads[key] = canonical_json(payload)
        return self._payloads[key]

    def columns(self, plan: PlannedCase, case_id: int, code: str) -> dict[str, Any]:
        """The case row (event_count and last_event_hash are filled in by events())."""
        received, closed, state = plan.received_at, plan.closed_at, plan.state
        version = self._policy(received)
        accepted = state != "registered"
        dispatched = state in LIVE_DISPATCHED  # assigned (and signed) at creation, as a live case
        finished = state in ("replied", "closed")
        acceptance_due = self._due("acceptance", version, received)
        handling_due = self._due("handling", version, received, plan.kind) if accepted else None
        # Live deadlines for a step still open; none for steps the source never recorded.
        sign_due = self._due("sign", version, received) if state == "assigned" else None
        return_until = self._due("return", version, received) if state == "assigned" else None
        feedback_due = self._due("feedback", version, closed) if state == "replied" else None
        next_due = {"registered": acceptance_due, "accepted": handling_due, "assigned": sign_due,
                    "in_progress": handling_due, "replied": feedback_due}.get(state)  # fmt: skip
        return {
            "id": case_id,
            "tracking_code": code,
            # No citizen holds an access key to imported history: store a hash nothing hashes to.
            "access_key_hash": secrets.token_hex(32),
            "kind": plan.kind,
            "channel": plan.channel,
            "hotline": plan.hotline,
            "priority": "normal",
            "category_code": plan.category_code,
            "region_code": plan.region_code,
            "title": plan.title,
            "description": plan.description,
            "address": plan.address,
            "latitude": plan.latitude,
            "longitude": plan.longitude,
            "respondent_credit_code_override": False,
            "is_confidential": False,
            "is_incomplete": False,
            "status": state,
            "department_id": (
                self.departments[plan.department_code]
                if (dispatched or finished) and plan.department_code
                else None
            ),
            "policy_version": version,
            "received_at": received,
            "decided_at": received if accepted else None,
            "accepted_at": received if accepted else None,
            "assigned_at": received if dispatched else None,
            "signed_at": received if state == "in_progress" else None,
            "replied_at": closed if state in ("replied", "closed") else None,
            "feedback_at": closed if state == "closed" else None,
            "closed_at": closed if state == "closed" else None,
            "updated_at": self.now,
            "acceptance_due_at": acceptance_due,
            "sign_due_at": sign_due,
            "return_until": return_until,
            "handling_due_at": handling_due,
            "feedback_due_at": feedback_due,
            "next_due_at": next_due,
            "extended_days": 0,
            "urge_count": 0,
            "return_count": 0,
            "reopen_count": 0,
            "outcome": plan.outcome,
            "reply": plan.reply,
            "feedback_channel": "import" if state == "closed" else None,
            "event_count": 0,
            "last_event_hash": GENESIS_HASH,
        }

    def steps(self, plan: PlannedCase, columns: dict[str, Any]) -> list[Step]:
        """The events of the moments the source recorded, oldest first (finished history goes from
        accepted straight to replied: the source recorded no dispatch)."""
        received, closed, state = plan.received_at, plan.closed_at, plan.state
        origin = {"source": self.source, "external_id": plan.external_id, "batch": self.batch_id,
                  "row_hash": plan.digest}  # fmt: skip
        steps: list[Step] = [
            (
                "register",
                None,
                "registered",
                received,
                {"channel": plan.channel, "kind": plan.kind, "import": origin},
            )
        ]
        if state == "registered":
            return steps
        steps.append(
            (
                "accept",
                "registered",
                "accepted",
                received,
                {"handling_due_at": columns["handling_due_at"].isoformat()},
            )
        )
        current = "accepted"
        if state in LIVE_DISPATCHED:
            assign: dict[str, Any] = {"department_code": plan.department_code}
            if columns["sign_due_at"] is not None:
                assign["sign_due_at"] = columns["sign_due_at"].isoformat()
            steps.append(("assign", "accepted", "assigned", received, assign))
            if state == "in_progress":
                steps.append(("sign", "assigned", "in_progress", received, {}))
        if state in ("replied", "closed"):
            steps.append(
                ("reply", current, "replied", closed, {"outcome": plan.outcome, "loss_recovered": None})
            )
        if state == "closed":
            steps.append(("feedback", "replied", "replied", closed, {"channel": "import"}))
            steps.append(("close", "replied", "closed", closed, {}))
        return steps

    def events(self, plan: PlannedCase, columns: dict[str, Any]) -> list[tuple]:
        """The hash-chained event rows (EVENT_COLUMNS order; payload as JSON text); updates the chain
        head in `columns`."""
        case_id, prev, rows = columns["id"], GENESIS_HASH, []
        for seq, (action, from_state, to_state, at, payload) in enumerate(self.steps(plan, columns), start=1):
            # The payload's canonical JSON is both hashed and stored: encoded once (once per import for
            # the payloads every case shares).
            text = self._payload_json(payload, action != "register")
            digest = event_digest_with_payload_json(
                prev, case_id, seq, action, from_state, to_state, None, IMPORT_ROLE, at, None, text
            )
            rows.append(
                (case_id, seq, action, from_state, to_state, None, IMPORT_ROLE, at, None, text, prev, digest)
            )
            prev = digest
        self.days.add(self.calendar.local_date(plan.received_at))
        if plan.closed_at is not None:
            self.days.add(self.calendar.local_date(plan.closed_at))
        columns["event_count"], columns["last_event_hash"] = len(rows), prev
        return rows
