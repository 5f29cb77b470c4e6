"""Staff web sessions: a fresh session at sign-in, an idle limit and an absolute limit (GB/T 22239
"登录连接超时自动退出"), and a clean end at sign-out.

Flask keeps the session in a signed cookie, so the limits are two timestamps inside it, checked on every
request: a copied cookie stops working once either runs out, with no server-side state. A new password
or a deactivated account ends sessions too (core/web/auth.py load_user, User.get_id).
"""

from __future__ import annotations

from flask import current_app, flash, g, session
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from core.auth.models import User
from core.clock import utcnow

SIGNED_IN_AT = "staff_since"
LAST_SEEN_AT = "staff_seen"
FLASK_LOGIN_USER_KEY = "_user_id"  # where Flask-Login keeps the signed-in identity


def _clear_session() -> None:
    session.clear()
    # Flask-WTF caches the request's signed token in g; it was made from the secret just cleared.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_staff_session(user: User) -> None:
    """Sign `user` in on a fresh session: nothing from before the sign-in is carried over, not even the
    CSRF secret (a token planted before sign-in is worthless after it)."""
    _clear_session()
    login_user(user)
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = utcnow().timestamp()


def end_staff_session() -> None:
    """Sign out and drop everything the session held."""
    logout_user()
    _clear_session()


def expire_staff_session() -> None:
    """before_request: end a staff session idle too long or open too long; otherwise record activity."""
    if FLASK_LOGIN_USER_KEY not in session:
        return
    now = utcnow().timestamp()
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT)
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    max_age = current_app.config["SESSION_MAX_HOURS"] * 3600
    if signed_in is None or seen is None or now - seen > idle_limit or now - signed_in > max_age:
        end_staff_session()
        flash(_("Your session has expired. Please sign in again."), "info")
        return
    # Never backwards: another node's clock (or a test's travel_to) may lag behind the one that signed in.
    if now > seen:
        session[LAST_SEEN_AT] = now
