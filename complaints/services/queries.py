"""Read side for staff: the case list with filters and keyset pagination, one case, its events."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, tuple_

from complaints.models import Case, CaseEvent
from complaints.services.actions import can_see
from core.auth.models import Department, User
from core.auth.roles import Role
from core.db import db, utcnow
from core.errors import Forbidden, InvalidInput, NotFound


@dataclass(frozen=True)
class CasePage:
    """One page of cases and the cursor of the next page (None on the last page)."""

    items: list[Case]
    next_cursor: str | None


def encode_cursor(sort_value: datetime, case_id: int) -> str:
    """Opaque cursor for the page after (sort_value, case_id)."""
    raw = json.dumps([sort_value.isoformat(), case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, case_id = json.loads(raw)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None or not isinstance(case_id, int):
            raise ValueError
        return moment, case_id
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidInput("cursor", "not a cursor returned by this endpoint") from None


def _apply_filters(query: Select, filters: dict[str, Any], actor: User) -> Select:
    if actor.is_department_bound:
        query = query.where(Case.department_id == actor.department_id)
    if statuses := filters.get("status"):
        query = query.where(Case.status.in_(statuses))
    if kinds := filters.get("kind"):
        query = query.where(Case.kind.in_(kinds))
    if code := filters.get("department"):
        department_id = db.session.scalar(select(Department.id).where(Department.code == code))
        query = query.where(Case.department_id == (department_id or -1))
    if region := filters.get("region"):
        query = query.where(Case.region_code == region)
    if category := filters.get("category"):
        query = query.where(Case.category_code.startswith(category, autoescape=True))
    if filters.get("overdue"):
        query = query.where(Case.next_due_at < utcnow())
    if due_before := filters.get("due_before"):
        query = query.where(Case.next_due_at <= due_before)
    if q := filters.get("q"):
        query = query.where(or_(Case.tracking_code == q.upper(), *_text_matches(q)))
    return query


# pg_trgm indexes substrings of three characters; most Chinese search words have two (停水, 噪声, 退款).
SHORTEST_TRIGRAM_TERM = 3


def _text_matches(q: str) -> list:
    """Title or respondent containing q, case-insensitively, in the form the indexes can serve."""
    if len(q) >= SHORTEST_TRIGRAM_TERM:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return [Case.title.ilike(pattern, escape="\\"), Case.respondent_name.ilike(pattern, escape="\\")]
    # A shorter term yields no trigram: an ILIKE sent to the trigram index got every row back to recheck
    # (4.6 s per page at 1M cases, bench/case_list_bench.py). A substring position keeps the planner on
    # the page's ordered index walk, which stops once the page is full.
    position = func.strpos if db.session.get_bind().dialect.name == "postgresql" else func.instr
    if q.lower() == q.upper():  # nothing to fold (Chinese, digits): spare lower() on every row walked
        return [position(column, q) > 0 for column in (Case.title, Case.respondent_name)]
    return [position(func.lower(column), q.lower()) > 0 for column in (Case.title, Case.respondent_name)]


def list_cases(
    actor: User, filters: dict[str, Any], sort: str = "received", cursor: str | None = None, limit: int = 50
) -> CasePage:
    """Cases the actor may see, filtered; keyset-paginated by (deadline, id) or (received desc, id desc)."""
    if actor.role_enum is Role.ANALYST:
        raise Forbidden("analysts see aggregates only")
    query = _apply_filters(select(Case), filters, actor)
    if sort == "due":
        query = query.where(Case.next_due_at.is_not(None))
        if cursor:
            due, last_id = _decode_cursor(cursor)
            # A row-value comparison lets the (next_due_at, id) index seek straight to the cursor.
            query = query.where(tuple_(Case.next_due_at, Case.id) > tuple_(due, last_id))
        query = query.order_by(Case.next_due_at, Case.id)
    else:
        if cursor:
            received, last_id = _decode_cursor(cursor)
            query = query.where(tuple_(Case.received_at, Case.id) < tuple_(received, last_id))
        query = query.order_by(Case.received_at.desc(), Case.id.desc())
    rows = list(db.session.scalars(query.limit(limit + 1)))
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.next_due_at if sort == "due" else last.received_at, last.id)
    return CasePage(items, next_cursor)


def get_case(tracking_code: str, actor: User) -> Case:
    """One case the actor may see (404 for unknown or another department's)."""
    case = db.session.scalar(select(Case).where(Case.tracking_code == tracking_code))
    if case is None or not can_see(actor, case):
        raise NotFound("no such case")
    return case


def list_events(tracking_code: str, actor: User) -> list[CaseEvent]:
    """The full audit trail of a case the actor may see."""
    case = get_case(tracking_code, actor)
    return list(
        db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )


DUPLICATE_WINDOW = timedelta(days=30)


def find_possible_duplicates(
    actor: User,
    mobile: str | None,
    respondent_name: str | None,
    credit_code: str | None,
    limit: int = 10,
) -> list[Case]:
    """Cases of the last 30 days from the same phone or about the same respondent (operator hints)."""
    conditions = []
    if mobile:
        same_phone = Case.complainant_mobile == mobile
        if not actor.may_see_confidential:
            # Typing a phone must not tell who made a confidential report.
            same_phone = and_(same_phone, Case.is_confidential.is_(False))
        conditions.append(same_phone)
    if credit_code:
        conditions.append(Case.respondent_credit_code == credit_code)
    if respondent_name:
        conditions.append(Case.respondent_name == respondent_name)
    if not conditions:
        return []
    query = (
        select(Case)
        .where(or_(*conditions), Case.received_at >= utcnow() - DUPLICATE_WINDOW)
        .order_by(Case.received_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
