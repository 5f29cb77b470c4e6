"""POST requests: a GeoReport v2 submission becomes a case through the same intake as the web form.

The form is checked against the spec (service, location, attributes) and turned into an intake body;
complaints.services.intake then validates, registers, sets deadlines, writes the audit event and the
receipt notice exactly as for a web submission, and the Open311 extras are stored in that same
transaction. Mapping (docs/open311.md): kind is 求助 (help) when the submitter gives a name and a phone
or e-mail, else 举报 (report, the only kind that may be anonymous); the region is the district named in
address_string, else OPEN311_REGION_CODE; the title is the first line of the description.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select

from complaints.models import Case, Category
from complaints.schemas import IntakeIn
from complaints.services.catalogue import suggest_hotline
from complaints.services.intake import submit_complaint
from complaints.states import Kind
from core.db import db
from core.errors import InvalidInput, flatten_errors
from core.regions import Region
from open311.models import ApiKey, Open311Request, ServiceAttribute
from open311.services.catalogue import list_attributes, require_service
from open311.services.params import parse_w3c

MAX_DESCRIPTION = 4000  # the spec's limit for description
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Intake field -> the Open311 parameter a client can fix.
FIELD_NAMES = {
    "complainant.name": "first_name",
    "complainant": "first_name",
    "complainant.mobile": "phone",
    "complainant.email": "email",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "title": "description",
    "category_code": "service_code",
    "region_code": "address_string",
}


def _one(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def parse_attributes(form: Any) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 -> {code: [values]}."""
    found: dict[str, list[str]] = {}
    for key in form:
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            values = form.getlist(key) if hasattr(form, "getlist") else [form[key]]
            found.setdefault(match.group(1), []).extend(v.strip() for v in values if v.strip())
    return found


def _check_value(attribute: ServiceAttribute, values: list[str], tz: ZoneInfo) -> str | list[str]:
    field = f"attribute[{attribute.code}]"
    keys = {v["key"] for v in attribute.values or []}
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in values if v not in keys]
        if unknown:
            raise InvalidInput(field, f"not among the listed values: {', '.join(unknown)}")
        return values
    if len(values) > 1:
        raise InvalidInput(field, "takes one value")
    value = values[0]
    if attribute.datatype == "singlevaluelist" and value not in keys:
        raise InvalidInput(field, f"{value!r} is not among the listed values")
    if attribute.datatype == "number":
        try:
            float(value)
        except ValueError:
            raise InvalidInput(field, "must be a number") from None
    if attribute.datatype == "datetime":
        parse_w3c(field, value, tz)
    if attribute.datatype == "string" and ("\n" in value or "\r" in value):
        raise InvalidInput(field, "a string attribute takes no line breaks")
    return value


def check_attributes(category: Category, given: dict[str, list[str]], tz: ZoneInfo) -> dict[str, Any]:
    """Answers checked against the service definition: required ones present, values of the datatype."""
    definitions = {a.code: a for a in list_attributes(category.code)}
    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    for code in given:
        if code not in definitions or not definitions[code].variable:
            errors[f"attribute[{code}]"] = ["is not an attribute of this service"]
    for code, attribute in definitions.items():
        if not attribute.variable:
            continue
        values = given.get(code) or []
        if not values:
            if attribute.required:
                errors[f"attribute[{code}]"] = ["is required for this service"]
            continue
        try:
            answers[code] = _check_value(attribute, values, tz)
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput.many(errors)
    return answers


def _location(form: Mapping[str, Any]) -> dict[str, Any]:
    lat, long = _one(form, "lat"), _one(form, "long")
    address, address_id = _one(form, "address_string"), _one(form, "address_id")
    if (lat is None) != (long is None):
        raise InvalidInput("lat" if lat is None else "long", "lat and long must be sent together")
    if lat is None and address is None and address_id is None:
        raise InvalidInput("location", "send lat and long, address_string or address_id")
    location: dict[str, Any] = {"address": address, "address_id": address_id}
    if lat is not None:
        try:
            location["latitude"], location["longitude"] = float(lat), float(long)  # type: ignore[arg-type]
        except ValueError:
            raise InvalidInput("lat", "lat and long must be numbers (WGS84 degrees)") from None
    return location


