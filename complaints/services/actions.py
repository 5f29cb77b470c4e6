"""Staff actions on a case: one function per transition, each checking role, department and state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from complaints.models import Case, Rectification
from complaints.policy import DeadlineRules
from complaints.services.audit import append_event
from complaints.services.catalogue import deadline_rules, suggest_department
from complaints.services.notify import queue_notice
from complaints.states import REJECTION_REASONS, TRANSITIONS
from core.auth.models import User
from core.auth.roles import Role
from core.auth.services import get_department
from core.db import db, utcnow
from core.errors import Forbidden, InvalidInput, NotFound

DISPATCH = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
HANDLE = frozenset({Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
SUPERVISE = frozenset({Role.SUPERVISOR, Role.ADMIN})
FEEDBACK = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
CLOSE = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class ActionContext:
    """What an action function needs: the locked case, who acts, when, and the case's deadline rules."""

    case: Case
    actor: User
    now: datetime
    rules: DeadlineRules


# Each action returns (reason, payload) for its audit event.
ActionResult = tuple[str | None, dict[str, Any]]


def _accept(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    case = ctx.case
    case.accept(ctx.now, ctx.rules.handling_due(ctx.now, case.kind, case.priority == "urgent"))
    queue_notice(case, "accepted", {"handling_due_at": case.handling_due_at.isoformat()})
    return None, {"handling_due_at": case.handling_due_at.isoformat()}


def _reject(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    code, reason = body["reason_code"], body["reason"]
    ctx.case.reject(ctx.now, code, reason, ctx.rules.feedback_due(ctx.now))
    queue_notice(
        ctx.case, "rejected", {"reason_code": code, "reason_text": REJECTION_REASONS[code], "reason": reason}
    )
    return reason, {"reason_code": code}


def _transfer(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.transfer(ctx.now, body["to"], body["reason"], ctx.rules.feedback_due(ctx.now))
    queue_notice(ctx.case, "transferred", {"to": body["to"]})
    return body["reason"], {"to": body["to"]}


def _merge(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    target = db.session.scalar(select(Case).where(Case.tracking_code == body["into"]))
    if target is None:
        raise InvalidInput("into", "unknown tracking code")
    ctx.case.merge_into(ctx.now, target)
    return None, {"into": target.tracking_code}


def _assign(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    code = body.get("department_code")
    department = get_department(code) if code else suggest_department(ctx.case)
    if department is None:
        raise InvalidInput("department_code", "no routing rule matches this case; choose a department")
    if not department.is_active:
        raise InvalidInput("department_code", "department is inactive")
    urgent = ctx.case.priority == "urgent"
    ctx.case.assign(
        ctx.now,
        department,
        ctx.rules.sign_due(ctx.now, urgent),
        ctx.rules.return_until(ctx.now),
        ctx.rules.contact_due(ctx.now, urgent),
    )
    return None, {"department_code": department.code, "sign_due_at": ctx.case.sign_due_at.isoformat()}


def _sign(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.sign(ctx.now)
    return None, {}


def _return(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    department = ctx.case.department.code if ctx.case.department else None
    ctx.case.return_to_dispatch(ctx.now)
    return body["reason"], {"department_code": department}


def _extend(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.request_extension(ctx.now, body["days"], body["reason"], ctx.rules.max_extension(ctx.case.kind))
    return body["reason"], {"days": body["days"]}


def _approve_extension(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    case = ctx.case
    days = case.pending_extension_days or 0
    old_due = case.handling_due_at
    new_due = ctx.rules.calendar.extend_deadline(old_due, days) if days and old_due else old_due
    case.approve_extension(new_due)
    queue_notice(case, "extended", {"handling_due_at": new_due.isoformat() if new_due else None})
    return None, {"days": days, "handling_due_at": new_due.isoformat() if new_due else None}


def _urge(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.urge()
    return body["note"], {"urge_count": ctx.case.urge_count}


def _contact(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.record_contact(ctx.now)
    return body.get("note"), {"channel": body["channel"], "contacted_at": ctx.case.contacted_at.isoformat()}


def _reply(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    case = ctx.case
    loss: Decimal | None = body.get("loss_recovered")
    case.record_reply(
        ctx.now,
        body["outcome"],
        body["reply"],
        loss,
        ctx.rules.feedback_due(ctx.now),
        ctx.rules.handling_workdays(case.accepted_at, ctx.now),
    )
    for task in db.session.scalars(
        select(Rectification).where(Rectification.case_id == case.id, Rectification.status == "open")
    ):
        task.status, task.reported_at = "reported", ctx.now
    queue_notice(case, "replied", {"outcome": case.outcome})
    return None, {"outcome": case.outcome, "loss_recovered": None if loss is None else str(loss)}


def _feedback(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.record_feedback(ctx.now, body["channel"], body.get("note"))
    return body.get("note"), {"channel": body["channel"]}


def _close(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.close(ctx.now)
    return None, {}


def _reopen(ctx: ActionContext, body: dict[str, Any]) -> ActionResult:
    ctx.case.reopen(ctx.rules.rectification_due(ctx.now))
    queue_notice(ctx.case, "reopened", {"handling_due_at": ctx.case.handling_due_at.isoformat()})
    return body["reason"], {"handling_due_at": ctx.case.handling_due_at.isoformat()}


@dataclass(frozen=True)
class ActionSpec:
    """Who may run an action and the function that runs it."""

    roles: frozenset[Role]
    run: Callable[[ActionContext, dict[str, Any]], ActionResult]


ACTIONS: dict[str, ActionSpec] = {
    "accept": ActionSpec(DISPATCH, _accept),
    "reject": ActionSpec(DISPATCH, _reject),
    "transfer": ActionSpec(DISPATCH, _transfer),
    "merge": ActionSpec(DISPATCH, _merge),
    "assign": ActionSpec(DISPATCH, _assign),
    "sign": ActionSpec(HANDLE, _sign),
    "return": ActionSpec(HANDLE, _return),
    "extend": ActionSpec(HANDLE, _extend),
    "approve_extension": ActionSpec(SUPERVISE, _approve_extension),
    "urge": ActionSpec(SUPERVISE, _urge),
    "contact": ActionSpec(HANDLE, _contact),
    "reply": ActionSpec(HANDLE, _reply),
    "feedback": ActionSpec(FEEDBACK, _feedback),
    "close": ActionSpec(CLOSE, _close),
    "reopen": ActionSpec(SUPERVISE, _reopen),
}


def allowed_actions(actor: User, case: Case) -> list[str]:
    """The actions this actor's role may take from the case's current state."""
    if not can_see(actor, case):
        return []
    return [
        name
        for name, spec in ACTIONS.items()
        if actor.role_enum in spec.roles and case.status in TRANSITIONS[name].sources
    ]


def can_see(actor: User, case: Case) -> bool:
    """Handlers see only their own department's cases; analysts see no individual case."""
    if actor.role_enum is Role.ANALYST:
        return False
    return not actor.is_department_bound or case.department_id == actor.department_id


def load_case_for_update(tracking_code: str, actor: User) -> Case:
    """Lock the case row for this transaction; an invisible case is reported as unknown (404)."""
    case = db.session.scalar(select(Case).where(Case.tracking_code == tracking_code).with_for_update(of=Case))
    if case is None or not can_see(actor, case):
        raise NotFound("no such case")
    return case


def perform_action(tracking_code: str, action: str, actor: User, body: dict[str, Any]) -> Case:
    """Run one staff action on a case in one transaction: role, department, state, audit, outbox."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(f"unknown action {action!r}")
    if actor.role_enum not in spec.roles:
        raise Forbidden(f"role {actor.role!r} may not {action}")
    try:
        case = load_case_for_update(tracking_code, actor)
        ctx = ActionContext(case, actor, utcnow(), deadline_rules(case.policy_version))
        from_state = case.status
        reason, payload = spec.run(ctx, body)
        append_event(case, action, from_state, actor, actor.role, ctx.now, reason, payload)
        db.session.commit()
    except Exception:
        db.session.rollback()  # a refused action leaves no half-applied change behind
        raise
    return case
