"""Staff account, department and token use cases, shared by the API and the CLI."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.auth.models import ApiToken, Department, User
from core.auth.roles import DEPARTMENT_BOUND_ROLES, Role
from core.db import db, utcnow
from core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from core.regions import Region

MIN_PASSWORD_LENGTH = 8


@cache
def _dummy_hash() -> str:
    # Compared when the username is unknown, so a miss costs as much time as a wrong password.
    return generate_password_hash(secrets.token_hex(8))


def hash_token(token: str) -> str:
    """SHA-256 of a bearer token: tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_policy(password: str) -> None:
    """Refuse short passwords and passwords without both letters and digits."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        raise InvalidInput("password", "must contain letters and digits")


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
    check_password_policy(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists", {"username": ["already taken"]})
    user = User(username=username, role=role, department=department, display_name=display_name or username)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.commit()
    return user


def reset_password(username: str, password: str) -> User:
    """Set a new password and revoke the user's live tokens."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user {username!r}")
    check_password_policy(password)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    db.session.commit()
    return user


def update_user(
    username: str,
    *,
    role: str | None = None,
    department_code: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's role, department or active flag."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"unknown user {username!r}")
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
    db.session.commit()
    return user


def list_users() -> list[User]:
    """All staff accounts, by username."""
    return list(db.session.scalars(select(User).order_by(User.username)))


def authenticate(username: str, password: str) -> User:
    """Return the active user with these credentials or raise Unauthorized."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        raise Unauthorized("wrong username or password")
    if not user.check_password(password) or not user.is_active:
        raise Unauthorized("wrong username or password")
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
