"""Public API: submit, track and rate a case; the catalogues a form needs. No account required."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, fields

from complaints.limits import intake_limit, tracking_client_limit, tracking_code_limit
from complaints.schemas import IntakeIn, IntakeOut, PublicCaseOut, RatingIn
from complaints.services import catalogue, intake, public
from core.api import Blueprint

blp = Blueprint("public", __name__, url_prefix="/api/v1", description="Citizens: submit, track, rate")

ACCESS_KEY_HEADER = "X-Access-Key"


class CategoryOut(Schema):
    code = fields.String()
    parent_code = fields.String(allow_none=True)
    name = fields.String()
    name_en = fields.String()


class RegionOut(Schema):
    code = fields.String()
    parent_code = fields.String(allow_none=True)
    name = fields.String()
    name_en = fields.String()
    level = fields.Integer()


@blp.route("/complaints", methods=["POST"])
@intake_limit
# An instance, not the class: webargs would build the schema and its nested ones on every submission.
@blp.arguments(IntakeIn())
@blp.response(201, IntakeOut)
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "schema": {"type": "string", "maxLength": 128},
            "description": "Repeating a submission with the same key returns the same case",
        }
    ]
)
def submit_complaint(body: dict):
    """Submit a complaint, report, inquiry, help request, suggestion or praise."""
    key = (request.headers.get("Idempotency-Key") or "").strip()[:128] or None
    return intake.submit_complaint(body, key)


@blp.route("/complaints/<tracking_code>", methods=["GET"])
@tracking_code_limit
@tracking_client_limit
@blp.response(200, PublicCaseOut)
@blp.doc(
    parameters=[{"in": "header", "name": ACCESS_KEY_HEADER, "required": True, "schema": {"type": "string"}}]
)
def track_complaint(tracking_code: str):
    """Status, public timeline and reply of a case (needs the access key)."""
    return public.public_view(public.track_case(tracking_code, request.headers.get(ACCESS_KEY_HEADER)))


@blp.route("/complaints/<tracking_code>/rating", methods=["POST"])
@tracking_code_limit
@tracking_client_limit
@blp.errors({409: "The case has no reply to rate yet, or the reply is already rated"})
@blp.arguments(RatingIn)
@blp.response(200, PublicCaseOut)
@blp.doc(
    parameters=[{"in": "header", "name": ACCESS_KEY_HEADER, "required": True, "schema": {"type": "string"}}]
)
def rate_complaint(body: dict, tracking_code: str):
    """Rate the reply: 5 非常满意 … 1 非常不满意; a bad rating reopens the case for rectification."""
    case = public.rate_case(
        tracking_code,
        request.headers.get(ACCESS_KEY_HEADER),
        body["rating"],
        body["resolved"],
        body["comment"],
    )
    return public.public_view(case)


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategoryOut(many=True))
def list_categories():
    """The category tree (flat, with parent codes)."""
    return catalogue.list_categories()


@blp.route("/regions", methods=["GET"])
@blp.response(200, RegionOut(many=True))
def list_regions():
    """GB/T 2260 regions served by this platform."""
    return catalogue.list_regions()
