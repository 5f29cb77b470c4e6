"""Rate limits of the anonymous endpoints, shared by the JSON API and the web pages.

Intake: INTAKE_RATE_LIMIT submissions per client address, the web form and POST /api/v1/complaints
drawing on one budget.

Tracking: an access key is 16 characters of Crockford base32, 80 random bits (complaints/services/
intake.py), and a wrong key looks like an unknown code (404). Only failed lookups count: at most
TRACKING_RATE_LIMIT per tracking code, whoever asks (10 per hour: 87,600 guesses a year against 2^80
keys, a chance below 10^-19), and TRACKING_CLIENT_RATE_LIMIT per client address over all codes. Once a
budget is spent, further lookups get 429 even with the right key until the window moves on, so an
attacker learns nothing from the answer. The API (track, rate) and the web pages (/track, /track/rate)
share the budgets.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from core.web.extensions import limiter


def intake_rate_limit() -> str:
    return current_app.config["INTAKE_RATE_LIMIT"]


def tracking_rate_limit() -> str:
    return current_app.config["TRACKING_RATE_LIMIT"]


def tracking_client_rate_limit() -> str:
    return current_app.config["TRACKING_CLIENT_RATE_LIMIT"]


def tracking_code_key() -> str:
    """The tracking code a lookup names: in the API path, or in the posted web form ("-" for the empty
    form, which Flask-Limiter would otherwise log as an error; it is never a 404, so it never counts)."""
    code = (request.view_args or {}).get("tracking_code") or request.form.get("tracking_code", "")
    return code.strip().upper() or "-"


def _failed_lookup(response: Response) -> bool:
    return response.status_code == 404


intake_limit = limiter.shared_limit(intake_rate_limit, scope="intake", methods=["POST"])
tracking_code_limit = limiter.shared_limit(
    tracking_rate_limit, scope="tracking-code", key_func=tracking_code_key, deduct_when=_failed_lookup
)
tracking_client_limit = limiter.shared_limit(
    tracking_client_rate_limit,
    scope="tracking-client",
    key_func=get_remote_address,
    deduct_when=_failed_lookup,
)
