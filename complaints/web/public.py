"""Citizen pages: home, submission form per kind, receipt, tracking and rating. No account needed."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints.limits import intake_limit, tracking_client_limit, tracking_code_limit
from complaints.schemas import IntakeIn, RatingIn
from complaints.services import catalogue, intake, public
from complaints.states import REJECTION_REASONS, Kind
from complaints.web.forms import form_to_body, load_or_errors, run_or_errors
from complaints.web.presenters import (
    category_groups,
    deadline_rows,
    public_timeline_rows,
    region_choices,
    template_helpers,
)
from core.errors import Conflict, NotFound

bp = Blueprint("site", __name__, template_folder="../templates")
bp.app_context_processor(template_helpers)

KINDS = {
    Kind.COMPLAINT: (
        _l("Complaint"),
        _l(
            "A dispute with a business over goods or services you bought: "
            "we mediate and try to recover your loss."
        ),
    ),
    Kind.REPORT: (
        _l("Report"),
        _l("A lead on illegal conduct (fake goods, unlicensed business, pollution). You may stay anonymous."),
    ),
    Kind.INQUIRY: (
        _l("Inquiry"),
        _l("A question about a policy, a procedure or where to get something done."),
    ),
    Kind.HELP: (
        _l("Help request"),
        _l("Something in daily life needs fixing: water, power, rubbish, roads."),
    ),
    Kind.SUGGESTION: (_l("Suggestion"), _l("An idea to improve a public service or a rule.")),
    Kind.PRAISE: (_l("Praise"), _l("Thank an office or a person who served you well.")),
}
COMMON_FIELDS = ("category_code", "region_code", "title", "description", "address")
PARTY_FIELDS = ("complainant_name", "complainant_mobile", "complainant_email")
RESPONDENT_FIELDS = (
    "respondent_name",
    "respondent_credit_code",
    "respondent_credit_code_override",
    "respondent_address",
)


def form_fields(kind: str) -> tuple[str, ...]:
    """The inputs the form for `kind` shows and posts."""
    fields = COMMON_FIELDS + PARTY_FIELDS
    if kind in (Kind.COMPLAINT, Kind.REPORT, Kind.PRAISE):
        fields += RESPONDENT_FIELDS
    if kind == Kind.COMPLAINT:
        fields += ("amount_involved",)
    if kind == Kind.REPORT:
        fields += ("is_confidential",)
    return fields


@bp.get("/")
def home():
    """What can be reported where, and a tracking-code search box."""
    return render_template("site/home.html", kinds=KINDS)


@bp.route("/submit/<kind>", methods=["GET", "POST"])
@intake_limit
def submit(kind: str):
    """The submission form; errors are shown next to their fields and what was typed is kept."""
    if kind not in KINDS:
        abort(404)
    errors: dict[str, list[str]] = {}
    values = (
        request.form if request.method == "POST" else {"is_confidential": "on"} if kind == Kind.REPORT else {}
    )
    if request.method == "POST":
        body = form_to_body(request.form, form_fields(kind))
        body.update(
            kind=kind, channel="web", hotline=catalogue.suggest_hotline(kind, body.get("category_code", ""))
        )
        data, errors = load_or_errors(IntakeIn(), body)
        if data is not None:
            result, errors = run_or_errors(lambda: intake.submit_complaint(data))
            if result is not None:
                session["receipt"] = {"code": result.case.tracking_code, "key": result.access_key}
                return redirect(url_for("site.receipt"))
    status = 422 if errors else 200
    return render_template(
        "site/submit.html",
        kind=kind,
        kind_label=KINDS[kind][0],
        fields=form_fields(kind),
        values=values,
        errors=errors,
        categories=category_groups(),
        regions=region_choices(),
    ), status


@bp.get("/receipt")
def receipt():
    """Shown once after a submission: tracking code, access key and the first deadline."""
    data = session.pop("receipt", None)
    if data is None:
        return redirect(url_for("site.home"))
    case = intake.find_case_by_code(data["code"])
    return render_template(
        "site/receipt.html", case=case, access_key=data["key"], deadlines=deadline_rows(case)
    )


@bp.route("/track", methods=["GET", "POST"])
@tracking_code_limit
@tracking_client_limit
def track():
    """Look a case up with its tracking code and access key (POSTed, so the key stays out of URLs)."""
    code = request.form.get("tracking_code", "").strip().upper()
    key = request.form.get("access_key", "").strip().upper()
    if request.method == "GET" or not (code and key):
        error = _("Enter both the tracking code and the access key.") if request.method == "POST" else None
        return render_template("site/track_form.html", code=code, error=error), (422 if error else 200)
    try:
        case = public.track_case(code, key)
    except NotFound:
        return render_template(
            "site/track_form.html", code=code, error=_("No case matches this tracking code and access key.")
        ), 404
    return render_case(case, key)


def render_case(case, key: str, errors: dict | None = None, status: int = 200, values=None):
    """The tracking page of one case."""
    return render_template(
        "site/track.html",
        case=case,
        key=key,
        timeline=public_timeline_rows(case),
        deadlines=deadline_rows(case),
        errors=errors or {},
        values=values or {},
        reasons=REJECTION_REASONS,
    ), status


@bp.post("/track/rate")
@tracking_code_limit
@tracking_client_limit
def rate():
    """The citizen's five-level rating of the reply."""
    code, key = request.form.get("tracking_code", ""), request.form.get("access_key", "")
    try:
        case = public.track_case(code, key)
    except NotFound:
        abort(404)
    body = form_to_body(request.form, ("rating", "resolved", "comment"))
    data, errors = load_or_errors(RatingIn(), body)
    if data is None:
        return render_case(case, key, errors, 422, request.form)
    try:
        case = public.rate_case(code, key, data["rating"], data["resolved"], data["comment"])
    except Conflict:
        return render_case(case, key, {"rating": [_("This reply has already been rated.")]}, 409)
    return render_case(case, key)
