"""Admin API for the complaint rules: routing, policy versions and the working-day calendar."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from complaints.services import catalogue
from core.api import Blueprint
from core.auth.guard import staff_required
from core.auth.roles import Role
from core.workdays import FIRST_DAY, LAST_DAY

blp = Blueprint(
    "complaint_admin", __name__, url_prefix="/api/v1", description="Admin: routing, policies, calendar"
)


class RoutingRuleIn(Schema):
    category_prefix = fields.String(required=True, validate=validate.Length(min=1, max=16))
    region_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6}$"))
    department_code = fields.String(required=True)
    priority = fields.Integer(load_default=0, validate=validate.Range(min=-100, max=100))


class RoutingRuleOut(Schema):
    id = fields.Integer()
    category_prefix = fields.String()
    region_code = fields.String(allow_none=True)
    department_code = fields.Function(lambda r: r.department.code)
    priority = fields.Integer()


class PolicyIn(Schema):
    rules = fields.Dict(
        required=True, metadata={"description": 'Changes to the defaults, e.g. {"feedback_wd": 3}'}
    )
    note = fields.String(load_default="", validate=validate.Length(max=200))


class PolicyOut(Schema):
    version = fields.Integer()
    effective_from = fields.AwareDateTime()
    rules = fields.Dict()
    note = fields.String()


class CalendarOverrideIn(Schema):
    day = fields.Date(required=True, validate=validate.Range(FIRST_DAY, LAST_DAY))
    is_workday = fields.Boolean(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


class CalendarOverrideOut(Schema):
    day = fields.Date()
    is_workday = fields.Boolean()
    note = fields.String()


@blp.route("/routing-rules", methods=["GET"])
@staff_required(Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER)
@blp.response(200, RoutingRuleOut(many=True))
def list_routing_rules():
    """Routing rules (category prefix + region -> department)."""
    return catalogue.list_routing_rules()


@blp.route("/routing-rules", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.arguments(RoutingRuleIn)
@blp.response(201, RoutingRuleOut)
def create_routing_rule(body: dict):
    """Add a routing rule (admin)."""
    return catalogue.create_routing_rule(
        body["category_prefix"], body["department_code"], body["region_code"], body["priority"]
    )


@blp.route("/policies", methods=["GET"])
@staff_required(Role.ADMIN, Role.SUPERVISOR)
@blp.response(200, PolicyOut(many=True))
def list_policies():
    """Policy versions, newest first."""
    return catalogue.list_policies()


@blp.route("/policies", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.arguments(PolicyIn)
@blp.response(201, PolicyOut)
def create_policy(body: dict):
    """Publish a new policy version; cases registered earlier keep their version."""
    return catalogue.create_policy(body["rules"], body["note"])


@blp.route("/calendar/overrides", methods=["GET"])
@staff_required(Role.ADMIN, Role.SUPERVISOR)
@blp.response(200, CalendarOverrideOut(many=True))
def list_calendar_overrides():
    """Local working-day overrides."""
    return catalogue.list_calendar_overrides()


@blp.route("/calendar/overrides", methods=["POST"])
@staff_required(Role.ADMIN)
@blp.arguments(CalendarOverrideIn)
@blp.response(201, CalendarOverrideOut)
def set_calendar_override(body: dict):
    """Declare a date a working day or a holiday (admin)."""
    return catalogue.set_calendar_override(body["day"], body["is_workday"], body["note"])
