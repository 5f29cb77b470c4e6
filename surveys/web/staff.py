"""Staff survey pages: the list, one survey's overview with publish/close, preview, monitor and export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.errors import Conflict, InvalidInput, NotFound
from core.web.auth import register_staff_home, web_roles_required
from core.web.i18n import localize
from surveys.schemas import SURVEY_EXPORTERS, SURVEY_MANAGERS, SURVEY_VIEWERS
from surveys.services import definitions, exporting, monitor
from surveys.vocab import SECTORS
from surveys.web.public import page_language

bp = Blueprint("survey_staff", __name__, url_prefix="/staff/surveys", template_folder="../templates")


@bp.record_once
def _offer_staff_home(state) -> None:
    register_staff_home(state.app, "survey_staff.survey_list", SURVEY_VIEWERS, _l("Surveys"))


def load_survey(slug: str):
    """The survey of a staff page, or the HTML 404."""
    try:
        return definitions.get_survey(slug)
    except NotFound:
        abort(404)


def flash_refusal(exc: Conflict | InvalidInput) -> None:
    """A 409/422 from a service as an error banner in the visitor's language."""
    reasons = "; ".join(localize(m) for msgs in exc.errors.values() for m in msgs) or localize(exc.message)
    flash(_("Not possible now: %(reason)s", reason=reasons), "error")


@bp.get("/")
@web_roles_required(*SURVEY_VIEWERS)
def survey_list():
    """Every survey, with a form to start one from a template or from scratch."""
    return render_template(
        "surveys/staff/list.html",
        surveys=definitions.list_surveys(),
        templates=definitions.TEMPLATES,
        sectors=SECTORS,
        may_manage=current_user.role_enum in SURVEY_MANAGERS,
    )


@bp.post("/")
@web_roles_required(*SURVEY_MANAGERS)
def create():
    """Create a survey (draft version 1) from a template or a one-question skeleton."""
    slug = request.form.get("slug", "").strip()
    template = request.form.get("template", "")
    if template in definitions.TEMPLATES:
        definition = definitions.load_template(template)
    else:
        definition = {
            "title": {"zh-CN": request.form.get("title", "").strip() or slug},
            "sector": request.form.get("sector", "public_services"),
            "languages": ["zh-CN"],
            "questions": [
                {
                    "code": "q1",
                    "type": "likert5",
                    "required": True,
                    "text": {"zh-CN": "总体而言，您是否满意？"},
                    "construct": "satisfaction",
                    "indicator": "SAT",
                }
            ],
        }
    try:
        definitions.create_survey(slug, definition, current_user)
    except (Conflict, InvalidInput) as exc:
        flash_refusal(exc)
        return redirect(url_for("survey_staff.survey_list"))
    flash(_("Survey %(slug)s created as a draft.", slug=slug), "success")
    return redirect(url_for("survey_builder.edit", slug=slug))


@bp.get("/<slug>/")
@web_roles_required(*SURVEY_VIEWERS)
def overview(slug: str):
    """Status, versions and what can be done with them."""
    survey = load_survey(slug)
    return render_template(
        "surveys/staff/overview.html",
        survey=survey,
        definition=survey.latest.definition,
        may_manage=current_user.role_enum in SURVEY_MANAGERS,
        may_export=current_user.role_enum in SURVEY_EXPORTERS,
        public_url=url_for("survey_site.take_survey", slug=slug, _external=True),
    )


def _transition(slug: str, action, done_message: str):
    try:
        action(slug)
    except (Conflict, InvalidInput) as exc:
        flash_refusal(exc)
    else:
        flash(done_message, "success")
    return redirect(url_for("survey_staff.overview", slug=slug))


@bp.post("/<slug>/publish")
@web_roles_required(*SURVEY_MANAGERS)
def publish(slug: str):
    """Publish the draft: it becomes immutable and the survey opens."""
    return _transition(slug, definitions.publish_draft, _("Published. Respondents now get this version."))


@bp.post("/<slug>/close")
@web_roles_required(*SURVEY_MANAGERS)
def close(slug: str):
    """Stop collecting."""
    return _transition(slug, definitions.close_survey, _("Closed. No more responses are accepted."))


@bp.post("/<slug>/reopen")
@web_roles_required(*SURVEY_MANAGERS)
def reopen(slug: str):
    """Collect again."""
    return _transition(slug, definitions.reopen_survey, _("Reopened."))


@bp.get("/<slug>/preview")
@web_roles_required(*SURVEY_VIEWERS)
def preview(slug: str):
    """The respondent's page of a version (the draft by default), without saving anything."""
    survey = load_survey(slug)
    number = request.args.get("version", type=int)
    version = survey.version(number) if number else survey.latest
    if version is None:
        abort(404)
    return render_template(
        "surveys/take.html",
        survey=survey,
        version=version,
        lang=page_language(version),
        questions=version.questions,
        all_questions=version.questions,
        action="#",
        values={},
        errors={},
        step="main",
        screened={},
        preview=True,
    )


@bp.get("/<slug>/monitor")
@web_roles_required(*SURVEY_VIEWERS)
def monitor_page(slug: str):
    """Responses by day and by quota cell, response and completion rates."""
    survey = load_survey(slug)
    days = min(max(request.args.get("days", 30, type=int), 1), 366)
    report = monitor.survey_monitor(slug, days)
    peak = max([c + p for _d, c, p in report.by_day] + [1])
    return render_template(
        "surveys/staff/monitor.html",
        survey=survey,
        report=report,
        days=days,
        peak=peak,
        may_export=current_user.role_enum in SURVEY_EXPORTERS,
    )


@bp.get("/<slug>/export.<file_format>")
@web_roles_required(*SURVEY_EXPORTERS)
def export(slug: str, file_format: str):
    """Responses as CSV or XLSX; analysts get the de-identified file."""
    load_survey(slug)
    if file_format not in exporting.FORMATS:
        abort(404)
    content, filename, mime = exporting.export_for(current_user, slug, file_format, request.endpoint or "")
    return Response(
        content, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
