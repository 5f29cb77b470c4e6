"""GET /api/v1/personal-data-access: the access log, for supervisors and admins."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.auth.guard import staff_required
from core.auth.roles import Role
from core.privacy import services

blp = Blueprint(
    "privacy", __name__, url_prefix="/api/v1", description="Who saw which personal data (access log)"
)


class AccessQuery(Schema):
    subject_type = fields.String(validate=validate.OneOf(services.SUBJECT_TYPES))
    subject = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "A case's tracking code or a survey's slug"},
    )
    user = fields.String(validate=validate.Length(min=1, max=64))
    start = fields.AwareDateTime(data_key="from")
    end = fields.AwareDateTime(data_key="to")
    after = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AccessOut(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    username = fields.Function(lambda row: row.user.username)
    role = fields.String()
    subject_type = fields.String()
    subject = fields.String()
    fields_ = fields.List(fields.String(), attribute="fields", data_key="fields")
    purpose = fields.String()


class AccessPageOut(Schema):
    items = fields.List(fields.Nested(AccessOut))
    next_after = fields.Integer(allow_none=True)


@blp.route("/personal-data-access", methods=["GET"])
@staff_required(Role.SUPERVISOR, Role.ADMIN)
@blp.arguments(AccessQuery, location="query")
@blp.response(200, AccessPageOut)
def list_personal_data_access(args: dict):
    """Who was shown whose personal data, newest first (filters: subject, user, from, to)."""
    return services.list_access(
        subject_type=args.get("subject_type"),
        subject=args.get("subject"),
        username=args.get("user"),
        start=args.get("start"),
        end=args.get("end"),
        after=args.get("after"),
        limit=args["limit"],
    )
