"""Staff fieldwork pages: invitations (contact-list upload, hand-out links, reminders) and data imports."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.clock import utcnow
from core.errors import Conflict, InvalidInput, NotFound
from core.web.auth import web_roles_required
from core.web.i18n import localize
from surveys.schemas import SURVEY_MANAGERS
from surveys.services import importing, invitations
from surveys.services.importing import META_TARGETS
from surveys.services.uploads import upload_name
from surveys.web.staff import flash_refusal, load_survey

bp = Blueprint("survey_fieldwork", __name__, url_prefix="/staff/surveys", template_folder="../templates")

PAGE = 50


def _render_invitations(
    slug: str, errors: dict | None = None, new_link: str | None = None, status: int = 200
):
    survey = load_survey(slug)
    offset = max(request.args.get("offset", 0, type=int), 0)
    total, items = invitations.list_invitations(slug, PAGE, offset)
    return render_template(
        "surveys/staff/invitations.html",
        survey=survey,
        total=total,
        items=items,
        offset=offset,
        page=PAGE,
        now=utcnow(),
        errors=errors or {},
        new_link=new_link,
        masked=invitations.masked_contact,
    ), status


@bp.get("/<slug>/invitations")
@web_roles_required(*SURVEY_MANAGERS)
def invitation_list(slug: str):
    """Invitations with their state; forms to invite a contact list, hand out a link, send reminders."""
    return _render_invitations(slug)


@bp.post("/<slug>/invitations")
@web_roles_required(*SURVEY_MANAGERS)
def upload_contacts(slug: str):
    """Invite every contact of a CSV; a bad row creates nothing and is listed by row."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_invitations(slug, {"file": [_("Choose a CSV file.")]}, status=422)
    try:
        upload_name(upload.filename, ("csv",))
        result = invitations.invite_contacts(
            slug, upload.read(), current_user, request.form.get("days", type=int)
        )
    except InvalidInput as exc:
        errors = {name: [localize(m) for m in messages] for name, messages in exc.errors.items()}
        return _render_invitations(slug, errors, status=422)
    except Conflict as exc:
        flash_refusal(exc)
        return redirect(url_for("survey_fieldwork.invitation_list", slug=slug))
    flash(
        _("%(count)s invitations created; the messages go out within a minute.", count=result.created),
        "success",
    )
    return redirect(url_for("survey_fieldwork.invitation_list", slug=slug))


@bp.post("/<slug>/invitations/link")
@web_roles_required(*SURVEY_MANAGERS)
def hand_out_link(slug: str):
    """One invitation link to hand out; shown once."""
    try:
        _invitation, token = invitations.create_link_invitation(slug, current_user)
    except Conflict as exc:
        flash_refusal(exc)
        return redirect(url_for("survey_fieldwork.invitation_list", slug=slug))
    return _render_invitations(slug, new_link=invitations.invitation_link(token))


@bp.post("/<slug>/invitations/reminders")
@web_roles_required(*SURVEY_MANAGERS)
def send_reminders(slug: str):
    """Queue the reminders that are due now."""
    load_survey(slug)
    count = invitations.queue_reminders(slug=slug)
    flash(_("%(count)s reminders queued.", count=count), "success")
    return redirect(url_for("survey_fieldwork.invitation_list", slug=slug))


@bp.route("/<slug>/import", methods=["GET", "POST"])
@web_roles_required(*SURVEY_MANAGERS)
def import_form(slug: str):
    """Upload a CSV/XLSX with a column mapping ("column = target" lines); dry run by default."""
    survey = load_survey(slug)
    errors: dict[str, list[str]] = {}
    values = request.form if request.method == "POST" else {"dry_run": "on"}
    if request.method == "POST":
        upload = request.files.get("file")
        mapping, errors = _mapping(request.form.get("mapping", ""))
        if upload is None or not upload.filename:
            errors["file"] = [_("Choose a CSV or XLSX file.")]
        if not errors:
            try:
                job = importing.create_import(
                    slug,
                    upload.filename,
                    upload.read(),
                    mapping,
                    dry_run="dry_run" in request.form,
                    skip_bad_rows="skip_bad_rows" in request.form,
                    staff=current_user,
                )
            except InvalidInput as exc:
                errors = {
                    name.split(".")[0]: [
                        f"{name}: {localize(m)}" if "." in name else localize(m) for m in msgs
                    ]
                    for name, msgs in exc.errors.items()
                }
            else:
                return redirect(url_for("survey_fieldwork.import_status", slug=slug, import_id=job.id))
    version = survey.published or survey.latest
    return render_template(
        "surveys/staff/import.html",
        survey=survey,
        version=version,
        values=values,
        errors=errors,
        meta_targets=META_TARGETS,
    ), (422 if errors else 200)


def _mapping(text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, target = line.partition("=")
        if not sep or not column.strip() or not target.strip():
            return {}, {"mapping": [_("Line %(number)s: write column = target.", number=number)]}
        mapping[column.strip()] = target.strip()
    return mapping, {}


@bp.get("/<slug>/imports/<int:import_id>")
@web_roles_required(*SURVEY_MANAGERS)
def import_status(slug: str, import_id: int):
    """Progress bar while the scheduler works (the page refreshes itself), then the row-by-row report."""
    survey = load_survey(slug)
    try:
        job = importing.get_import(slug, import_id)
    except NotFound:
        abort(404)
    return render_template("surveys/staff/import_status.html", survey=survey, job=job)
