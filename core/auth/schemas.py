"""Marshmallow schemas for tokens, users and departments."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.auth.roles import Role
from core.clock import utcnow

ROLE_VALUES = [r.value for r in Role]


class TokenIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class DepartmentIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    region_code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class DepartmentOut(Schema):
    code = fields.String()
    name = fields.String()
    region_code = fields.String()
    is_active = fields.Boolean()


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.String(load_default="", validate=validate.Length(max=64))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_VALUES))
    department_code = fields.String(load_default=None, allow_none=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class UserPatchIn(Schema):
    role = fields.String(validate=validate.OneOf(ROLE_VALUES))
    department_code = fields.String(allow_none=True)
    is_active = fields.Boolean()


class PasswordIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class UserOut(Schema):
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department_code = fields.Function(lambda u: u.department.code if u.department else None)
    is_active = fields.Boolean()
    locked_until = fields.Method("_locked_until", metadata={"description": "end of a login lockout, if any"})

    def _locked_until(self, user) -> str | None:
        locked = user.locked_until
        return locked.isoformat() if locked is not None and locked > utcnow() else None
