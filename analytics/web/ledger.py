"""The 100 % ledger page: breaches of the acceptance, handling and feedback rules, counted and listed.

Rows carry the ledger's non-personal fields only (tracking code, kind, category, district, department).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import render_template, request
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from analytics.api.common import ANALYTICS_ROLES
from analytics.services import ledger
from analytics.web.common import Filters, FiltersQuery, bp, department_choices, read_filters
from analytics.web.presenters import BREACH_LABELS, RULE_LABELS, key_labeler
from core.db import utcnow
from core.web.auth import web_roles_required

# From Python, not the template: the Chinese title has a % sign, which template gettext would format.
TITLE = _l("Ledger of the one-hundred-percent rules")
PAGE_SIZE = 50
STATES = ("all", "outstanding")  # outstanding: the required action has still not been taken


class LedgerQuery(FiltersQuery):
    rule = fields.String(validate=validate.OneOf(tuple(RULE_LABELS)))
    breach = fields.String(validate=validate.OneOf(tuple(ledger.BREACHES)))
    state = fields.String(load_default="all", validate=validate.OneOf(STATES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


def select_breaches(
    filters: Filters, options: dict[str, Any]
) -> tuple[list[ledger.Breach], list[ledger.Breach]]:
    """(breaches of the period and department, the subset matching rule, breach and state)."""
    found = ledger.list_breaches(filters.start, filters.end, utcnow())
    if filters.department:
        found = [b for b in found if b.department_code == filters.department]
    shown = [
        b
        for b in found
        if options.get("rule") in (None, b.rule)
        and options.get("breach") in (None, b.breach)
        and (options["state"] == "all" or b.done_at is None)
    ]
    return found, shown


def count_breaches(breaches: list[ledger.Breach]) -> list[dict[str, Any]]:
    """One row per breach kind (in rule order): how many, and how many still outstanding."""
    total = Counter(b.breach for b in breaches)
    outstanding = Counter(b.breach for b in breaches if b.done_at is None)
    return [
        {
            "rule": rule,
            "rule_label": RULE_LABELS[rule],
            "breach": code,
            "label": BREACH_LABELS[code],
            "n": total[code],
            "outstanding": outstanding[code],
        }
        for code, (rule, _zh) in ledger.BREACHES.items()
    ]


@bp.get("/ledger")
@web_roles_required(*ANALYTICS_ROLES)
def ledger_page():
    """Breaches whose deadline is in the period: counts by rule and kind, a paged list, downloads."""
    filters, options, errors = read_filters(request.args, LedgerQuery())
    choices = {
        "title": TITLE,
        "departments": department_choices(),
        "rules": RULE_LABELS,
        "breaches": BREACH_LABELS,
        "args": request.args,
        "errors": errors,
    }
    if filters is None:
        return render_template("analytics/ledger.html", filters=None, **choices), 422
    found, shown = select_breaches(filters, options)
    page = options["page"]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    department = key_labeler("department")
    region = key_labeler("region")
    category = key_labeler("category")
    rows = [
        {
            "breach": b,
            "kind": b.kind,
            "category": category(b.category_code),
            "region": region(b.region_code),
            "department": department(b.department_code),
            "rule": RULE_LABELS[b.rule],
            "due": format_datetime(b.due_at, "short"),
            "done": format_datetime(b.done_at, "short") if b.done_at else None,
            "label": BREACH_LABELS[b.breach],
        }
        for b in shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    return render_template(
        "analytics/ledger.html",
        filters=filters,
        link_args={**filters.query(), **{k: v for k, v in options.items() if k != "page"}},
        counts=count_breaches(found),
        total=len(found),
        outstanding=sum(1 for b in found if b.done_at is None),
        shown=len(shown),
        rows=rows,
        page=page,
        pages=pages,
        **choices,
    )
