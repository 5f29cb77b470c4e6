"""How a case looks to the public through GeoReport v2: no personal data and no free text.

Published: the tracking code, state (open/closed plus generated notes), service, department, the
times and deadlines, and for a non-confidential case its coordinates rounded to 0.001° (about 100 m).
Never published: names, phone numbers, e-mail addresses, account and device ids, addresses, the
description, replies, media URLs, and anything else a person typed (see docs/open311.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from complaints.models import Case, Category, Policy
from complaints.policy import DeadlineRules
from complaints.states import Status
from core.db import db
from core.workdays import load_calendar
from open311.rendering import w3c_datetime
from open311.statuses import standard_status, status_notes

COORDINATE_PLACES = 3

_STAGE_TIMES = (
    "received_at",
    "decided_at",
    "assigned_at",
    "signed_at",
    "replied_at",
    "feedback_at",
    "closed_at",
    "rated_at",
)


@dataclass
class PublicContext:
    """What turning many cases into public documents needs once: names, zone, policy rules."""

    tz: ZoneInfo
    categories: dict[str, str]
    rules: dict[int, DeadlineRules]
    duplicates: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, cases: list[Case]) -> PublicContext:
        tz = ZoneInfo(current_app.config["TIMEZONE"])
        calendar = load_calendar(current_app.config["TIMEZONE"])
        categories = dict(db.session.execute(select(Category.code, Category.name)).all())
        rules = {
            v: DeadlineRules(r, calendar) for v, r in db.session.execute(select(Policy.version, Policy.rules))
        }
        ids = {c.duplicate_of_id for c in cases if c.duplicate_of_id is not None}
        duplicates = (
            dict(db.session.execute(select(Case.id, Case.tracking_code).where(Case.id.in_(ids))).all())
            if ids
            else {}
        )
        return cls(tz, categories, rules, duplicates)


def last_change(case: Case) -> datetime:
    """The newest stage timestamp: history-true for imported cases (updated_at is the import time)."""
    return max(t for t in (getattr(case, name) for name in _STAGE_TIMES) if t is not None)


def expected_at(case: Case, ctx: PublicContext) -> datetime | None:
    """When the request can be expected to be fulfilled: the handling deadline in force; before the
    acceptance decision, the latest a reply can come (handling time counted from that deadline)."""
    if case.handling_due_at is not None:
        return case.handling_due_at
    if case.status == Status.REGISTERED:
        return ctx.rules[case.policy_version].handling_due(
            case.acceptance_due_at, case.kind, case.priority == "urgent"
        )
    return None


def service_notice(case: Case, ctx: PublicContext) -> str:
    """The deadlines that apply, as generated text."""
    parts = [f"受理决定期限：{w3c_datetime(case.acceptance_due_at, ctx.tz)}"]
    if case.handling_due_at is not None:
        parts.append(f"答复期限：{w3c_datetime(case.handling_due_at, ctx.tz)}")
    return "；".join(parts)


def _coordinate(value: float | None, case: Case) -> float | None:
    if value is None or case.is_confidential:
        return None
    return round(value, COORDINATE_PLACES)


def public_request(case: Case, ctx: PublicContext) -> dict[str, Any]:
    """One request of GET requests / GET request, field order as in the spec."""
    return {
        "service_request_id": case.tracking_code,
        "status": standard_status(case.status),
        "status_notes": status_notes(
            case.status,
            case.outcome,
            case.rejection_code,
            case.transferred_to,
            ctx.duplicates.get(case.duplicate_of_id) if case.duplicate_of_id else None,
        ),
        "service_name": ctx.categories.get(case.category_code, case.category_code),
        "service_code": case.category_code,
        "description": None,
        "agency_responsible": case.department.name if case.department else None,
        "service_notice": service_notice(case, ctx),
        "requested_datetime": w3c_datetime(case.received_at, ctx.tz),
        "updated_datetime": w3c_datetime(last_change(case), ctx.tz),
        "expected_datetime": w3c_datetime(expected_at(case, ctx), ctx.tz),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": _coordinate(case.latitude, case),
        "long": _coordinate(case.longitude, case),
        "media_url": None,
    }
