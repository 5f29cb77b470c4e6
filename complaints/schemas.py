"""Marshmallow schemas: request bodies (...In) and responses (...Out); the OpenAPI document."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import g
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from complaints.services.actions import allowed_actions
from complaints.services.disclosure import complainant_view, masked_party
from complaints.states import (
    HOTLINES,
    PRIORITIES,
    REJECTION_REASONS,
    Channel,
    Kind,
    Outcome,
    Status,
)
from complaints.validators import normalize_mobile
from core.db import utcnow
from core.workdays import FIRST_INSTANT, LAST_INSTANT

MAX_AMOUNT = Decimal("9999999999.99")
FEEDBACK_CHANNELS = ("sms", "phone", "web", "wechat", "email", "letter", "visit", "self_service")


MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_MONEY_RANGE = validate.Range(min=0, max=MAX_AMOUNT)


def _two_places(value: Decimal) -> None:
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError("at most two decimal places")


class Money(fields.Decimal):
    """Yuan amount: a decimal string >= 0 with at most two places ("299.00"), dumped with two places.

    A JSON number is refused: binary floating point is no way to send money, and the OpenAPI document
    must say one type (string, with the pattern) for the contract tests to hold."""

    def __init__(self, **kwargs: Any):
        metadata = {"type": "string", "pattern": MONEY_PATTERN, "example": "299.00"}
        super().__init__(
            places=None,
            as_string=True,
            allow_nan=False,
            metadata={**metadata, **kwargs.pop("metadata", {})},
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError('a decimal string such as "299.00"')
        amount = super()._deserialize(value.strip(), attr, data, **kwargs)
        _two_places(amount)
        _MONEY_RANGE(amount)
        if not re.match(MONEY_PATTERN, value.strip()):
            raise ValidationError('a decimal string such as "299.00"')
        return amount

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"


class Mobile(fields.String):
    """Mainland mobile number; accepts +86/0086 and separators, stores the 11 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        number = normalize_mobile(raw)
        if number is None:
            raise ValidationError("not a mainland mobile number (11 digits starting 13-19, +86 allowed)")
        return number


class Text(fields.String):
    """A string stripped of surrounding white space, with a length range."""

    def __init__(self, min_len: int = 0, max_len: int = 200, **kwargs: Any):
        super().__init__(validate=validate.Length(min=min_len, max=max_len), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class RespondentIn(Schema):
    name = Text(1, 128, load_default=None, allow_none=True)
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=18))
    credit_code_override = fields.Boolean(load_default=False)
    address = Text(0, 200, load_default=None, allow_none=True)

    @pre_load
    def _upper_code(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("credit_code"), str):
            data = {**data, "credit_code": data["credit_code"].strip().upper() or None}
        return data


class ComplainantIn(Schema):
    name = Text(1, 64, load_default=None, allow_none=True)
    mobile = Mobile(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))


class IntakeIn(Schema):
    """A citizen's submission (POST /complaints)."""

    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in Kind]))
    channel = fields.String(load_default="web", validate=validate.OneOf(["web", "wechat", "app"]))
    hotline = fields.String(load_default="12345", validate=validate.OneOf(HOTLINES))
    category_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    region_code = fields.String(
        required=True, validate=validate.Regexp(r"^\d{6}$", error="six-digit GB/T 2260 code")
    )
    title = Text(2, 100, required=True)
    description = Text(5, 5000, required=True)
    amount_involved = Money(load_default=None, allow_none=True)
    address = Text(0, 200, load_default=None, allow_none=True)
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))
    respondent = fields.Nested(RespondentIn, load_default=dict)
    complainant = fields.Nested(ComplainantIn, load_default=dict)
    is_confidential = fields.Boolean(load_default=False)


class OperatorIntakeIn(IntakeIn):
    """An operator's registration (POST /cases): any channel, optional urgency."""

    channel = fields.String(load_default="phone", validate=validate.OneOf([c.value for c in Channel]))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))


class DeadlinesOut(Schema):
    acceptance_due_at = fields.AwareDateTime()
    sign_due_at = fields.AwareDateTime(allow_none=True)
    handling_due_at = fields.AwareDateTime(allow_none=True)
    feedback_due_at = fields.AwareDateTime(allow_none=True)
    next_due_at = fields.AwareDateTime(allow_none=True)


class IntakeOut(Schema):
    """Dumped from an IntakeResult: its receipt (the new case) and the once-shown access key."""

    tracking_code = fields.String(attribute="receipt.tracking_code")
    access_key = fields.String(metadata={"description": "Shown once; needed to track and rate the case"})
    status = fields.String(attribute="receipt.status")
    received_at = fields.AwareDateTime(attribute="receipt.received_at")
    deadlines = fields.Nested(DeadlinesOut, attribute="receipt")


class TimelineEntryOut(Schema):
    action = fields.String()
    status = fields.String()
    at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)
    to = fields.String(allow_none=True)
    department_code = fields.String(allow_none=True)


class PublicCaseOut(Schema):
    tracking_code = fields.String()
    kind = fields.String()
    status = fields.String()
    title = fields.String()
    category_code = fields.String()
    region_code = fields.String()
    received_at = fields.AwareDateTime()
    deadlines = fields.Nested(DeadlinesOut)
    outcome = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntryOut))


class RatingIn(Schema):
    rating = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=5),
        metadata={"description": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意"},
    )
    resolved = fields.Boolean(required=True)
    comment = Text(0, 1000, load_default=None, allow_none=True)


