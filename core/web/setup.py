"""Bind the web extensions to the app: sessions, CSRF, languages, rate limits, HTML error pages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, current_app, make_response, redirect, render_template, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from core.clock import utcnow
from core.errors import HTML_ERRORS_KEY
from core.web.auth import bp as auth_bp
from core.web.auth import staff_homes
from core.web.extensions import babel, csrf, limiter, login_manager
from core.web.headers import csp_nonce, set_security_headers
from core.web.i18n import DEFAULT_LOCALE, LANG_COOKIE, LANGUAGES, select_locale
from core.web.sessions import expire_staff_session

TRANSLATIONS_DIR = str(Path(__file__).resolve().parent.parent / "translations")

lang_bp = Blueprint("lang", __name__)
DUE_SOON = timedelta(hours=24)  # the queue highlights deadlines closer than this


@lang_bp.get("/lang/<code>")
def switch_language(code: str):
    """Remember the chosen language in a cookie and go back to the page the visitor was on."""
    target = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else "/"
    response = make_response(redirect(target))
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def render_error_page(code: int, message: str = ""):
    """An HTML error page in the visitor's language (API paths keep their JSON errors)."""
    return render_template("errors.html", code=code, message=message), code


def init_web(app: Flask, api_blueprints: tuple[Blueprint, ...]) -> None:
    """Set up everything the server-rendered pages need."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    login_manager.init_app(app)
    login_manager.login_view = "staff_auth.login"
    app.before_request(expire_staff_session)
    app.after_request(set_security_headers)
    csrf.init_app(app)
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)  # bearer-token JSON API: no cookie, so no cross-site request forgery
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR)
    limiter.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(lang_bp)
    app.extensions[HTML_ERRORS_KEY] = render_error_page

    @app.context_processor
    def _layout_context() -> dict:
        now = utcnow()
        chosen = "en" if get_locale().language == "en" else DEFAULT_LOCALE  # babel says zh_Hans_CN
        homes = staff_homes(current_user) if current_user.is_authenticated else []
        return {
            "languages": LANGUAGES,
            "current_locale": chosen,
            "now": now,
            "soon": now + DUE_SOON,
            "staff_homes": homes,
        }

    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters.update(
        localdate=lambda value: format_date(value, "full") if value else "",
        localdatetime=lambda value: format_datetime(value, "medium") if value else "",
        reject_keys=lambda mapping, *keys: {k: v for k, v in mapping.items() if k not in keys},
    )

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error_page(400, _("The form expired. Go back, reload the page and send it again."))
