"""Admin API for Open311: partner api_keys and the extra questions (attributes) of each service."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import Blueprint
from core.auth.guard import current_staff, staff_required
from core.auth.roles import Role
from open311.models import DATATYPES
from open311.services import catalogue, keys

blp = Blueprint(
    "open311_admin", __name__, url_prefix="/api/v1/admin/open311", description="Admin: Open311 keys, services"
)


class ApiKeyIn(Schema):
    client = fields.String(required=True, validate=validate.Length(min=1, max=100))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class ApiKeyOut(Schema):
    id = fields.Integer()
    client = fields.String()
    key_prefix = fields.String(metadata={"description": "First characters of the key, to tell keys apart"})
    note = fields.String()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
    is_active = fields.Boolean()


class ApiKeyCreatedOut(ApiKeyOut):
    api_key = fields.String(metadata={"description": "Shown once; only its SHA-256 is stored"})


class AttributeValueIn(Schema):
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AttributeIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$"))
    variable = fields.Boolean(load_default=True)
    datatype = fields.String(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Boolean(load_default=False)
    datatype_description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    order = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    values = fields.List(fields.Nested(AttributeValueIn), load_default=list)


class AttributesIn(Schema):
    attributes = fields.List(fields.Nested(AttributeIn), required=True)


class AttributeOut(Schema):
    code = fields.String()
    variable = fields.Boolean()
    datatype = fields.String()
    required = fields.Boolean()
    datatype_description = fields.String(allow_none=True)
    order = fields.Integer()
    description = fields.String()
    values = fields.List(fields.Dict())
    updated_at = fields.AwareDateTime()


@blp.route("/keys", methods=["GET"])
@staff_required(Role.ADMIN)
@blp.response(200, ApiKeyOut(many=True))
def list_keys():
    """Partner api_keys, newest first (the keys themselves are never shown again)."""
    return keys.list_api_keys()


@blp.route("/keys", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.arguments(ApiKeyIn)
@blp.response(201, ApiKeyCreatedOut)
def create_key(body: dict):
    """Issue an api_key for a partner system; the response is the only time the key is shown."""
    row, key = keys.create_api_key(body["client"], body["note"], current_staff())
    return {name: getattr(row, name) for name in ApiKeyOut().fields} | {"api_key": key}


@blp.route("/keys/<int:key_id>/revoke", methods=["POST"])
@blp.errors({409: "The key is already revoked"})
@staff_required(Role.ADMIN)
@blp.response(200, ApiKeyOut)
def revoke_key(key_id: int):
    """Revoke an api_key: POSTs with it get 403 from now on."""
    return keys.revoke_api_key(key_id)


@blp.route("/services/<service_code>/attributes", methods=["GET"])
@staff_required(Role.ADMIN, Role.SUPERVISOR)
@blp.response(200, AttributeOut(many=True))
def list_attributes(service_code: str):
    """The extra questions Open311 clients are asked for this service (category)."""
    catalogue.require_service(service_code)
    return catalogue.list_attributes(service_code)


@blp.route("/services/<service_code>/attributes", methods=["PUT"])
@staff_required(Role.ADMIN)
@blp.arguments(AttributesIn)
@blp.response(200, AttributeOut(many=True))
def replace_attributes(body: dict, service_code: str):
    """Replace the service's extra questions (an empty list removes them)."""
    return catalogue.replace_attributes(service_code, body["attributes"], current_staff())
