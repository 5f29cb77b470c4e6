"""Catalogues (categories, regions), policy versions, routing rules and the working calendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from complaints.models import Case, Category, Policy, RoutingRule
from complaints.policy import DEFAULT_RULES, DeadlineRules, merge_rules
from core.auth.models import Department
from core.auth.services import get_department
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.regions import Region
from core.workdays import CalendarOverride, load_calendar


def _load_json(name: str) -> list[dict[str, Any]]:
    return json.loads(resources.files("complaints").joinpath("data", name).read_text(encoding="utf-8"))


def seed_catalogues() -> dict[str, int]:
    """Load regions, categories and the default policy; idempotent (existing rows are kept)."""
    added = {"regions": 0, "categories": 0, "policies": 0}
    for row in _load_json("regions.json"):
        if db.session.get(Region, row["code"]) is None:
            db.session.add(Region(**row))
            added["regions"] += 1
    db.session.flush()
    for row in _load_json("categories.json"):
        if db.session.get(Category, row["code"]) is None:
            db.session.add(Category(**row))
            added["categories"] += 1
    if db.session.scalar(select(func.count()).select_from(Policy)) == 0:
        # The defaults are the statute's (SAMR Order 20, in force since 2020-07-01), so they cover history.
        db.session.add(
            Policy(
                version=1,
                effective_from=datetime(2020, 7, 1, tzinfo=UTC),
                rules=dict(DEFAULT_RULES),
                note="DESIGN.md defaults (SAMR Order 20)",
            )
        )
        added["policies"] = 1
    db.session.commit()
    return added


def list_categories() -> list[Category]:
    """Active categories in code order (parents before children)."""
    return list(db.session.scalars(select(Category).where(Category.is_active).order_by(Category.code)))


def list_regions() -> list[Region]:
    """Regions in code order."""
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def suggest_hotline(kind: str, category_code: str) -> str:
    """The hotline a web case belongs to: 12315 market disputes, 12369 environment, else 12345."""
    if kind in ("complaint", "report") and category_code[:1] in ("G", "S"):
        return "12315"
    if category_code.startswith("V"):
        return "12369"
    return "12345"


UNKNOWN_CATEGORY = "unknown category; see GET /api/v1/categories"
UNKNOWN_REGION = "unknown GB/T 2260 region code; see GET /api/v1/regions"


def require_region(code: str) -> Region:
    """The region with this code, or a 422 on region_code."""
    region = db.session.get(Region, code)
    if region is None:
        raise InvalidInput("region_code", UNKNOWN_REGION)
    return region


def require_catalogue_codes(category_code: str, region_code: str) -> None:
    """A 422 on category_code unless that category is active, else on region_code unless that region exists;
    one round trip for both, as intake checks them on every submission."""
    category_active, region_known = db.session.execute(
        select(
            select(Category.is_active).where(Category.code == category_code).scalar_subquery(),
            select(Region.code).where(Region.code == region_code).exists(),
        )
    ).one()
    if not category_active:
        raise InvalidInput("category_code", UNKNOWN_CATEGORY)
    if not region_known:
        raise InvalidInput("region_code", UNKNOWN_REGION)


def current_policy() -> Policy:
    """The newest policy version already in effect."""
    policy = db.session.scalar(
        select(Policy).where(Policy.effective_from <= utcnow()).order_by(Policy.version.desc()).limit(1)
    )
    if policy is None:
        raise RuntimeError("no policy in effect: run `flask seed`")
    return policy


def list_policies() -> list[Policy]:
    """All policy versions, newest first."""
    return list(db.session.scalars(select(Policy).order_by(Policy.version.desc())))


def create_policy(changes: dict[str, Any], note: str) -> Policy:
    """Add a policy version (defaults overlaid with `changes`); existing cases keep theirs."""
    rules = merge_rules(changes)
    version = (db.session.scalar(select(func.max(Policy.version))) or 0) + 1
    policy = Policy(version=version, effective_from=utcnow(), rules=rules, note=note)
    db.session.add(policy)
    db.session.commit()
    return policy


def deadline_rules(policy_version: int | None = None) -> DeadlineRules:
    """Deadline arithmetic for a policy version (the current one by default) on today's calendar."""
    policy = current_policy() if policy_version is None else db.session.get(Policy, policy_version)
    if policy is None:
        raise NotFound(f"unknown policy version {policy_version}")
    return DeadlineRules(policy.rules, load_calendar(current_app.config["TIMEZONE"]))


def set_calendar_override(day: date, is_workday: bool, note: str) -> CalendarOverride:
    """Declare a local working day or holiday (e.g. the State Council's next-year schedule)."""
    row = db.session.get(CalendarOverride, day) or CalendarOverride(day=day)
    row.is_workday, row.note = is_workday, note
    db.session.add(row)
    db.session.commit()
    return row


def list_calendar_overrides() -> list[CalendarOverride]:
    """All local calendar overrides by date."""
    return list(db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day)))


def create_routing_rule(
    category_prefix: str, department_code: str, region_code: str | None, priority: int = 0
) -> RoutingRule:
    """Route a category subtree (optionally only in one region) to a department."""
    if not db.session.scalar(
        select(func.count())
        .select_from(Category)
        .where(Category.code.startswith(category_prefix, autoescape=True))
    ):
        raise InvalidInput("category_prefix", "matches no category")
    if region_code is not None:
        require_region(region_code)
    rule = RoutingRule(
        category_prefix=category_prefix,
        region_code=region_code,
        department=get_department(department_code),
        priority=priority,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def list_routing_rules() -> list[RoutingRule]:
    """All routing rules."""
    return list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.category_prefix, RoutingRule.id)))


def suggest_department(case: Case) -> Department | None:
    """Most specific rule for the case: longest category prefix, then region match, then priority."""
    rules = db.session.scalars(
        select(RoutingRule)
        .join(Department)
        .where(Department.is_active)
        .where((RoutingRule.region_code == case.region_code) | RoutingRule.region_code.is_(None))
    ).all()
    matching = [r for r in rules if case.category_code.startswith(r.category_prefix)]
    if not matching:
        return None
    best = max(matching, key=lambda r: (len(r.category_prefix), r.region_code is not None, r.priority))
    return best.department
