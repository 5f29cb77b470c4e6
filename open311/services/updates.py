"""mySociety's servicerequestupdates extension: the public steps of cases in a window (GET), and a
partner's update on a request it submitted (POST), so a FixMyStreet-style client can follow cases.

GET lists the audit events a citizen sees on the tracking page, with a generated description (no
free text). POST records the update as a `citizen_update` audit event and tells the staff who hold the
case; when the partner says the problem is over (fixed, closed, ...) on a replied case, that is the
citizen's feedback and the case closes, as a satisfied rating would (complaints.services.public).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from complaints.models import Case, CaseEvent
from complaints.services.audit import append_event
from complaints.services.notify import queue_staff_notice
from complaints.services.public import PUBLIC_ACTIONS
from complaints.services.sla import responsible_party
from complaints.states import Status
from core.auth.models import Department
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from open311.models import ApiKey, Open311Request, Open311Update
from open311.rendering import w3c_datetime
from open311.services.params import Window, parse_w3c
from open311.services.submission import MAX_DESCRIPTION
from open311.statuses import CLOSING_STATUSES, EXTENDED_STATUSES, OUTCOME_LABELS, extended_status

UPDATE_ACTION = "citizen_update"

ACTION_TEXT = {
    "register": "已登记（registered）",
    "accept": "已受理（accepted）",
    "reject": "不予受理（not accepted）",
    "transfer": "已转办其他机关（transferred）",
    "merge": "重复件，已合并（merged as a duplicate）",
    "assign": "已派单（assigned）",
    "sign": "承办部门已签收（signed for）",
    "approve_extension": "办理期限已延长（deadline extended）",
    "reply": "已答复（replied）",
    "feedback": "已告知办理结果（result communicated）",
    "close": "已办结（closed）",
    "reopen": "重新办理（reopened）",
    "rate": "市民已评价（rated）",
}


def _description(event: CaseEvent, departments: dict[str, str]) -> str:
    text = ACTION_TEXT[event.action]
    payload = event.payload or {}
    if event.action == "assign" and payload.get("department_code"):
        code = payload["department_code"]
        text += f"：{departments.get(code, code)}"
    if event.action == "reply" and payload.get("outcome"):
        text += f"：{OUTCOME_LABELS.get(payload['outcome'], payload['outcome'])}"
    return text


def list_updates(window: Window, page: int, page_size: int) -> list[dict[str, Any]]:
    """Public steps in [start, end], oldest first, one page."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    rows = db.session.execute(
        select(CaseEvent, Case.tracking_code, Case.outcome, Case.rejection_code, Case.transferred_to)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.at >= window.start,
            CaseEvent.at <= window.end,
            CaseEvent.action.in_(PUBLIC_ACTIONS),
        )
        .order_by(CaseEvent.at, CaseEvent.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    departments = dict(db.session.execute(select(Department.code, Department.name)).all())
    updates = []
    for event, code, outcome, rejection_code, transferred_to in rows:
        payload = event.payload or {}
        status = extended_status(
            event.to_state,
            payload.get("outcome") or outcome,
            payload.get("reason_code") or rejection_code,
            transferred_to is not None,
        )
        updates.append(
            {
                "update_id": str(event.id),
                "service_request_id": code,
                "status": status,
                "updated_datetime": w3c_datetime(event.at, tz),
                "description": _description(event, departments),
                "media_url": None,
                "external_status_code": event.action,
            }
        )
    return updates


def _one(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _partner_case(request_id: str | None, api_key: ApiKey) -> Case:
    """The case, locked, if this partner submitted it; anyone else's looks unknown (404)."""
    if not request_id:
        raise InvalidInput("service_request_id", "was not provided")
    row = db.session.execute(
        select(Case, Open311Request)
        .join(Open311Request, Open311Request.case_id == Case.id)
        .where(Case.tracking_code == request_id)
        .with_for_update(of=Case)
    ).first()
    if row is None or row[1].api_key.client != api_key.client:
        raise NotFound(f"service_request_id {request_id} was not found")
    return row[0]


def _check(form: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    description = _one(form, "description")
    if not description:
        raise InvalidInput("description", "was not provided")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("description", f"at most {MAX_DESCRIPTION} characters")
    status = (_one(form, "status") or "").lower() or None
    if status is not None and status not in EXTENDED_STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(EXTENDED_STATUSES)}")
    update_id = _one(form, "update_id")
    if update_id is not None and len(update_id) > 64:
        raise InvalidInput("update_id", "at most 64 characters")
    return description, status, update_id


def post_update(form: Mapping[str, Any], api_key: ApiKey) -> Open311Update:
    """Record a partner's update on its request (idempotent per client update_id)."""
    description, status, update_id = _check(form)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    client_time = _one(form, "updated_datetime")
    if client_time is not None:
        parse_w3c("updated_datetime", client_time, tz)
    if update_id is not None:
        done = db.session.scalar(
            select(Open311Update).where(
                Open311Update.client == api_key.client, Open311Update.client_update_id == update_id
            )
        )
        if done is not None:
            return done
    try:
        case = _partner_case(_one(form, "service_request_id"), api_key)
        now = utcnow()
        payload = {"client": api_key.client, "update_id": update_id, "status": status, "sent_at": client_time}
        # The event is stamped with our receipt time: the chain stays in order whatever the client says.
        event = append_event(case, UPDATE_ACTION, case.status, None, "citizen", now, description, payload)
        if status in CLOSING_STATUSES and case.status == Status.REPLIED:
            if case.feedback_at is None:
                case.record_feedback(now, "open311", None)
                append_event(
                    case, "feedback", Status.REPLIED.value, None, "citizen", now, None, {"channel": "open311"}
                )
            case.close(now)
            append_event(case, "close", Status.REPLIED.value, None, "citizen", now, None, {})
        queue_staff_notice(case, "open311_update", responsible_party(case), {"status": status})
        db.session.flush()
        record = Open311Update(
            client=api_key.client,
            client_update_id=update_id,
            case_id=case.id,
            event_id=event.id,
            media_url=_one(form, "media_url"),
        )
        db.session.add(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return record