class CaseSummaryOut(Schema):
    """A row of the staff case list; phones and names masked (not needed to triage)."""

    tracking_code = fields.String()
    kind = fields.String()
    channel = fields.String()
    hotline = fields.String()
    priority = fields.String()
    status = fields.String()
    title = fields.String()
    category_code = fields.String()
    region_code = fields.String()
    department_code = fields.Function(lambda c: c.department.code if c.department else None)
    received_at = fields.AwareDateTime()
    next_due_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Function(lambda c: c.next_due_at is not None and c.next_due_at < utcnow())
    is_confidential = fields.Boolean()
    complainant_name = fields.Function(lambda c: masked_party(g.get("staff"), c).name)
    complainant_mobile = fields.Function(lambda c: masked_party(g.get("staff"), c).mobile)


class CasePageOut(Schema):
    items = fields.List(fields.Nested(CaseSummaryOut))
    next_cursor = fields.String(allow_none=True)


class PartyOut(Schema):
    name = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    hidden = fields.Boolean(metadata={"description": "A confidential reporter this role may not see"})
    masked = fields.Boolean(metadata={"description": "Masked: this role does not call citizens"})


class CaseOut(CaseSummaryOut):
    """The full record for staff; a confidential reporter's identity only for permitted roles."""

    class Meta:
        # The full record has the complainant object instead of the list's masked columns.
        exclude = ("complainant_name", "complainant_mobile")

    description = fields.String()
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    amount_involved = Money(allow_none=True)
    respondent = fields.Function(
        lambda c: {
            "name": c.respondent_name,
            "credit_code": c.respondent_credit_code,
            "credit_code_override": c.respondent_credit_code_override,
            "address": c.respondent_address,
        }
    )
    complainant = fields.Method("_complainant")
    is_incomplete = fields.Boolean()
    policy_version = fields.Integer()
    deadlines = fields.Function(lambda c: DeadlinesOut().dump(c))
    decided_at = fields.AwareDateTime(allow_none=True)
    accepted_at = fields.AwareDateTime(allow_none=True)
    assigned_at = fields.AwareDateTime(allow_none=True)
    signed_at = fields.AwareDateTime(allow_none=True)
    replied_at = fields.AwareDateTime(allow_none=True)
    feedback_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    rejection_code = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    transferred_to = fields.String(allow_none=True)
    duplicate_of = fields.Function(lambda c: c.duplicate_of.tracking_code if c.duplicate_of else None)
    pending_extension_days = fields.Integer(allow_none=True)
    extended_days = fields.Integer()
    urge_count = fields.Integer()
    return_count = fields.Integer()
    reopen_count = fields.Integer()
    outcome = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    loss_recovered = Money(allow_none=True)
    feedback_channel = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rated_resolved = fields.Boolean(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    allowed_actions = fields.Method("_allowed_actions")

    def _complainant(self, case) -> dict[str, Any]:
        # Full only for roles that call citizens; the route logs that disclosure (record_case_disclosure).
        return complainant_view(g.get("staff"), case).as_dict()

    def _allowed_actions(self, case) -> list[str]:
        staff = g.get("staff")
        return [] if staff is None else allowed_actions(staff, case)


class EventOut(Schema):
    seq = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String()
    at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)
    payload = fields.Dict()
    hash = fields.String()


class CaseListQuery(Schema):
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in Status])))
    kind = fields.List(fields.String(validate=validate.OneOf([k.value for k in Kind])))
    department = fields.String(validate=validate.Length(max=32))
    region = fields.String(validate=validate.Regexp(r"^\d{6}$", error="six-digit GB/T 2260 code"))
    category = fields.String(validate=validate.Length(max=16))
    overdue = fields.Boolean()
    due_before = fields.AwareDateTime(validate=validate.Range(FIRST_INSTANT, LAST_INSTANT))
    q = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.String(load_default="received", validate=validate.OneOf(["received", "due"]))
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


# --- action bodies -------------------------------------------------------------------------------
class EmptyIn(Schema):
    pass


class ReasonIn(Schema):
    reason = Text(1, 1000, required=True)


class RejectIn(ReasonIn):
    reason_code = fields.Integer(
        required=True,
        strict=True,
        validate=validate.OneOf(sorted(REJECTION_REASONS)),
        metadata={"description": "; ".join(f"{k} {v}" for k, v in REJECTION_REASONS.items())},
    )


class TransferIn(ReasonIn):
    to = Text(1, 128, required=True, metadata={"description": "The authority the case goes to"})


class MergeIn(Schema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=24))


class AssignIn(Schema):
    department_code = fields.String(
        load_default=None, allow_none=True, metadata={"description": "Omit to use the routing suggestion"}
    )


class ExtendIn(ReasonIn):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30))


class UrgeIn(Schema):
    note = Text(1, 1000, required=True)


class ContactIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(FEEDBACK_CHANNELS))
    note = Text(0, 1000, load_default=None, allow_none=True)


class ReplyIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in Outcome]))
    reply = Text(1, 5000, required=True)
    loss_recovered = Money(load_default=None, allow_none=True)


class FeedbackIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(FEEDBACK_CHANNELS))
    note = Text(0, 1000, load_default=None, allow_none=True)


ACTION_SCHEMAS: dict[str, type[Schema]] = {
    "accept": EmptyIn,
    "reject": RejectIn,
    "transfer": TransferIn,
    "merge": MergeIn,
    "assign": AssignIn,
    "sign": EmptyIn,
    "return": ReasonIn,
    "extend": ExtendIn,
    "approve_extension": EmptyIn,
    "urge": UrgeIn,
    "contact": ContactIn,
    "reply": ReplyIn,
    "feedback": FeedbackIn,
    "close": EmptyIn,
    "reopen": ReasonIn,
}
