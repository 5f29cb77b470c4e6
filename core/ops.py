"""Liveness, readiness and metrics for the load balancer, systemd and Prometheus."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.db import db, utcnow
from core.metrics import render_metrics
from core.scheduler.heartbeat import current_heartbeat

bp = Blueprint("ops", __name__)


@cache
def migration_head(directory: str) -> str | None:
    """The newest revision in the migrations directory (what `flask db upgrade` reaches)."""
    return ScriptDirectory(directory).get_current_head()


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


def _scheduler_check(max_age: int) -> tuple[str | None, dict | None]:
    heartbeat = current_heartbeat()
    if heartbeat is None:
        return (None if max_age <= 0 else "no heartbeat: is `flask scheduler run` running?"), None
    age = round((utcnow() - heartbeat.beat_at).total_seconds(), 1)
    info = {"holder": heartbeat.holder, "heartbeat_age_seconds": age}
    if max_age <= 0:
        return None, info
    return ("ok" if age <= max_age else f"heartbeat {age:.0f} s old (limit {max_age} s)"), info


@bp.get("/readyz")
def readyz():
    """The database answers, the schema is at the newest migration and the scheduler's heartbeat is recent."""
    try:
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        scheduler_check, scheduler = _scheduler_check(current_app.config["READYZ_HEARTBEAT_MAX_AGE"])
    except SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(
            status="unavailable", error=type(exc).__name__, checks={"database": "unreachable"}
        ), 503
    head = migration_head(current_app.extensions["migrate"].directory)
    checks = {"database": "ok", "migrations": "ok" if version == head else f"at {version}, newest is {head}"}
    if scheduler_check is not None:
        checks["scheduler"] = scheduler_check
    ready = all(value == "ok" for value in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "schema": version,
        "checks": checks,
        "scheduler": scheduler,
    }
    return jsonify(body), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text exposition (keep it internal: deploy/nginx.conf only lets local scrapers in)."""
    payload, content_type = render_metrics()
    return Response(payload, content_type=content_type)
