"""Staff pages: workbench queue, case page with its allowed actions, supervisor board, phone intake."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from complaints.schemas import ACTION_SCHEMAS, CaseListQuery, OperatorIntakeIn
from complaints.services import actions, board, catalogue, disclosure, intake, queries
from complaints.states import REJECTION_REASONS
from complaints.web.forms import form_to_body, load_or_errors, localize_errors, run_or_errors
from complaints.web.presenters import ACTION_TITLES, category_groups, deadline_rows, region_choices
from complaints.web.public import RESPONDENT_FIELDS
from core.auth.roles import CASE_ROLES, Role
from core.auth.services import list_departments
from core.errors import Conflict, Forbidden, NotFound
from core.web.auth import register_staff_home, web_roles_required

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="../templates")


@bp.record_once
def _offer_staff_home(state) -> None:
    register_staff_home(state.app, "staff.workbench", tuple(CASE_ROLES), _l("Queue"))


PAGE_SIZE = 25
QUEUE_FILTERS = ("status", "kind", "department", "region", "category", "overdue", "q")
# Inputs each action form posts (the API schema validates them).
ACTION_FIELDS = {
    "accept": (),
    "sign": (),
    "approve_extension": (),
    "close": (),
    "reject": ("reason_code", "reason"),
    "transfer": ("to", "reason"),
    "merge": ("into",),
    "assign": ("department_code",),
    "return": ("reason",),
    "extend": ("days", "reason"),
    "urge": ("note",),
    "contact": ("channel", "note"),
    "reply": ("outcome", "reply", "loss_recovered"),
    "feedback": ("channel", "note"),
    "reopen": ("reason",),
}
INTAKE_FIELDS = (
    "kind",
    "channel",
    "priority",
    "category_code",
    "region_code",
    "title",
    "description",
    "address",
    "amount_involved",
    "complainant_name",
    "complainant_mobile",
    "complainant_email",
    "is_confidential",
) + RESPONDENT_FIELDS
BOARD_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN)
INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


@bp.get("/")
@web_roles_required(*CASE_ROLES)
def workbench():
    """The queue: cases with a pending deadline, soonest first (or all cases, newest first)."""
    args: dict = {k: v for k, v in request.args.items() if v != ""}
    args.setdefault("sort", "due")
    for multi in ("status", "kind"):
        if multi in args:
            args[multi] = [args[multi]]
    parsed, errors = load_or_errors(CaseListQuery(), args)
    if parsed is None:
        return render_template(
            "staff/workbench.html", page=None, errors=errors, args=request.args, **_choices()
        ), 422
    filters = {key: parsed[key] for key in QUEUE_FILTERS if key in parsed}
    page = queries.list_cases(current_user, filters, parsed["sort"], parsed.get("cursor"), PAGE_SIZE)
    return render_template("staff/workbench.html", page=page, errors={}, args=request.args, **_choices())


def _choices() -> dict:
    return {"categories": category_groups(), "regions": region_choices(), "departments": list_departments()}


@bp.get("/cases/<tracking_code>")
@web_roles_required(*CASE_ROLES)
def case_page(tracking_code: str):
    """The full record, the audit trail and a form for each action allowed now."""
    return _render_case(tracking_code)


def _render_case(
    tracking_code: str,
    open_action: str | None = None,
    errors: dict | None = None,
    values=None,
    status: int = 200,
):
    case = queries.get_case(tracking_code, current_user)
    party = disclosure.record_case_disclosure(current_user, case, request.endpoint or "")
    allowed = actions.allowed_actions(current_user, case)
    suggestion = catalogue.suggest_department(case) if "assign" in allowed else None
    return render_template(
        "staff/case.html",
        case=case,
        events=queries.list_events(tracking_code, current_user),
        allowed=allowed,
        deadlines=deadline_rows(case),
        suggestion=suggestion,
        department_options=[(d.code, d.name) for d in list_departments() if d.is_active],
        reasons=REJECTION_REASONS,
        open_action=open_action,
        errors=errors or {},
        values=values or {},
        party=party,
    ), status


@bp.post("/cases/<tracking_code>/actions/<action>")
@web_roles_required(*CASE_ROLES)
def run_action(tracking_code: str, action: str):
    """Run one action from its form; field errors come back next to the fields."""
    spec = actions.ACTIONS.get(action)
    if spec is None or action not in ACTION_SCHEMAS:
        abort(404)
    # Refused before the form is read: the role (403), then the department (404, as for an unknown case).
    if current_user.role_enum not in spec.roles:
        abort(403)
    queries.get_case(tracking_code, current_user)
    data, errors = load_or_errors(ACTION_SCHEMAS[action](), form_to_body(request.form, ACTION_FIELDS[action]))
    if data is None:
        return _render_case(tracking_code, action, errors, request.form, 422)
    try:
        done, errors = run_or_errors(
            lambda: actions.perform_action(tracking_code, action, current_user, data)
        )
    except Conflict as exc:
        flash(_("Not possible now: %(reason)s", reason=exc.message), "error")
        return redirect(url_for("staff.case_page", tracking_code=tracking_code))
    except Forbidden:
        abort(403)
    except NotFound as exc:
        if "department" in exc.errors:
            return _render_case(tracking_code, action, localize_errors(exc.errors), request.form, 422)
        raise
    if errors:
        return _render_case(tracking_code, action, errors, request.form, 422)
    flash(_("Done: %(action)s.", action=ACTION_TITLES[action]), "success")
    return redirect(url_for("staff.case_page", tracking_code=tracking_code))


@bp.get("/board")
@web_roles_required(*BOARD_ROLES)
def supervisor_board():
    """Overdue and at-risk work by department, 100 % rule breaks, extensions and rectifications."""
    return render_template("staff/board.html", board=board.build_board())


@bp.route("/intake", methods=["GET", "POST"])
@web_roles_required(*INTAKE_ROLES)
def operator_intake():
    """Register a phone call fast; warn about likely duplicates before saving."""
    errors, duplicates = {}, []
    values = request.form if request.method == "POST" else {"kind": "complaint", "channel": "phone"}
    if request.method == "POST":
        body = form_to_body(request.form, INTAKE_FIELDS)
        body["hotline"] = catalogue.suggest_hotline(body.get("kind", ""), body.get("category_code", ""))
        data, errors = load_or_errors(OperatorIntakeIn(), body)
        if data is not None:
            party, respondent = data.get("complainant") or {}, data.get("respondent") or {}
            duplicates = queries.find_possible_duplicates(
                current_user, party.get("mobile"), respondent.get("name"), respondent.get("credit_code")
            )
            if not duplicates or "confirm_not_duplicate" in request.form:
                result, errors = run_or_errors(lambda: intake.register_case(data, current_user))
                if result is not None:
                    flash(
                        _(
                            "Registered %(code)s. Access key for the caller: %(key)s",
                            code=result.case.tracking_code,
                            key=result.access_key,
                        ),
                        "success",
                    )
                    return redirect(url_for("staff.case_page", tracking_code=result.case.tracking_code))
    status = 422 if errors else 200
    return render_template(
        "staff/intake.html", values=values, errors=errors, duplicates=duplicates, **_choices()
    ), status
