"""Staff account, department and token use cases, shared by the API and the CLI."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.auth import lockout
from core.auth.models import ApiToken, Department, User
from core.auth.passwords import check_password_policy
from core.auth.roles import DEPARTMENT_BOUND_ROLES, Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from core.regions import Region


@cache
def _dummy_hash(method: str) -> str:
    # Compared when the username is unknown, so a miss costs as much time as a wrong password (same method).
    return generate_password_hash(secrets.token_hex(8), method=method)


def wrong_credentials_message() -> str:
    """The one refusal of a sign-in: wrong password, unknown name, locked or inactive account alike."""
    config = current_app.config
    if not config["LOGIN_MAX_FAILURES"]:
        return "wrong username or password"
    return (
        f"wrong username or password (after {config['LOGIN_MAX_FAILURES']} failures within "
        f"{config['LOGIN_FAILURE_WINDOW_MINUTES']} minutes an account is locked for "
        f"{config['LOGIN_LOCK_MINUTES']} minutes)"
    )


def hash_token(token: str) -> str:
    """SHA-256 of a bearer token: tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_department(code: str) -> Department:
    """Return the department with this code or raise NotFound."""
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(f"unknown department {code!r}", {"department_code": ["unknown department"]})
    return department


def _check_role_department(role: str, department_code: str | None) -> Department | None:
    try:
        role_enum = Role(role)
    except ValueError:
        raise InvalidInput("role", f"must be one of {', '.join(r.value for r in Role)}") from None
    if department_code is None:
        if role_enum in DEPARTMENT_BOUND_ROLES:
            raise InvalidInput("department_code", f"a {role} must belong to a department")
        return None
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise InvalidInput("department_code", "unknown department")
    return department


def create_user(
    username: str, role: str, password: str, department_code: str | None = None, display_name: str = ""
) -> User:
    """Create a staff account with a hashed password."""
    if not username or len(username) > 64:
        raise InvalidInput("username", "must be 1 to 64 characters")
    department = _check_role_department(role, department_code)
    check_password_policy(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists", {"username": ["already taken"]})
    user = User(username=username, role=role, department=department, display_name=display_name or username)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.commit()
    return user


def get_user(username: str) -> User:
    """Return the account with this username or raise NotFound."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user {username!r}")
    return user


def _revoke_tokens(user: User) -> None:
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


def reset_password(username: str, password: str, by: str = "cli") -> User:
    """Set a new password, revoke the user's live tokens and lift a lock (web sessions end by themselves:
    their identity carries a stamp of the old password hash)."""
    user = get_user(username)
    check_password_policy(password, username)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    _revoke_tokens(user)
    if lockout.is_locked(user, utcnow()) or user.failed_login_count:
        lockout.unlock(user, by)
    lockout.security_log.warning("password reset: user=%r by=%s; tokens revoked", username, by)
    db.session.commit()
    return user


def unlock_user(username: str, by: str = "cli") -> User:
    """Lift a login lockout before it runs out (an administrator's decision)."""
    user = get_user(username)
    lockout.unlock(user, by)
    db.session.commit()
    return user


def update_user(
    username: str,
    *,
    role: str | None = None,
    department_code: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's role, department or active flag (deactivating revokes the user's tokens, so a
    later reactivation does not bring old tokens back)."""
    user = get_user(username)
    new_role = role or user.role
    new_code = (
        department_code
        if department_code is not None
        else (user.department.code if user.department else None)
    )
    user.department = _check_role_department(new_role, new_code)
    user.role = new_role
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            _revoke_tokens(user)
    db.session.commit()
    return user


def list_users() -> list[User]:
    """All staff accounts, by username."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def authenticate(username: str, password: str, source: str | None = None) -> User:
    """Return the active, unlocked user with these credentials or raise Unauthorized with one message for
    every failure, so a caller cannot tell an unknown name from a wrong password or a locked account.
    `source` (the client address) only goes into the security log."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        lockout.security_log.warning("login failed: unknown user=%r source=%s", username, source)
        raise Unauthorized(wrong_credentials_message())
    password_ok = user.check_password(password)  # also when locked: a locked account costs the same time
    now = utcnow()
    if lockout.is_locked(user, now):
        lockout.security_log.warning(
            "login refused: user=%r is locked until %s source=%s",
            username,
            user.locked_until.isoformat() if user.locked_until else None,
            source,
        )
        raise Unauthorized(wrong_credentials_message())
    if not password_ok:
        lockout.record_failure(user, now, source)
        raise Unauthorized(wrong_credentials_message())
    if not user.is_active:
        lockout.security_log.warning("login refused: user=%r is inactive source=%s", username, source)
        raise Unauthorized(wrong_credentials_message())
    lockout.clear_failures(user)
    return user


def issue_token(user: User) -> tuple[str, datetime]:
    """Create a bearer token for the user; the clear token is returned once and never stored."""
    token = "qlt_" + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=current_app.config["TOKEN_TTL_HOURS"])
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
    db.session.commit()
    return token, expires_at


def user_for_token(token: str) -> User:
    """Resolve a bearer token to its active user or raise Unauthorized."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not row.is_usable(utcnow()) or not row.user.is_active:
        raise Unauthorized("invalid, expired or revoked token")
    return row.user


def revoke_token(token: str) -> None:
    """Revoke one bearer token (logout)."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def create_department(code: str, name: str, region_code: str) -> Department:
    """Create a department in a known region."""
    if db.session.get(Region, region_code) is None:
        raise InvalidInput("region_code", "unknown GB/T 2260 region code")
    if db.session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise Conflict(f"department {code!r} exists", {"code": ["already taken"]})
    department = Department(code=code, name=name, region_code=region_code)
    db.session.add(department)
    db.session.commit()
    return department


def list_departments() -> list[Department]:
    """All departments, by code."""
    return list(db.session.scalars(select(Department).order_by(Department.code)))
