"""Settings, read only from QUALITYLINE_* environment variables (twelve-factor, as Redash does)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

ENV_PREFIX = "QUALITYLINE_"

# name -> (default, parser, description); the README's configuration table is generated from this.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default is an SQLite file under instance/"),
    "SECRET_KEY": ("dev-only-change-me", str, "Signs sessions and derives idempotent access keys"),
    "TIMEZONE": ("Asia/Shanghai", str, "Local zone for working days and deadlines"),
    "TOKEN_TTL_HOURS": (12, int, "Lifetime of staff API bearer tokens"),
    "MAX_CONTENT_LENGTH": (1_048_576, int, "Largest accepted request body in bytes"),
    "PAGE_SIZE_MAX": (200, int, "Largest page a list endpoint returns"),
    "LOG_LEVEL": ("INFO", str, "Python logging level"),
    "PASSWORD_HASH_METHOD": ("scrypt", str, "werkzeug password hash method (scrypt, or pbkdf2:sha256:N)"),
    "INTAKE_RATE_LIMIT": ("10 per minute;100 per day", str, "Submissions (web form, API) per client address"),
    "RATELIMIT_STORAGE_URI": ("memory://", str, "Rate-limit counters (redis://host:6379 shares them)"),
    "SESSION_COOKIE_SECURE": (False, bool, "Cookies over HTTPS only, and HSTS sent (true in production)"),
    # Staff sign-in and sessions (core/auth/lockout.py, core/web/sessions.py).
    "SESSION_IDLE_MINUTES": (30, int, "A staff web session unused this long ends (sign in again)"),
    "SESSION_MAX_HOURS": (12, int, "A staff web session ends this long after sign-in, used or not"),
    "LOGIN_MAX_FAILURES": (5, int, "Wrong passwords within the window that lock an account (0: never)"),
    "LOGIN_FAILURE_WINDOW_MINUTES": (15, int, "Window in which wrong passwords are counted"),
    "LOGIN_LOCK_MINUTES": (15, int, "How long a locked account refuses every password"),
    "LOGIN_RATE_LIMIT": ("10 per minute;100 per day", str, "Failed sign-ins (web, API) per client address"),
    # Citizens' tracking lookups (complaints/limits.py): only failed lookups count.
    "TRACKING_RATE_LIMIT": ("10 per hour", str, "Wrong access keys per tracking code before lookups get 429"),
    "TRACKING_CLIENT_RATE_LIMIT": ("30 per hour", str, "Failed tracking lookups per client address"),
    # Scheduler, SLA engine, notifications (core/scheduler, complaints/jobs.py, complaints/notifications).
    "SCHEDULER_SCAN_SECONDS": (60.0, float, "Interval of the SLA, escalation, mediation and follow-up jobs"),
    "SCHEDULER_OUTBOX_SECONDS": (10.0, float, "Interval of the outbox delivery job"),
    "SCHEDULER_HEARTBEAT_SECONDS": (15.0, float, "How often the leading scheduler proves it is alive"),
    "SCHEDULER_STANDBY_SECONDS": (5.0, float, "How often a standby scheduler tries to take the leader lock"),
    "READYZ_HEARTBEAT_MAX_AGE": (120, int, "/readyz fails if the scheduler heartbeat is older (0: ignore)"),
    "SLA_DUE_SOON_WD": (1, int, "A deadline within this many working days is marked due soon"),
    "SLA_ESCALATE_AFTER_WD": (2, int, "Still overdue this many working days after the deadline: escalate"),
    "CALLBACK_MAX_AGE_DAYS": (7, int, "Replies older than this get no call-back invitation"),
    "OUTBOX_BATCH_SIZE": (100, int, "Notices claimed per delivery round"),
    "OUTBOX_MAX_ATTEMPTS": (8, int, "Delivery attempts before a notice is marked failed"),
    "OUTBOX_BACKOFF_SECONDS": (60, int, "First retry delay; doubles per attempt (capped at 6 h)"),
    "NOTICE_LOCALE": ("zh-CN", str, "Language of citizen notices (zh-CN or en)"),
    "PUBLIC_BASE_URL": ("http://127.0.0.1:8000", str, "Public site address used in links inside notices"),
    "SMS_GATEWAY_URL": ("", str, "SMS gateway endpoint (POST JSON); empty = SMS only written to the log"),
    "SMS_GATEWAY_TOKEN": ("", str, "Bearer token for the SMS gateway"),
    "SMS_SIGNATURE": ("【QualityLine】", str, "Registered SMS signature prepended to every text"),
    "SMTP_HOST": ("", str, "SMTP server for e-mail notices; empty = e-mail only written to the log"),
    "SMTP_PORT": (25, int, "SMTP port (587 with starttls, 465 with ssl)"),
    "SMTP_SECURITY": ("none", str, "none, starttls or ssl"),
    "SMTP_USERNAME": ("", str, "SMTP login (empty = no AUTH)"),
    "SMTP_PASSWORD": ("", str, "SMTP password"),
    "MAIL_FROM": ("QualityLine <noreply@qualityline.invalid>", str, "From: address of e-mail notices"),
    "NOTIFY_TIMEOUT": (10.0, float, "Seconds before an SMS or SMTP call is given up (retried later)"),
    # Analytics.
    "THREE_RATE_WEIGHTS": ("0.2,0.4,0.4", str, "Weights of 响应率, 解决率, 满意率 in the three-rate score"),
    "RANKING_MIN_CASES": (30, int, "Units with fewer cases behind a rate are listed but not ranked"),
    # Retention (complaints/services/retention.py; the scheduler erases nightly).
    "RETENTION_DAYS": (
        1095,
        int,
        "Days after a case is closed (or rejected, transferred, merged) before its personal data is erased; "
        "0 keeps it",
    ),
    # Production deployment.
    "PROXY_HOPS": (0, int, "Reverse proxies in front of the app whose X-Forwarded-* headers to trust"),
    "DB_POOL_SIZE": (5, int, "PostgreSQL connections kept per process (web worker or scheduler)"),
    "DB_MAX_OVERFLOW": (5, int, "Extra PostgreSQL connections a process may open under load"),
    "ANALYTICS_DATABASE_URL": (None, str, "Read replica for analytics (bind 'analytics'); unset: primary"),
    # Survey indices and indicators (analytics/services/survey_indices.py).
    "ANALYTICS_MIN_CELL": (30, int, "Survey estimates from fewer respondents are suppressed (small cells)"),
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    config: dict[str, Any] = {}
    for name, (default, parser, _doc) in SETTINGS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        config[name] = default if raw is None else (parser(raw) if parser is not bool else _parse_bool(raw))
    url = config.pop("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'qualityline.sqlite3'}"
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"].update(
            pool_size=config["DB_POOL_SIZE"], max_overflow=config["DB_MAX_OVERFLOW"], pool_recycle=1800
        )
    if analytics_url := config.pop("ANALYTICS_DATABASE_URL"):
        config["SQLALCHEMY_BINDS"] = {"analytics": analytics_url}
    config.update(
        API_TITLE="QualityLine",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE=config["TIMEZONE"],
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=config["SESSION_COOKIE_SECURE"],
        # Flask also refuses a session cookie signed longer ago than this; staff sessions are re-signed on
        # every request, so it bounds abandoned cookies (core/web/sessions.py enforces idle and maximum).
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config["SESSION_MAX_HOURS"]),
        # Flask-Login's remember-me cookie is never issued; if it ever is, it gets the same flags.
        REMEMBER_COOKIE_SECURE=config["SESSION_COOKIE_SECURE"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    return config
