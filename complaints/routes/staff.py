"""Staff API: register, list, read and act on cases (bearer token; role and department checked)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request

from complaints.schemas import (
    ACTION_SCHEMAS,
    CaseListQuery,
    CaseOut,
    CasePageOut,
    EventOut,
    IntakeOut,
    OperatorIntakeIn,
)
from complaints.services import actions, catalogue, disclosure, intake, queries
from core.api import Blueprint
from core.auth.guard import current_staff, staff_required
from core.auth.roles import CASE_ROLES, Role
from core.auth.schemas import DepartmentOut
from core.errors import NotFound

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Staff: the case lifecycle")

FILTER_KEYS = ("status", "kind", "department", "region", "category", "overdue", "due_before", "q")


@blp.route("/cases", methods=["GET"])
@staff_required(*CASE_ROLES)
@blp.arguments(CaseListQuery, location="query")
@blp.response(200, CasePageOut)
def list_cases(args: dict):
    """Cases visible to the caller, filtered, keyset-paginated (pass next_cursor back as cursor)."""
    filters = {key: args[key] for key in FILTER_KEYS if key in args}
    return queries.list_cases(current_staff(), filters, args["sort"], args.get("cursor"), args["limit"])


@blp.route("/cases", methods=["POST"])
@staff_required(Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
@blp.arguments(OperatorIntakeIn)
@blp.response(201, IntakeOut)
def register_case(body: dict):
    """Register a case taken by phone, visit, letter or another channel."""
    return intake.register_case(body, current_staff())


@blp.route("/cases/<tracking_code>", methods=["GET"])
@staff_required(*CASE_ROLES)
@blp.response(200, CaseOut)
def get_case(tracking_code: str):
    """The full case record (a full view of the complainant is written to the access log)."""
    case = queries.get_case(tracking_code, current_staff())
    disclosure.record_case_disclosure(current_staff(), case, request.endpoint or "")
    return case


@blp.route("/cases/<tracking_code>/events", methods=["GET"])
@staff_required(*CASE_ROLES)
@blp.response(200, EventOut(many=True))
def list_events(tracking_code: str):
    """The case's audit trail, oldest first."""
    return queries.list_events(tracking_code, current_staff())


@blp.route("/cases/<tracking_code>/routing", methods=["GET"])
@staff_required(Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
@blp.response(200, DepartmentOut)
def suggest_department(tracking_code: str):
    """The department the routing rules suggest for this case (404 when none matches)."""
    department = catalogue.suggest_department(queries.get_case(tracking_code, current_staff()))
    if department is None:
        raise NotFound("no routing rule matches this case")
    return department


def _make_action_view(name: str):
    def view(body: dict, tracking_code: str):
        case = actions.perform_action(tracking_code, name, current_staff(), body)
        # The answer is the full record, so it discloses as much as GET /cases/<code> does.
        disclosure.record_case_disclosure(current_staff(), case, request.endpoint or "")
        return case

    view.__name__ = f"action_{name}"
    view.__doc__ = f"Run the `{name}` action (roles: {', '.join(sorted(actions.ACTIONS[name].roles))})."
    return view


def _visible_case_required(view: Callable) -> Callable:
    """404 for an unknown or another department's case before the body is read, so a refusal never
    depends on the input (the action itself checks again under its row lock)."""

    @wraps(view)
    def wrapper(*args: Any, tracking_code: str, **kwargs: Any):
        queries.get_case(tracking_code, current_staff())
        return view(*args, tracking_code=tracking_code, **kwargs)

    return wrapper


# One documented route per action, so the OpenAPI document shows each action's own body schema.
# The action's roles are checked before anything else (403), then the department (404), then the body.
for _name, _schema in ACTION_SCHEMAS.items():
    blp.route(f"/cases/<tracking_code>/actions/{_name}", methods=["POST"], endpoint=f"action_{_name}")(
        staff_required(*actions.ACTIONS[_name].roles)(
            _visible_case_required(
                blp.errors({409: "The case's state does not allow this action"})(
                    blp.arguments(_schema)(blp.response(200, CaseOut)(_make_action_view(_name)))
                )
            )
        )
    )
