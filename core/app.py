"""The application factory (the composition root: the one place that knows every package)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate.cli import db as migrate_cli
from werkzeug.middleware.proxy_fix import ProxyFix

from analytics import jobs as analytics_jobs
from analytics import web as analytics_pages
from analytics.api import complaints as complaint_analytics_api
from analytics.api import hotspots as hotspot_analytics_api
from analytics.api import indicators as indicator_api
from analytics.api import surveys as survey_analytics_api
from analytics.cli import analytics_cli
from complaints import jobs as complaint_jobs
from complaints.cli import complaints_cli, demo_command, seed_command
from complaints.routes import admin as complaint_admin_routes
from complaints.routes import public as public_routes
from complaints.routes import staff as staff_routes
from complaints.services.monitoring import complaint_metrics
from complaints.web import public as site_pages
from complaints.web import staff as staff_pages
from core.api import RowIdConverter
from core.auth import routes as auth_routes
from core.auth.cli import users_cli
from core.backup.cli import backup_command, restore_command
from core.config import load_settings
from core.db import render_migration_item
from core.errors import register_error_handlers
from core.extensions import api, db, migrate
from core.input_text import init_input_text_guard
from core.metrics import init_metrics
from core.ops import bp as ops_bp
from core.privacy import routes as privacy_routes
from core.privacy.cli import privacy_cli
from core.scheduler.cli import scheduler_cli
from core.scheduler.registry import register_jobs
from core.web.setup import init_web
from open311 import admin as open311_admin
from open311.setup import init_open311
from surveys import jobs as survey_jobs
from surveys import routes as survey_routes
from surveys.cli import surveys_cli
from surveys.setup import init_surveys

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
API_BLUEPRINTS = (
    auth_routes.blp,
    public_routes.blp,
    staff_routes.blp,
    complaint_admin_routes.blp,
    survey_routes.blp,
    complaint_analytics_api.blp,
    survey_analytics_api.blp,
    indicator_api.blp,
    hotspot_analytics_api.blp,
    open311_admin.blp,
    privacy_routes.blp,
)
COMMANDS = (
    users_cli,
    complaints_cli,
    seed_command,
    demo_command,
    scheduler_cli,
    surveys_cli,
    analytics_cli,
    privacy_cli,
)
# Each package's jobs.py (run by `flask scheduler run`) and its gauges for /metrics.
SCHEDULED_JOBS = complaint_jobs.JOBS + survey_jobs.JOBS + analytics_jobs.JOBS
METRIC_SOURCES = (complaint_metrics,)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app from QUALITYLINE_* settings (overridden by `test_config`); no I/O here."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.config.from_mapping(load_settings(app.instance_path))
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    db.init_app(app)
    # Batch mode lets later revisions ALTER tables on SQLite; compare_type catches type drift.
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIR,
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    api.init_app(
        app,
        spec_kwargs={"components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}}},
    )
    register_error_handlers(app)
    init_input_text_guard(app)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(ops_bp)
    init_metrics(app, METRIC_SOURCES)
    register_jobs(app, SCHEDULED_JOBS)
    if app.config["PROXY_HOPS"]:
        # nginx sets X-Forwarded-For/-Proto/-Host; trust exactly that many proxies, no more.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    init_web(app, API_BLUEPRINTS)
    app.register_blueprint(site_pages.bp)
    app.register_blueprint(staff_pages.bp)
    app.register_blueprint(analytics_pages.bp)  # after the workbench: analysts land on the dashboard
    init_surveys(app)  # survey pages, QUALITYLINE_SURVEY_* settings, the call-back hook for complaints
    init_open311(app)  # GeoReport v2 endpoint, QUALITYLINE_OPEN311_* settings, import and key commands
    for command in COMMANDS:
        app.cli.add_command(command)
    # Flask-Migrate's `flask db` group (upgrade, downgrade, ...) gains backup and restore.
    migrate_cli.add_command(backup_command)
    migrate_cli.add_command(restore_command)
    return app
