"""Between the survey page and the services: form posts to answers, answers back to form values, and the
per-question errors in the visitor's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from core.web.i18n import localize
from surveys import questions as q
from surveys.services.responses import AnswersInvalid

# Messages of the survey services shown on pages, listed so the catalogue extraction picks them up.
SERVICE_MESSAGES = (
    _l("this survey is closed"),
    _l("this survey has not started yet"),
    _l("this survey has ended"),
    _l("this invitation has already been answered"),
    _l("this invitation has expired"),
    _l("no invitation with this token"),
    _l("we already have all the answers we need from people in your group"),
    _l("this version is already published"),
    _l("only an open survey can be closed"),
    _l("only a closed survey can be reopened"),
    _l("a published version cannot change; edit a new version"),
    _l("there is no draft to publish; edit the survey first"),
    _l("publish the survey (and keep it open) before inviting people"),
    _l("lower-case letters, digits and -, 2 to 63 characters"),
    _l("already taken"),
    _l("needs a contact column (mobile number or e-mail address)"),
    _l("the file is empty"),
    _l("the file has no contacts"),
    _l("not a UTF-8 or GB 18030 text file"),
    _l("must be a .csv or .xlsx file"),
    _l("must be a .csv file"),
    _l("the file name must be 1 to 200 characters"),
    _l("the file name contains control characters"),
    _l("not a readable .xlsx workbook"),
    _l("the file has no such column"),
    _l("map at least one column to a question"),
    _l("contact: not a mainland mobile number or an e-mail address"),
    _l("contact: listed twice"),
    _l("district: not a GB/T 2260 district code"),
    _l("sex: female/女 or male/男"),
    _l("age_group: 18-29, 30-39, 40-49, 50-59 or 60+"),
    _l("locale: zh-CN or en"),
)


def form_answers(form: MultiDict, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers from a survey form: each input is named after its question; typed text is parsed per type."""
    answers: dict[str, Any] = {}
    for question in questions:
        code = question["code"]
        if question["type"] == q.MULTI:
            picked = [v for v in form.getlist(code) if v]
            if q.DONT_KNOW in picked and len(picked) == 1:
                answers[code] = q.DONT_KNOW
            elif picked:
                answers[code] = picked
            continue
        if code in form:
            answers[code] = q.parse_text(question, form.get(code))
    return answers


def form_values(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored or posted answers as the strings (or lists) the inputs are compared with."""
    values: dict[str, Any] = {}
    for code, value in answers.items():
        if isinstance(value, bool):
            values[code] = "yes" if value else "no"
        elif isinstance(value, list):
            values[code] = [str(v) for v in value]
        elif value is not None:
            values[code] = str(value)
    return values


def posted_values(form: MultiDict, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """What the visitor sent, to show again after an error."""
    return {
        question["code"]: form.getlist(question["code"])
        if question["type"] == q.MULTI
        else form.get(question["code"], "")
        for question in questions
    }


def question_errors(error: AnswersInvalid) -> dict[str, list[str]]:
    """{question code: [translated message]} ("respondent.x" keys kept as they are)."""
    errors = {}
    for name, found in error.details.items():
        key = name.removeprefix("answers.")
        errors[key] = [gettext(item.msgid, **item.params) for item in found]
    return errors


def conflict_message(message: str) -> str:
    """A service's 409 text in the visitor's language."""
    return localize(message)
