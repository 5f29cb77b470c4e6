"""Web-only extensions: sessions (Flask-Login), CSRF (Flask-WTF), languages (Flask-Babel), rate limits."""

from __future__ import annotations

from flask import Response, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Keyed by client address; behind nginx ProxyFix makes that the real client, not the proxy.
# Counters live in RATELIMIT_STORAGE_URI (memory:// per process; redis:// shares them across workers).
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed_sign_in(response: Response) -> bool:
    return response.status_code == 401


# Failed sign-ins per client address, the web form and the API token endpoint sharing one budget. Only
# failures count (an office behind one NAT address signs in all day); once spent, even the right password
# gets 429 until the window moves on. Per-account lockout is core/auth/lockout.py.
login_limit = limiter.shared_limit(
    login_rate_limit, scope="staff-login", methods=["POST"], deduct_when=_failed_sign_in
)
