"""Wiring of the open311 package into the app (called by the app factory, core/app.py)."""

from __future__ import annotations

from flask import Flask

from complaints.cli import complaints_cli
from complaints.services.retention import register_eraser
from core.errors import PREFIX_ERRORS_KEY
from core.web.extensions import csrf
from open311 import server
from open311.cli import import_command, open311_cli
from open311.services.retention import erase_request_personal_data
from open311.settings import init_open311_settings


def init_open311(app: Flask) -> None:
    """Settings, the GeoReport v2 blueprint (no CSRF: partners post with an api_key, not a session),
    its error format for every /open311/ URL, the commands, and the eraser of partner-sent personal data
    at the end of the retention period. The admin API blueprint is listed with the other API blueprints
    by the app factory."""
    init_open311_settings(app)
    register_eraser(app, erase_request_personal_data)
    app.register_blueprint(server.bp)
    csrf.exempt(server.bp)
    app.extensions.setdefault(PREFIX_ERRORS_KEY, {})["/open311/"] = server.render_error_list
    complaints_cli.add_command(import_command)
    app.cli.add_command(open311_cli)