def region_for(address: str | None) -> str:
    """The district an address names (by its Chinese or English name), else the configured region."""
    if address:
        folded = address.casefold()
        for code, name, name_en in db.session.execute(
            select(Region.code, Region.name, Region.name_en).where(Region.level == 3).order_by(Region.code)
        ):
            if name in address or name_en.casefold() in folded:
                return code
    return current_app.config["OPEN311_REGION_CODE"]


def _person_name(first: str | None, last: str | None) -> str | None:
    parts = [p for p in (first, last) if p]
    if not parts:
        return None
    # Chinese names are written family name first, without a space.
    if _CJK.search("".join(parts)):
        return "".join(p for p in (last, first) if p)
    return " ".join(parts)


def _media_url(form: Mapping[str, Any]) -> str | None:
    url = _one(form, "media_url")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise InvalidInput("media_url", "must be an http(s) URL of at most 2000 characters")
    return url


def _extras_text(
    category: Category, answers: dict[str, Any], location: dict[str, Any], media_url: str | None
) -> str:
    """What staff read below the description: the answers to the extra questions and the extras."""
    lines = []
    for attribute in list_attributes(category.code):
        if attribute.code in answers:
            names = {v["key"]: v["name"] for v in attribute.values or []}
            value = answers[attribute.code]
            shown = (
                "、".join(names.get(v, v) for v in value)
                if isinstance(value, list)
                else names.get(value, value)
            )
            lines.append(f"{attribute.description}：{shown}")
    if location.get("address_id"):
        lines.append(f"地址编号（address_id）：{location['address_id']}")
    if media_url:
        lines.append(f"附件（media_url）：{media_url}")
    return "\n\n【Open311 附加信息】\n" + "\n".join(lines) if lines else ""


def intake_body(form: Mapping[str, Any], category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """The intake body (complaints IntakeIn) for an Open311 submission, before validation."""
    description = _one(form, "description")
    if description and len(description) > MAX_DESCRIPTION:
        raise InvalidInput("description", f"at most {MAX_DESCRIPTION} characters")
    location = _location(form)
    media_url = _media_url(form)
    name = _person_name(_one(form, "first_name"), _one(form, "last_name"))
    phone, email = _one(form, "phone"), _one(form, "email")
    kind = Kind.HELP if name and (phone or email) else Kind.REPORT
    text = description or f"Open311 请求：{category.name}"
    title = text.splitlines()[0].strip()[:100]
    if len(title) < 2:
        title = category.name
    return {
        "kind": kind.value,
        "category_code": category.code,
        "region_code": region_for(location["address"]),
        "title": title,
        "description": text + _extras_text(category, answers, location, media_url),
        "address": location["address"],
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "complainant": {"name": name, "mobile": phone, "email": email},
    }


def _validated(body: dict[str, Any]) -> dict[str, Any]:
    try:
        data = IntakeIn().load(body)
    except ValidationError as error:
        flat = flatten_errors(error.messages)
        raise InvalidInput.many({FIELD_NAMES.get(k, k): v for k, v in flat.items()}) from None
    return data


def post_request(form: Any, api_key: ApiKey, idempotency_key: str | None = None) -> Open311Request:
    """Register a case from an Open311 POST; returns its Open311 record (case, token, extras)."""
    category = require_service(_one(form, "service_code"))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    answers = check_attributes(category, parse_attributes(form), tz)
    data = _validated(intake_body(form, category, answers))
    # IntakeIn offers the web channels only; the channel and hotline are the adapter's to set.
    data.update(channel="open311", hotline=suggest_hotline(data["kind"], category.code))
    record = Open311Request(
        api_key_id=api_key.id,
        token=secrets.token_hex(16),
        attributes=answers,
        address_id=_one(form, "address_id"),
        media_url=_one(form, "media_url"),
        device_id=(_one(form, "device_id") or "")[:100] or None,
        account_id=(_one(form, "account_id") or "")[:100] or None,
    )

    def attach(case: Case) -> None:
        record.case_id = case.id
        db.session.add(record)

    key = f"open311:{api_key.id}:{idempotency_key}" if idempotency_key else None
    result = submit_complaint(data, key, on_registered=attach)
    if result.replayed:
        return db.session.scalar(select(Open311Request).where(Open311Request.case_id == result.case.id))
    return record


def find_by_token(token: str) -> Open311Request | None:
    """The Open311 record a token points at."""
    return db.session.scalar(select(Open311Request).where(Open311Request.token == token))
