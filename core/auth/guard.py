"""Authentication of staff requests and the role check every staff route declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from core.api import document_errors
from core.auth.models import User
from core.auth.roles import Role
from core.auth.services import user_for_token
from core.errors import Forbidden, Unauthorized


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_staff() -> User:
    """The authenticated staff member of this request (set by staff_required)."""
    staff = g.get("staff")
    if staff is None:
        raise Unauthorized("authentication required")
    return staff


def staff_required(*roles: Role) -> Callable:
    """Require a valid bearer token whose user has one of `roles` (any role when none given)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            token = bearer_token()
            if token is None:
                raise Unauthorized("authentication required: send Authorization: Bearer <token>")
            user = user_for_token(token)
            if roles and user.role_enum not in roles:
                raise Forbidden(f"role {user.role!r} may not do this")
            g.staff = user
            return view(*args, **kwargs)

        # flask-smorest reads _apidoc from the function; document the bearer requirement there.
        wrapper._apidoc = dict(getattr(view, "_apidoc", {}))  # type: ignore[attr-defined]
        wrapper._apidoc["manual_doc"] = {  # type: ignore[attr-defined]
            **wrapper._apidoc.get("manual_doc", {}),  # type: ignore[attr-defined]
            "security": [{"bearerAuth": []}],
        }
        errors = {401: "No bearer token, or an unknown, expired or revoked one"}
        if roles:
            errors[403] = "The token's role (or department) may not do this"
        return document_errors(wrapper, errors)

    return decorator
