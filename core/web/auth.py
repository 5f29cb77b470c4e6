"""Staff sign-in for the web pages (Flask-Login sessions) and the role check of every staff page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.models import User
from core.auth.roles import Role
from core.auth.services import authenticate
from core.db import db
from core.errors import Unauthorized
from core.web.extensions import login_limit, login_manager
from core.web.sessions import end_staff_session, start_staff_session

bp = Blueprint("staff_auth", __name__, url_prefix="/staff")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login hook: the active user of a session, or None (which logs the session out). The id
    carries a stamp of the password hash (User.get_id), so a session from before a reset is refused."""
    user_id = session_id.partition(":")[0]
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or user.get_id() != session_id:
        return None
    return user


STAFF_HOMES_KEY = "qualityline.staff_homes"


def register_staff_home(app, endpoint: str, roles: tuple[Role, ...], label) -> None:
    """A package offers a staff start page (nav link; the first one a role may open is its landing page)."""
    app.extensions.setdefault(STAFF_HOMES_KEY, []).append((endpoint, frozenset(roles), label))


def staff_homes(user: User) -> list[tuple[str, object]]:
    """(endpoint, label) of the start pages this user's role may open, in registration order."""
    homes = current_app.extensions.get(STAFF_HOMES_KEY, [])
    return [(endpoint, label) for endpoint, roles, label in homes if user.role_enum in roles]


def _safe_next(target: str | None, user: User) -> str:
    # Only same-site relative paths, so a crafted ?next= cannot bounce staff to another host.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    homes = staff_homes(user)
    return url_for(homes[0][0]) if homes else url_for("site.home")


def _wrong_credentials() -> str:
    config = current_app.config
    if not config["LOGIN_MAX_FAILURES"]:
        return _("Wrong username or password.")
    return _(
        "Wrong username or password. After %(failures)s failed attempts within %(window)s minutes "
        "an account is locked for %(minutes)s minutes.",
        failures=config["LOGIN_MAX_FAILURES"],
        window=config["LOGIN_FAILURE_WINDOW_MINUTES"],
        minutes=config["LOGIN_LOCK_MINUTES"],
    )


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    """Sign-in form (failures are throttled per address and lock the account; all look the same)."""
    error = None
    username = request.form.get("username", "")
    if request.method == "POST":
        try:
            user = authenticate(username, request.form.get("password", ""), request.remote_addr)
        except Unauthorized:
            error = _wrong_credentials()
        else:
            start_staff_session(user)
            return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", error=error, username=username), (401 if error else 200)


@bp.post("/logout")
def logout():
    """Sign out (POST, so a link on another site cannot log staff out)."""
    end_staff_session()
    return redirect(url_for("staff_auth.login"))


def web_roles_required(*roles: Role) -> Callable:
    """Require a signed-in staff member with one of `roles` (any role when none given)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return redirect(url_for("staff_auth.login", next=request.full_path.rstrip("?")))
            if roles and current_user.role_enum not in roles:
                abort(403)
            g.staff = current_user._get_current_object()
            return view(*args, **kwargs)

        return wrapper

    return decorator
