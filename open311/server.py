"""The GeoReport v2 endpoint at /open311/v2/ (plain Flask: XML and JSON documents, not /api/v1 JSON).

Every method answers in the format its URL ends with (.xml, required by the spec, or .json) and every
error is the spec's error list: 404 for what does not exist, 403 for a missing or wrong api_key and
400 for anything else the request got wrong (docs/open311.md).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from complaints.services.intake import find_case_by_code
from core.db import utcnow
from core.errors import DomainError, Forbidden, NotFound, Unauthorized
from core.web.extensions import limiter
from open311.rendering import FORMATS, error_body, format_of_path, render, w3c_datetime
from open311.services import catalogue, keys, queries, submission, updates
from open311.services.params import parse_page, parse_window
from open311.services.projection import PublicContext, public_request

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")


def post_rate_limit() -> str:
    return current_app.config["OPEN311_RATE_LIMIT"]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"no {fmt!r} format here; use .xml or .json")
    return fmt


def _check_jurisdiction() -> None:
    served = current_app.config["OPEN311_JURISDICTION_ID"]
    asked = (request.values.get("jurisdiction_id") or "").strip()
    if served and asked and asked != served:
        raise NotFound(f"jurisdiction_id {asked} was not found")


@bp.before_request
def _before() -> None:
    _check_jurisdiction()


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    """Service discovery: where the endpoint is, its formats and how to get a key."""
    changed = w3c_datetime(catalogue.changeset(), _tz())
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + bp.url_prefix
    return render(_format(fmt), "discovery", catalogue.discovery(base, changed))


@bp.get("/services.<fmt>")
def list_services(fmt: str):
    """GET Service List: the category catalogue."""
    return render(_format(fmt), "services", catalogue.list_services())


@bp.get("/services/<service_code>.<fmt>")
def service_definition(service_code: str, fmt: str):
    """GET Service Definition: a category's extra questions."""
    return render(_format(fmt), "service_definition", catalogue.service_definition(service_code))


@bp.get("/requests.<fmt>")
def list_requests(fmt: str):
    """GET Service Requests: newest first, 90 days / 1000 rows by default, page/page_size extension."""
    fmt = _format(fmt)
    cases = queries.find_requests(request.args, utcnow(), _tz())
    ctx = PublicContext.load(cases)
    return render(fmt, "service_requests", [public_request(c, ctx) for c in cases])


@bp.post("/requests.<fmt>")
@limiter.limit(post_rate_limit, key_func=keys.rate_limit_key, methods=["POST"])
def post_request(fmt: str):
    """POST Service Request (api_key required): registers a case through the common intake."""
    fmt = _format(fmt)
    api_key = keys.require_api_key(keys.presented_key())
    idempotency_key = (request.headers.get("Idempotency-Key") or "").strip()[:100] or None
    record = submission.post_request(request.form, api_key, idempotency_key)
    case = record.case
    ctx = PublicContext.load([case])
    if current_app.config["OPEN311_SERVICE_TYPE"] == "batch":
        body = {"token": record.token}
    else:
        body = {"service_request_id": case.tracking_code}
    body.update(service_notice=public_request(case, ctx)["service_notice"], account_id=record.account_id)
    return render(fmt, "service_requests", [body])


@bp.get("/requests/<service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str):
    """GET Service Request: one request, as a one-element list."""
    fmt = _format(fmt)
    case = find_case_by_code(service_request_id)
    if case is None:
        raise NotFound(f"service_request_id {service_request_id} was not found")
    return render(fmt, "service_requests", [public_request(case, PublicContext.load([case]))])


@bp.get("/tokens/<token>.<fmt>")
def get_token(token: str, fmt: str):
    """GET service_request_id from a token."""
    fmt = _format(fmt)
    record = submission.find_by_token(token)
    if record is None:
        raise NotFound(f"token {token} was not found")
    return render(
        fmt, "service_requests", [{"service_request_id": record.case.tracking_code, "token": token}]
    )


@bp.get("/servicerequestupdates.<fmt>")
def list_updates(fmt: str):
    """mySociety extension: public steps of all cases in a window (90 days at most), oldest first."""
    fmt = _format(fmt)
    window = parse_window(request.args, utcnow(), _tz())
    page, page_size = parse_page(request.args)
    return render(fmt, "service_requests_updates", updates.list_updates(window, page, page_size))


@bp.post("/servicerequestupdates.<fmt>")
@limiter.limit(post_rate_limit, key_func=keys.rate_limit_key, methods=["POST"])
def post_update(fmt: str):
    """mySociety extension: a partner's update on a request it submitted (api_key required)."""
    fmt = _format(fmt)
    api_key = keys.require_api_key(keys.presented_key())
    record = updates.post_update(request.form, api_key)
    return render(fmt, "service_request_updates", [{"update_id": str(record.event_id)}])


def _errors_of(error: DomainError) -> tuple[int, list[tuple[int, str]]]:
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, Forbidden | Unauthorized):
        status = 403
    else:
        status = 400  # the spec's "any other error where the request can not be fulfilled"
    if error.errors:
        return status, [(status, f"{field}: {msg}") for field, msgs in error.errors.items() for msg in msgs]
    return status, [(status, error.message)]


def render_error_list(code: int, description: str):
    """An HTTP error (unknown URL, wrong method, too large, rate limit ...) as the spec's error list."""
    return render(format_of_path(request.path), "errors", error_body([(code, description)]), code)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    status, errors = _errors_of(error)
    return render(format_of_path(request.path), "errors", error_body(errors), status)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return render_error_list(error.code or 500, error.description or "error")
