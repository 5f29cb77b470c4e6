"""What analytics pages show: KPI names, definitions and values in the visitor's language, group labels.

The KPI definitions live in English in analytics/kpis.py (the API and the files carry them verbatim);
pages look the same text up in the catalogue. KPI_TEXTS lists every one so the extraction finds them,
and a test checks the list matches analytics.kpis.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analytics.kpis import KPI_BY_CODE, KpiDefinition
from complaints.services import catalogue
from core.auth.services import list_departments

KPI_TEXTS = (
    _l("decided (accepted, rejected, transferred or merged)"),
    _l("cases whose acceptance deadline is in the period"),
    _l("decided / due for decision"),
    _l("decided at or before the acceptance deadline"),
    _l("decided on time / due for decision"),
    _l("signed for by the department"),
    _l("cases whose sign-for deadline is in the period"),
    _l("signed / due for sign-for"),
    _l("signed for at or before the sign-for deadline"),
    _l("signed on time / due for sign-for"),
    _l("first contact with the citizen (contact action, or the reply) by the contact deadline"),
    _l("cases whose contact deadline (set at assignment) is in the period"),
    _l("contacted on time / due for contact"),
    _l("replied"),
    _l("accepted cases whose handling deadline (after extensions and reopening) is in the period"),
    _l("replied / due for reply"),
    _l("replied at or before the handling deadline in force"),
    _l("accepted cases whose handling deadline is in the period"),
    _l("replied on time / due for reply"),
    _l("feedback to the citizen recorded"),
    _l("replied, rejected or transferred cases whose feedback deadline is in the period"),
    _l("fed back / due for feedback"),
    _l("replied cases whose citizen gave a rating (call-back survey or tracking page)"),
    _l("replied cases whose feedback deadline is in the period"),
    _l("rated / replied and due for feedback"),
    _l("ratings among the case policy's satisfied_ratings"),
    _l("cases rated in the period"),
    _l("satisfied / rated"),
    _l("ratings saying resolved"),
    _l("resolved / rated"),
    _l("replied with no return, no reopening and no approved extension"),
    _l("replied cases whose handling deadline is in the period"),
    _l("replied first time / replied"),
    _l("merged into another case"),
    _l("merged / due for decision"),
    _l("working days from acceptance to reply, summed"),
    _l("mean of workdays_between(accepted_at, replied_at)"),
    _l("loss recovered stated in the replies"),
    _l("sum of loss_recovered"),
)
RULE_LABELS = {
    "acceptance": _l("Acceptance"),
    "handling": _l("Handling"),
    "feedback": _l("Feedback"),
}
BREACH_LABELS = {
    "never_decided": _l("No acceptance decision"),
    "decided_late": _l("Decided late"),
    "never_replied": _l("No reply"),
    "replied_late": _l("Replied late"),
    "no_feedback": _l("No feedback to the citizen"),
    "closed_without_feedback": _l("Closed without feedback"),
}


def is_english() -> bool:
    return str(get_locale()).startswith("en")


def kpi_name(kpi: KpiDefinition) -> str:
    """The KPI's name in the visitor's language."""
    return kpi.name_en[:1].upper() + kpi.name_en[1:] if is_english() else kpi.name_zh


def kpi_text(text: str) -> str:
    """A definition text of analytics.kpis in the visitor's language."""
    return _(text)


def format_value(unit: str, value: Any) -> str:
    """A KPI value for reading: rates as percentages, days with two decimals, money in yuan."""
    if value is None:
        return "—"
    if unit == "rate":
        return format_decimal(float(value) * 100, "#,##0.0") + "%"
    if unit == "yuan":
        return "¥" + format_decimal(Decimal(value), "#,##0.00")
    return format_decimal(float(value), "#,##0.00")


def format_kpi(code: str, value: Any) -> str:
    """format_value for the unit of the KPI `code`."""
    return format_value(KPI_BY_CODE[code].unit, value)


def target_state(kpi: KpiDefinition, value: Any) -> str:
    """'met', 'missed', or 'none' (no target, or nothing was due)."""
    if kpi.target is None or value is None:
        return "none"
    return "met" if float(value) >= kpi.target else "missed"


def key_labeler(group_by: str) -> Callable[[str | None], str]:
    """A function naming the groups of `group_by` (department names, districts, categories, codes)."""
    english = is_english()
    if group_by == "department":
        names = {d.code: d.name for d in list_departments()}
    elif group_by == "region":
        names = {r.code: (r.name_en if english else r.name) for r in catalogue.list_regions()}
    elif group_by == "category":
        names = {c.code: (c.name_en if english else c.name) for c in catalogue.list_categories()}
    else:
        names = {}

    def label(key: str | None) -> str:
        if key is None:
            return _("Not assigned yet")
        if key == "all":
            return _("All cases")
        if group_by in ("kind", "channel"):
            return _(key)
        return names.get(key, key)

    return label
