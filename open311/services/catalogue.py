"""Services (the category catalogue), their extra questions and the discovery document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from complaints.models import Category
from core.auth.models import User
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from open311.models import DATATYPES, ServiceAttribute, ServiceChange
from open311.rendering import MIME_TYPES

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Changeset when no service definition was ever edited: the catalogue as shipped.
CATALOGUE_CHANGESET = datetime(2026, 1, 1, tzinfo=UTC)
LIST_TYPES = ("singlevaluelist", "multivaluelist")


def _active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.is_active).order_by(Category.code)))


def offered_categories() -> list[Category]:
    """Categories offered as services: every active one below a root (the roots are the groups)."""
    return [c for c in _active_categories() if c.parent_code is not None]


def require_service(code: str | None) -> Category:
    """The category a service_code names: 400 when missing, 404 when not offered."""
    if not code:
        raise InvalidInput("service_code", "was not provided")
    category = db.session.get(Category, code)
    if category is None or not category.is_active or category.parent_code is None:
        raise NotFound(f"service_code {code} was not found")
    return category


def _root(category: Category, by_code: dict[str, Category]) -> Category:
    while category.parent_code is not None and category.parent_code in by_code:
        category = by_code[category.parent_code]
    return category


def list_services() -> list[dict[str, Any]]:
    """The GET services body, in catalogue order."""
    categories = _active_categories()
    by_code = {c.code: c for c in categories}
    with_questions = set(db.session.scalars(select(ServiceAttribute.category_code).distinct()))
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.name_en,
            "metadata": c.code in with_questions,
            "type": current_app.config["OPEN311_SERVICE_TYPE"],
            "keywords": ", ".join(dict.fromkeys([c.name_en, _root(c, by_code).name_en])),
            "group": _root(c, by_code).name,
        }
        for c in categories
        if c.parent_code is not None
    ]


def list_attributes(code: str) -> list[ServiceAttribute]:
    """The extra questions of a service, in presentation order."""
    return list(
        db.session.scalars(
            select(ServiceAttribute)
            .where(ServiceAttribute.category_code == code)
            .order_by(ServiceAttribute.order, ServiceAttribute.code)
        )
    )


def attribute_document(attribute: ServiceAttribute) -> dict[str, Any]:
    """One attribute of a service definition, field order as in the spec."""
    return {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        "order": attribute.order,
        "description": attribute.description,
        "values": [{"key": v["key"], "name": v["name"]} for v in attribute.values or []],
    }


def service_definition(code: str) -> dict[str, Any]:
    """The GET service definition body."""
    category = require_service(code)
    return {
        "service_code": category.code,
        "attributes": [attribute_document(a) for a in list_attributes(category.code)],
    }


def _check_attribute(index: int, item: dict[str, Any], seen: set[str], orders: set[int]) -> None:
    where = f"attributes.{index}"
    if item["code"] in seen:
        raise InvalidInput(f"{where}.code", "is used twice")
    if item["order"] in orders:
        raise InvalidInput(f"{where}.order", "is used twice; each attribute needs its own place")
    if item["datatype"] not in DATATYPES:
        raise InvalidInput(f"{where}.datatype", f"must be one of {', '.join(DATATYPES)}")
    values = item.get("values") or []
    if item["datatype"] in LIST_TYPES and not values:
        raise InvalidInput(f"{where}.values", "a list datatype needs values to choose from")
    if item["datatype"] not in LIST_TYPES and values:
        raise InvalidInput(f"{where}.values", "only the list datatypes take values")
    if len({v["key"] for v in values}) != len(values):
        raise InvalidInput(f"{where}.values", "keys must be unique")
    seen.add(item["code"])
    orders.add(item["order"])


def replace_attributes(
    code: str, items: list[dict[str, Any]], actor: User | None = None
) -> list[ServiceAttribute]:
    """Set a service's extra questions (the whole list; an empty list removes them)."""
    category = require_service(code)
    seen: set[str] = set()
    orders: set[int] = set()
    for index, item in enumerate(items):
        _check_attribute(index, item, seen, orders)
    db.session.execute(delete(ServiceAttribute).where(ServiceAttribute.category_code == category.code))
    now = utcnow()
    db.session.add_all(
        ServiceAttribute(
            category_code=category.code,
            code=item["code"],
            variable=item.get("variable", True),
            datatype=item["datatype"],
            required=item.get("required", False),
            datatype_description=item.get("datatype_description"),
            order=item["order"],
            description=item["description"],
            values=[{"key": v["key"], "name": v["name"]} for v in item.get("values") or []],
            updated_at=now,
        )
        for item in items
    )
    # Logged so the discovery changeset moves even when the last question of a service is removed.
    db.session.add(
        ServiceChange(category_code=category.code, changed_at=now, changed_by_id=actor.id if actor else None)
    )
    db.session.commit()
    return list_attributes(category.code)


def changeset() -> datetime:
    """When services or their definitions last changed (clients refresh cached definitions on change)."""
    newest = db.session.scalar(select(func.max(ServiceChange.changed_at)))
    return max(CATALOGUE_CHANGESET, newest) if newest is not None else CATALOGUE_CHANGESET


def discovery(base_url: str, changed: str) -> dict[str, Any]:
    """The service discovery document (all fields required by the spec)."""
    config = current_app.config
    return {
        "changeset": changed,
        "contact": config["OPEN311_CONTACT"],
        "key_service": config["OPEN311_KEY_SERVICE"],
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": changed,
                "type": config["OPEN311_ENDPOINT_TYPE"],
                "formats": list(MIME_TYPES),
            }
        ],
    }
