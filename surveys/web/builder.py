"""The survey builder: edit a draft's settings and questions (add, change, move, delete), or the whole
definition as JSON. Every save checks the whole definition; a published version is never edited."""

from __future__ import annotations

import copy
import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import Conflict, InvalidInput
from core.web.auth import web_roles_required
from core.web.i18n import localize
from surveys import questions as q
from surveys.schemas import SURVEY_MANAGERS
from surveys.services import definitions
from surveys.vocab import ATTRIBUTES, CONSTRUCTS, SECTORS
from surveys.web.builder_forms import (
    form_to_question,
    form_to_settings,
    question_form_errors,
    question_to_form,
    settings_form_errors,
    settings_to_form,
)
from surveys.web.staff import flash_refusal, load_survey

bp = Blueprint("survey_builder", __name__, url_prefix="/staff/surveys", template_folder="../templates")


def _localized_errors(exc: InvalidInput) -> dict[str, list[str]]:
    return {name: [localize(m) for m in messages] for name, messages in exc.errors.items()}


def _render(
    slug: str,
    *,
    open_question: int | None = None,
    question_values: dict | None = None,
    errors: dict | None = None,
    settings_values: dict | None = None,
    json_text: str | None = None,
    status: int = 200,
):
    survey = load_survey(slug)
    version = survey.draft or survey.latest
    definition = version.definition
    return render_template(
        "surveys/staff/builder.html",
        survey=survey,
        version=version,
        editable=version.published_at is None,
        definition=definition,
        settings=settings_values or settings_to_form(definition),
        question_forms=[question_to_form(question) for question in definition["questions"]],
        open_question=open_question,
        question_values=question_values,
        errors=errors or {},
        json_text=json_text or json.dumps(definition, ensure_ascii=False, indent=2),
        types=q.TYPES,
        constructs=CONSTRUCTS,
        attributes=ATTRIBUTES,
        sectors=SECTORS,
    ), status


def _draft_definition(slug: str) -> dict[str, Any]:
    survey = load_survey(slug)
    return copy.deepcopy((survey.draft or survey.latest).definition)


def _save(slug: str, definition: dict[str, Any]) -> InvalidInput | None:
    try:
        definitions.save_draft(slug, definition, current_user)
    except InvalidInput as exc:
        return exc
    return None


@bp.get("/<slug>/edit")
@web_roles_required(*SURVEY_MANAGERS)
def edit(slug: str):
    """The draft in the builder (a published latest version is shown read-only with "start a new version")."""
    return _render(slug)


@bp.post("/<slug>/draft")
@web_roles_required(*SURVEY_MANAGERS)
def start_draft(slug: str):
    """Start the next version as a copy of the latest one."""
    load_survey(slug)
    try:
        version = definitions.start_draft(slug, current_user)
    except Conflict as exc:
        flash_refusal(exc)
    else:
        flash(
            _("Version %(number)s is a draft now; edit it and publish it when ready.", number=version.number),
            "success",
        )
    return redirect(url_for("survey_builder.edit", slug=slug))


@bp.post("/<slug>/edit/settings")
@web_roles_required(*SURVEY_MANAGERS)
def save_settings(slug: str):
    """Title, introduction, sector, languages, period, invitation validity, targets."""
    definition = form_to_settings(request.form, _draft_definition(slug))
    error = _save(slug, definition)
    if error is not None:
        return _render(
            slug,
            errors={"settings": settings_form_errors(_localized_errors(error))},
            settings_values=request.form,
            status=422,
        )
    flash(_("Saved."), "success")
    return redirect(url_for("survey_builder.edit", slug=slug))


@bp.post("/<slug>/edit/questions/<int:index>")
@web_roles_required(*SURVEY_MANAGERS)
def save_question(slug: str, index: int):
    """Change question `index`, or add one when `index` is one past the last."""
    definition = _draft_definition(slug)
    questions = definition["questions"]
    if not 0 <= index <= len(questions):
        abort(404)
    question = form_to_question(request.form, questions[:index])
    if index == len(questions):
        questions.append(question)
    else:
        questions[index] = question
    error = _save(slug, definition)
    if error is not None:
        return _render(
            slug,
            open_question=index,
            question_values=request.form,
            errors={"question": question_form_errors(_localized_errors(error), index)},
            status=422,
        )
    flash(_("Question %(number)s saved.", number=index + 1), "success")
    return redirect(url_for("survey_builder.edit", slug=slug) + f"#question-{index}")


@bp.post("/<slug>/edit/questions/<int:index>/delete")
@web_roles_required(*SURVEY_MANAGERS)
def delete_question(slug: str, index: int):
    """Remove a question (refused when another question's condition depends on it)."""
    definition = _draft_definition(slug)
    if not 0 <= index < len(definition["questions"]):
        abort(404)
    del definition["questions"][index]
    error = _save(slug, definition)
    if error is not None:
        flash_refusal(error)
    else:
        flash(_("Question deleted."), "success")
    return redirect(url_for("survey_builder.edit", slug=slug))


@bp.post("/<slug>/edit/questions/<int:index>/move")
@web_roles_required(*SURVEY_MANAGERS)
def move_question(slug: str, index: int):
    """Move a question one place up or down (a condition must still point at an earlier question)."""
    definition = _draft_definition(slug)
    questions = definition["questions"]
    other = index - 1 if request.form.get("direction") == "up" else index + 1
    if not (0 <= index < len(questions) and 0 <= other < len(questions)):
        abort(404)
    questions[index], questions[other] = questions[other], questions[index]
    error = _save(slug, definition)
    if error is not None:
        flash_refusal(error)
    return redirect(url_for("survey_builder.edit", slug=slug) + f"#question-{other}")


@bp.post("/<slug>/edit/json")
@web_roles_required(*SURVEY_MANAGERS)
def save_json(slug: str):
    """Replace the whole draft definition (weighting margins, quotas, call-back mapping live here)."""
    text = request.form.get("definition", "")
    try:
        definition = json.loads(text)
    except ValueError as exc:
        return _render(
            slug,
            errors={"json": {"definition": [_("Not valid JSON: %(reason)s", reason=str(exc))]}},
            json_text=text,
            status=422,
        )
    error = _save(slug, definition)
    if error is not None:
        return _render(slug, errors={"json": _localized_errors(error)}, json_text=text, status=422)
    flash(_("Saved."), "success")
    return redirect(url_for("survey_builder.edit", slug=slug))
