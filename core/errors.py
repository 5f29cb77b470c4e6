"""Domain exceptions and the single JSON error body: {code, status, message, errors}."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask_smorest import Api as _SmorestApi
from marshmallow import RAISE, Schema, fields
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES


class DomainError(Exception):
    """Base for errors a service raises on purpose; carries its HTTP status."""

    status_code = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(DomainError):
    """A field failed validation (422)."""

    status_code = 422

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}", {field: [reason]})

    @classmethod
    def many(cls, errors: dict[str, list[str]]) -> InvalidInput:
        """One 422 naming several fields at once."""
        field, reasons = next(iter(errors.items()))
        error = cls(field, reasons[0])
        error.errors = errors
        error.message = "; ".join(f"{name}: {msgs[0]}" for name, msgs in errors.items())
        return error


class Unauthorized(DomainError):
    """Missing or bad credentials (401)."""

    status_code = 401


class Forbidden(DomainError):
    """Authenticated but the role or department may not do this (403)."""

    status_code = 403


class NotFound(DomainError):
    """Unknown, or not visible to the caller (404)."""

    status_code = 404


class Conflict(DomainError):
    """The object's state forbids the request, e.g. an illegal transition (409)."""

    status_code = 409


class ErrorOut(Schema):
    """The one error body of the API (documented for every error response in the OpenAPI document)."""

    class Meta:
        unknown = RAISE  # documents additionalProperties: false

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = fields.String(required=True, metadata={"description": "What went wrong, in English"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": 'Reasons per field, e.g. {"respondent.name": ["..."]}; may be empty'},
    )


def error_body(code: int, message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Build the one error body every API error uses."""
    return {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": message,
        "errors": errors or {},
    }


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"respondent.credit_code": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


log = logging.getLogger("qualityline.errors")

# The database went away (restart, failover, network), a transaction lost a serialisation race or
# deadlock, SQLite stayed locked past busy_timeout, or the pool had no connection free in time: all
# transient. 503 with Retry-After, not 500, tells a client to send the same request again (with its
# Idempotency-Key a retried submission cannot be stored twice). Listed in core/web/i18n.py for pages.
DATABASE_UNAVAILABLE = "The service is briefly unavailable; please try again in a moment."
RETRY_AFTER_SECONDS = 2

HTML_ERRORS_KEY = "qualityline.html_error_page"
# {path prefix: render(code, description)} for parts of the site with their own error format (Open311).
PREFIX_ERRORS_KEY = "qualityline.prefix_error_pages"


def prefix_error_page(path: str) -> Callable[[int, str], Any] | None:
    """The error renderer registered for the prefix `path` starts with, if any."""
    for prefix, render in current_app.extensions.get(PREFIX_ERRORS_KEY, {}).items():
        if path.startswith(prefix):
            return render
    return None


class Api(_SmorestApi):
    """flask-smorest Api whose HTTP errors use the project's error body with flat field names.

    No catch-all `default` response: each operation documents the error statuses it can really return
    (see core.api), so a contract test can tell an undocumented status from a documented one."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorOut

    def handle_http_exception(self, error: HTTPException):
        if (render := prefix_error_page(request.path)) is not None:
            return render(error.code or 500, error.description or "")
        # The web layer registers a page renderer so browsers get HTML, not JSON, outside /api/.
        html_error_page: Callable[[int, str], Any] | None = current_app.extensions.get(HTML_ERRORS_KEY)
        if html_error_page is not None and not request.path.startswith("/api/"):
            return html_error_page(error.code or 500, error.description or "")
        data = getattr(error, "data", None) or {}
        raw = data.get("errors", data.get("messages"))
        errors: dict[str, list[str]] = {}
        if isinstance(raw, dict):
            # webargs nests by location ("json", "query", "headers"); clients want the field name.
            for location, fields in raw.items():
                errors.update(flatten_errors(fields) if isinstance(fields, dict) else {location: fields})
        code = error.code or 500
        message = data.get("message") or (
            "; ".join(f"{k}: {v[0]}" for k, v in errors.items()) if errors else error.description
        )
        body = error_body(code, message or HTTP_STATUS_CODES.get(code, "Error"), errors)
        # Keep the exception's own headers (Allow on 405, Retry-After on 429), not its HTML content type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return body, code, headers


def register_error_handlers(app: Flask) -> None:
    """Map domain exceptions to the JSON error body."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        html_error_page = app.extensions.get(HTML_ERRORS_KEY)
        if html_error_page is not None and not request.path.startswith("/api/"):
            return html_error_page(error.status_code, error.message)
        response = jsonify(error_body(error.status_code, error.message, error.errors))
        response.status_code = error.status_code
        if error.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="qualityline"'
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(error: Exception):
        log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
        html_error_page = app.extensions.get(HTML_ERRORS_KEY)
        if (render := prefix_error_page(request.path)) is not None:
            response = app.make_response(render(503, DATABASE_UNAVAILABLE))
        elif html_error_page is not None and not request.path.startswith("/api/"):
            response = app.make_response(html_error_page(503, DATABASE_UNAVAILABLE))
        else:
            response = jsonify(error_body(503, DATABASE_UNAVAILABLE))
            response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
