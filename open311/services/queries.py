"""GET requests: which cases a GeoReport v2 query selects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from complaints.models import Case
from core.db import db
from core.errors import InvalidInput
from open311.services.params import comma_list, parse_page, parse_window
from open311.statuses import CLOSED_STATES, STILL_OPEN_STATES


def find_requests(args: Mapping[str, str], now: datetime, tz: ZoneInfo) -> list[Case]:
    """service_request_id (a list that overrides everything else), or service_code, status and the
    requested_datetime window, newest first, one page."""
    ids = comma_list(args, "service_request_id")
    if ids:
        found = {
            c.tracking_code: c for c in db.session.scalars(select(Case).where(Case.tracking_code.in_(ids)))
        }
        return [found[i] for i in dict.fromkeys(ids) if i in found]
    statuses = comma_list(args, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            raise InvalidInput("status", "must be open, closed or both (comma delimited)")
    window = parse_window(args, now, tz)
    page, page_size = parse_page(args)
    query = select(Case).where(Case.received_at >= window.start, Case.received_at <= window.end)
    codes = comma_list(args, "service_code")
    if codes:
        query = query.where(Case.category_code.in_(codes))
    if len(set(statuses)) == 1:
        states = CLOSED_STATES if statuses[0] == "closed" else STILL_OPEN_STATES
        query = query.where(Case.status.in_([s.value for s in states]))
    # (received_at, id) is the ix_cases_received index, walked backwards.
    query = (
        query.order_by(Case.received_at.desc(), Case.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(db.session.scalars(query))
