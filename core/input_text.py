"""Text the database cannot store, refused before any view sees it: NUL bytes (PostgreSQL rejects them
in text columns and even in query parameters) and lone UTF-16 surrogates (JSON may escape them, UTF-8
cannot encode them). Without this a single "\\u0000" would be a 500 on PostgreSQL and pass on SQLite."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import gettext

from core.errors import DomainError, InvalidInput, NotFound

UNSTORABLE_REASON = "contains a NUL byte or an unpaired surrogate, which cannot be stored"


def is_unstorable(text: str) -> bool:
    """True when `text` holds a NUL or a lone surrogate (U+D800..U+DFFF)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unstorable_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first unstorable string (key or value) in decoded JSON, else None."""
    if isinstance(value, str):
        return (path or "_schema") if is_unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if is_unstorable(str(key)):
                return name if not is_unstorable(name) else (path or "_schema")
            found = unstorable_path(item, name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def _refuse_field(field: str) -> InvalidInput:
    if request.path.startswith("/api/"):
        return InvalidInput(field, UNSTORABLE_REASON)
    # Web pages show the message on the HTML error page, in the visitor's language.
    error = InvalidInput(field, UNSTORABLE_REASON)
    error.message = gettext(
        "%(field)s: contains a NUL byte or an invalid character that cannot be stored. "
        "Remove it and send the form again.",
        field=field,
    )
    return error


def check_request_text() -> None:
    """Refuse NUL bytes in the path (nothing is named so: 404), in a header (400, as gunicorn answers
    such a request; the test client and other servers let it through, and an Idempotency-Key is
    stored), in the query string, form fields and upload names (422)."""
    if any(isinstance(v, str) and is_unstorable(v) for v in (request.view_args or {}).values()):
        raise NotFound("no such resource")
    for name, value in request.headers.items():
        if is_unstorable(value):
            raise DomainError(f"header {name}: {UNSTORABLE_REASON}", {name: [UNSTORABLE_REASON]})
    for name, upload in request.files.items(multi=True):
        if upload.filename and is_unstorable(upload.filename):
            raise _refuse_field(name)
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if not (isinstance(name, str) and isinstance(value, str)):
                continue
            if is_unstorable(name) or is_unstorable(value):
                raise _refuse_field(name if not is_unstorable(name) else "_schema")


def init_input_text_guard(app: Flask) -> None:
    """Check every request's path, query string and form before its view runs (JSON: see core.api)."""
    app.before_request(check_request_text)
