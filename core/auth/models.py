"""Department, User and ApiToken models."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.auth.roles import CONFIDENTIAL_ROLES, CONTACT_ROLES, DEPARTMENT_BOUND_ROLES, Role
from core.db import db, utcnow


class Department(db.Model):
    """An agency or office that handles cases (e.g. a district market-regulation bureau)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, db.Model):
    """A staff account with exactly one role and, for handlers, one department."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Login lockout (core/auth/lockout.py): wrong passwords since the window start, and the lock's end.
    failed_login_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_login_since: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")

    def get_id(self) -> str:
        """Flask-Login's session identity: the id and a stamp of the password hash, so setting a new
        password ends every web session signed in with the old one (the hash is salted: the stamp in the
        signed, readable cookie says nothing about the password)."""
        return f"{self.id}:{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted slow hash (scrypt by default), never the password."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Compare a candidate password with the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_department_bound(self) -> bool:
        return self.role_enum in DEPARTMENT_BOUND_ROLES

    @property
    def may_see_confidential(self) -> bool:
        return self.role_enum in CONFIDENTIAL_ROLES

    @property
    def may_contact_citizens(self) -> bool:
        return self.role_enum in CONTACT_ROLES


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak yields no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    def is_usable(self, now: datetime) -> bool:
        """True while neither expired nor revoked."""
        return self.revoked_at is None and self.expires_at > now
