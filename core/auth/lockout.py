"""Per-account login lockout: LOGIN_MAX_FAILURES wrong passwords within LOGIN_FAILURE_WINDOW_MINUTES lock
the account for LOGIN_LOCK_MINUTES (GB/T 22239 "登录失败处理"). The counters live on the users row, so
every gunicorn worker and node sees them; each step is written to the `qualityline.security` log.

The per-address limiter (LOGIN_RATE_LIMIT) stops one client trying many accounts; this stops many
clients trying one account. Anyone may lock an account by guessing its name: the lock is short and an
administrator lifts it (`flask users unlock NAME`, `POST /api/v1/users/<name>/unlock`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from core.auth.models import User
from core.db import db

security_log = logging.getLogger("qualityline.security")


def is_locked(user: User, now: datetime) -> bool:
    """True while the account's lock has not run out."""
    return user.locked_until is not None and user.locked_until > now


def record_failure(user: User, now: datetime, source: str | None) -> None:
    """Count one wrong password (under a row lock, so parallel guesses all count); lock at the limit."""
    config = current_app.config
    # of=User: the department is joined in, and PostgreSQL cannot lock the nullable side of that join.
    row = db.session.get(User, user.id, with_for_update={"of": User}, populate_existing=True)
    if row is None:  # deleted meanwhile: nothing left to lock
        return
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    if row.failed_login_since is None or now - row.failed_login_since > window:
        row.failed_login_count, row.failed_login_since = 0, now
    row.failed_login_count += 1
    security_log.warning(
        "login failed: user=%r failures=%d source=%s", row.username, row.failed_login_count, source
    )
    if config["LOGIN_MAX_FAILURES"] and row.failed_login_count >= config["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
        # The next round starts from zero once the lock runs out.
        row.failed_login_count, row.failed_login_since = 0, None
        security_log.warning(
            "account locked: user=%r until=%s source=%s", row.username, row.locked_until.isoformat(), source
        )
    db.session.commit()


def clear_failures(user: User) -> None:
    """Forget earlier wrong passwords after a successful sign-in (no write when there were none)."""
    if user.failed_login_count or user.failed_login_since is not None:
        user.failed_login_count, user.failed_login_since = 0, None
        db.session.commit()


def unlock(user: User, by: str) -> None:
    """Lift a lock and forget the failures (an administrator's decision, logged with who made it)."""
    was_locked = user.locked_until
    user.locked_until, user.failed_login_count, user.failed_login_since = None, 0, None
    security_log.warning(
        "account unlocked: user=%r by=%s was_locked_until=%s",
        user.username,
        by,
        was_locked.isoformat() if was_locked else None,
    )
