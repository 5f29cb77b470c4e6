"""Token, department and user endpoints (thin: parse, call one service, dump)."""

from __future__ import annotations

from flask import request

from core.api import Blueprint
from core.auth import services
from core.auth.guard import bearer_token, current_staff, staff_required
from core.auth.roles import Role
from core.auth.schemas import (
    DepartmentIn,
    DepartmentOut,
    PasswordIn,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatchIn,
)
from core.web.extensions import login_limit

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Staff tokens, users and departments")


@blp.route("/auth/tokens", methods=["POST"])
@login_limit
@blp.errors({401: "Wrong username or password, or the account is inactive"})
@blp.arguments(TokenIn)
@blp.response(201, TokenOut)
def create_token(body: dict):
    """Exchange username and password for a bearer token (failed attempts are throttled per client and
    lock the account after LOGIN_MAX_FAILURES; every failure gets the same 401)."""
    user = services.authenticate(body["username"], body["password"], request.remote_addr)
    token, expires_at = services.issue_token(user)
    return {"token": token, "expires_at": expires_at}


@blp.route("/auth/tokens/current", methods=["DELETE"])
@staff_required()
@blp.response(204)
def revoke_current_token():
    """Revoke the token this request was made with."""
    services.revoke_token(bearer_token() or "")


@blp.route("/departments", methods=["GET"])
@staff_required()
@blp.response(200, DepartmentOut(many=True))
def list_departments():
    """List departments (any staff member)."""
    return services.list_departments()


@blp.route("/departments", methods=["POST"])
@blp.errors({409: "The code is already taken"})
@staff_required(Role.ADMIN)
@blp.arguments(DepartmentIn)
@blp.response(201, DepartmentOut)
def create_department(body: dict):
    """Create a department (admin)."""
    return services.create_department(body["code"], body["name"], body["region_code"])


@blp.route("/users", methods=["GET"])
@staff_required(Role.ADMIN)
@blp.response(200, UserOut(many=True))
def list_users():
    """List staff accounts (admin)."""
    return services.list_users()


@blp.route("/users", methods=["POST"])
@blp.errors({409: "The username is already taken"})
@staff_required(Role.ADMIN)
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(body: dict):
    """Create a staff account (admin)."""
    return services.create_user(
        body["username"], body["role"], body["password"], body["department_code"], body["display_name"]
    )


@blp.route("/users/<username>", methods=["PATCH"])
@staff_required(Role.ADMIN)
@blp.arguments(UserPatchIn)
@blp.response(200, UserOut)
def update_user(body: dict, username: str):
    """Change a user's role, department or active flag (admin)."""
    return services.update_user(username, **body)


@blp.route("/users/<username>/password", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.arguments(PasswordIn)
@blp.response(204)
def reset_password(body: dict, username: str):
    """Set a new password, revoke the user's tokens and lift a lockout (admin)."""
    services.reset_password(username, body["password"], by=current_staff().username)


@blp.route("/users/<username>/unlock", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.response(200, UserOut)
def unlock_user(username: str):
    """Lift a login lockout before it runs out (admin)."""
    return services.unlock_user(username, by=current_staff().username)
