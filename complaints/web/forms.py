"""Turn HTML form posts into the API's request shapes, and errors back into per-field messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from core.errors import InvalidInput, flatten_errors
from core.web.i18n import localize

T = TypeVar("T")
Errors = dict[str, list[str]]

# Flat form inputs that belong to a nested part of the intake body.
NESTED = {
    "respondent_name": ("respondent", "name"),
    "respondent_credit_code": ("respondent", "credit_code"),
    "respondent_credit_code_override": ("respondent", "credit_code_override"),
    "respondent_address": ("respondent", "address"),
    "complainant_name": ("complainant", "name"),
    "complainant_mobile": ("complainant", "mobile"),
    "complainant_email": ("complainant", "email"),
}
CHECKBOXES = {"is_confidential", "respondent_credit_code_override", "resolved", "confirm_not_duplicate"}
# The API takes these as JSON integers (strict); a form sends text, so convert what is clearly a number.
INTEGERS = {"rating", "reason_code", "days"}


def input_name(field: str) -> str:
    """The form input an API error field refers to ("respondent.name" -> "respondent_name")."""
    return field.replace(".", "_")


def form_to_body(form: MultiDict, fields: tuple[str, ...]) -> dict[str, Any]:
    """Build a JSON-like body from the listed inputs: blanks dropped, checkboxes as booleans, nesting."""
    body: dict[str, Any] = {}
    for name in fields:
        if name in CHECKBOXES:
            value: Any = name in form
        else:
            value = form.get(name, "").strip()
            if value == "":
                continue
            if name in INTEGERS and value.isdigit():
                value = int(value)
        if name in NESTED:
            part, key = NESTED[name]
            body.setdefault(part, {})[key] = value
        else:
            body[name] = value
    return body


def load_or_errors(schema: Schema, body: dict[str, Any]) -> tuple[dict[str, Any] | None, Errors]:
    """Validate with the API's schema; errors keyed by form input and in the visitor's language."""
    try:
        return schema.load(body), {}
    except ValidationError as exc:
        return None, localize_errors(flatten_errors(exc.messages))


def localize_errors(errors: Errors) -> Errors:
    """Errors keyed by form input name, messages translated."""
    return {input_name(field): [localize(m) for m in messages] for field, messages in errors.items()}


def run_or_errors(call: Callable[[], T]) -> tuple[T | None, Errors]:
    """Run a service; a 422 from it becomes per-field errors instead of an exception."""
    try:
        return call(), {}
    except InvalidInput as exc:
        return None, localize_errors(exc.errors)
