"""Citizen survey pages: the public link (/s/<slug>) and single-use invitations (/s/t/<token>), phone first,
no scripts (skip logic is CSS), errors next to each question in the visitor's language."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale

from complaints.models import Case
from core.db import db
from core.errors import Conflict, NotFound
from core.web.extensions import limiter
from surveys.services import definitions, responses
from surveys.services.quotas import QuotaFull, screening_questions
from surveys.services.responses import AnswersInvalid
from surveys.web.forms import conflict_message, form_answers, form_values, posted_values, question_errors
from surveys.web.presenters import survey_helpers

bp = Blueprint(
    "survey_site",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/surveys-static",
)
bp.app_context_processor(survey_helpers)

DEVICE_COOKIE = "ql_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


def response_rate_limit() -> str:
    return current_app.config["SURVEY_RESPONSE_RATE_LIMIT"]


def page_language(version) -> str:
    """zh-CN or en: the visitor's choice if the survey is written in it."""
    wanted = "en" if get_locale().language == "en" else "zh-CN"
    return wanted if wanted in version.definition.get("languages", ["zh-CN"]) else "zh-CN"


def _device_key() -> str:
    """The browser's survey cookie (set on the first visit); address + user agent for cookie-less clients."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    return f"cookie:{cookie}" if cookie else f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"


def _with_device_cookie(page: tuple[str, int]):
    body, status = page
    response = current_app.make_response((body, status))
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE, secrets.token_hex(16), max_age=DEVICE_COOKIE_AGE, samesite="Lax", httponly=True
        )
    return response


def _closed(message: str, status: int = 409):
    return render_template("surveys/closed.html", message=conflict_message(message)), status


def _render_take(
    survey,
    version,
    *,
    action: str,
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
    step: str = "main",
    screened: dict | None = None,
    **extra: Any,
):
    questions = version.questions
    screen = screening_questions(version)
    if step == "screen":
        shown = screen
    elif screened is not None:
        shown = [question for question in questions if question not in screen]
    else:
        shown = questions
    return render_template(
        "surveys/take.html",
        survey=survey,
        version=version,
        lang=page_language(version),
        questions=shown,
        all_questions=questions,
        action=action,
        values=values or {},
        errors=errors or {},
        step=step,
        screened=form_values(screened or {}),
        **extra,
    ), status


@bp.route("/s/<slug>", methods=["GET", "POST"])
@limiter.limit(response_rate_limit, methods=["POST"])
def take_survey(slug: str):
    """The public survey: quota screening questions first (when the survey has quotas), then the rest."""
    try:
        survey, version = definitions.get_public_survey(slug)
    except NotFound:
        abort(404)
    if not definitions.is_open(survey):
        return _closed("this survey is closed", 200)
    action = url_for("survey_site.take_survey", slug=slug)
    has_screen = bool(screening_questions(version))
    if request.method == "GET":
        return _with_device_cookie(
            _render_take(survey, version, action=action, step="screen" if has_screen else "main")
        )
    step = request.form.get("step", "main")
    if step == "screen":
        try:
            screened = responses.screen_respondent(slug, form_answers(request.form, version.questions))
        except AnswersInvalid as exc:
            posted = posted_values(request.form, version.questions)
            return _render_take(
                survey,
                version,
                action=action,
                values=posted,
                errors=question_errors(exc),
                status=422,
                step="screen",
            )
        except QuotaFull as exc:
            return render_template("surveys/screened_out.html", message=conflict_message(exc.message)), 409
        except Conflict as exc:
            return _closed(exc.message)
        return _render_take(survey, version, action=action, screened=screened)
    answers = form_answers(request.form, version.questions)
    try:
        responses.submit_open_response(
            slug, answers, locale=page_language(version), device_key=_device_key(), strict_skips=False
        )
    except AnswersInvalid as exc:
        errors = question_errors(exc)
        screen_codes = {question["code"] for question in screening_questions(version)}
        posted = posted_values(request.form, version.questions)
        if screen_codes & set(errors):  # the screening answers went missing: ask them again first
            return _render_take(
                survey, version, action=action, values=posted, errors=errors, status=422, step="screen"
            )
        screened = {c: v for c, v in answers.items() if c in screen_codes} if has_screen else None
        return _render_take(
            survey,
            version,
            action=action,
            values=posted,
            errors=errors,
            status=422,
            screened=screened,
        )
    except QuotaFull as exc:
        return render_template("surveys/screened_out.html", message=conflict_message(exc.message)), 409
    except Conflict as exc:
        return _closed(exc.message)
    session["survey_done"] = {"slug": slug}
    return redirect(url_for("survey_site.thanks", slug=slug))


@bp.get("/s/<slug>/thanks")
def thanks(slug: str):
    """After a response."""
    done = session.pop("survey_done", None) or {}
    try:
        survey, version = definitions.get_public_survey(slug)
    except NotFound:
        abort(404)
    return render_template(
        "surveys/thanks.html", survey=survey, version=version, lang=page_language(version), done=done
    )


def _case_summary(invitation) -> Case | None:
    return db.session.get(Case, invitation.case_id) if invitation.case_id else None


@bp.route("/s/t/<token>", methods=["GET", "POST"])
@limiter.limit(response_rate_limit, methods=["POST"])
def take_invitation(token: str):
    """A single-use invitation; `?<first question>=<answer>` from the message records that answer at once."""
    clicked = None
    if request.method == "GET" and len(request.args) == 1:
        code, raw = next(iter(request.args.items()))
        try:
            clicked = responses.record_one_click(token, code, raw)
        except NotFound:
            abort(404)
        except Conflict as exc:
            return _closed(exc.message)
    try:
        invitation, version, partial = responses.invitation_context(token)
    except NotFound:
        abort(404)
    except Conflict as exc:
        return _closed(exc.message)
    survey = invitation.survey
    action = url_for("survey_site.take_invitation", token=token)
    case = _case_summary(invitation)
    if request.method == "GET":
        values = form_values(partial.answer_map()) if partial is not None else {}
        return _render_take(
            survey, version, action=action, values=values, case=case, clicked=clicked is not None
        )
    answers = form_answers(request.form, version.questions)
    try:
        response = responses.submit_invited_response(
            token, answers, locale=page_language(version), strict_skips=False
        )
    except AnswersInvalid as exc:
        return _render_take(
            survey,
            version,
            action=action,
            values=posted_values(request.form, version.questions),
            errors=question_errors(exc),
            status=422,
            case=case,
        )
    except QuotaFull as exc:
        return render_template("surveys/screened_out.html", message=conflict_message(exc.message)), 409
    except Conflict as exc:
        return _closed(exc.message)
    reopened = response.case_rating_applied and _answer_is_bad(version, response.answer_map())
    session["survey_done"] = {"slug": survey.slug, "callback": bool(case), "reopened": reopened}
    return redirect(url_for("survey_site.thanks", slug=survey.slug))


def _answer_is_bad(version, answers: dict[str, Any]) -> bool:
    mapping = version.definition.get("case_feedback") or {}
    rating = answers.get(mapping.get("rating", ""))
    return isinstance(rating, int) and not isinstance(rating, bool) and rating <= 2
