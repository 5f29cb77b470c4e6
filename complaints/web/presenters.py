"""What the pages show of a case: labels in the visitor's language, deadlines met or missed, choices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from complaints.models import Case
from complaints.services import catalogue, public
from core.clock import utcnow

STATUS_LABELS = {
    "registered": _l("Received"),
    "accepted": _l("Accepted"),
    "rejected": _l("Not accepted"),
    "transferred": _l("Transferred"),
    "merged": _l("Merged with another case"),
    "assigned": _l("Assigned"),
    "in_progress": _l("Being handled"),
    "replied": _l("Replied"),
    "closed": _l("Closed"),
}
ACTION_LABELS = {
    "register": _l("Received"),
    "accept": _l("Accepted"),
    "reject": _l("Not accepted"),
    "transfer": _l("Transferred to another authority"),
    "merge": _l("Merged with an earlier case"),
    "assign": _l("Assigned to a department"),
    "sign": _l("Department started handling"),
    "return": _l("Returned to dispatch"),
    "extend": _l("Extension requested"),
    "approve_extension": _l("Deadline extended"),
    "urge": _l("Supervisor urged"),
    "contact": _l("Department contacted the citizen"),
    "reply": _l("Reply given"),
    "feedback": _l("Result communicated"),
    "close": _l("Closed"),
    "reopen": _l("Reopened for further handling"),
    "rate": _l("Rated"),
    "erase_personal_data": _l("Personal data erased at the end of the retention period"),
}
ACTION_TITLES = {
    "accept": _l("Accept"),
    "reject": _l("Do not accept"),
    "transfer": _l("Transfer to another authority"),
    "merge": _l("Merge as duplicate"),
    "assign": _l("Assign to a department"),
    "sign": _l("Sign for the case"),
    "return": _l("Return to dispatch"),
    "extend": _l("Request an extension"),
    "approve_extension": _l("Approve the extension"),
    "urge": _l("Urge"),
    "contact": _l("Record contact with the citizen"),
    "reply": _l("Reply"),
    "feedback": _l("Record feedback to the citizen"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
}
OUTCOME_LABELS = {
    "resolved": _l("Resolved"),
    "partly_resolved": _l("Partly resolved"),
    "unresolved": _l("Not resolved"),
    "not_substantiated": _l("Not substantiated"),
}
RATING_CHOICES = [
    (5, _l("Very satisfied")),
    (4, _l("Satisfied")),
    (3, _l("Fairly satisfied")),
    (2, _l("Dissatisfied")),
    (1, _l("Very dissatisfied")),
]


def is_english() -> bool:
    return str(get_locale()).startswith("en")


def category_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Category tree as (top level, [(code, indented name)]) for a <select> with <optgroup>s."""
    english = is_english()
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for category in catalogue.list_categories():
        name = category.name_en if english else category.name
        if category.parent_code is None:
            groups[category.code] = (name, [])
            continue
        top = category.code[0]
        indent = "\u3000" if len(category.code) > 3 else ""  # sub-categories one step in
        groups[top][1].append((category.code, indent + name))
    return list(groups.values())


def region_choices() -> list[tuple[str, str]]:
    """Districts and counties of the city (level 3) for the district picker."""
    english = is_english()
    return [(r.code, r.name_en if english else r.name) for r in catalogue.list_regions() if r.level == 3]


def _deadline_state(due: datetime | None, done: datetime | None) -> str:
    if due is None:
        return "none"
    if done is not None:
        return "met" if done <= due else "missed"
    return "overdue" if utcnow() > due else "pending"


def deadline_rows(case: Case) -> list[dict[str, Any]]:
    """Each statutory step with its deadline, when it was done and whether the deadline was met."""
    rows = [
        (_l("Decision to accept"), case.acceptance_due_at, case.decided_at),
        (_l("Department signs for the case"), case.sign_due_at, case.signed_at),
        (_l("Reply"), case.handling_due_at, case.replied_at),
        (_l("Result communicated to you"), case.feedback_due_at, case.feedback_at),
    ]
    return [
        {"label": label, "due": due, "done": done, "state": _deadline_state(due, done)}
        for label, due, done in rows
        if due is not None
    ]


def public_timeline_rows(case: Case) -> list[dict[str, Any]]:
    """The citizen-visible timeline with labels."""
    return [
        {**entry, "label": ACTION_LABELS.get(entry["action"], entry["action"])}
        for entry in public.public_timeline(case)
    ]


def catalogue_names() -> dict[str, str]:
    """Code -> name of every category and region, in the visitor's language."""
    english = is_english()
    rows = [*catalogue.list_categories(), *catalogue.list_regions()]
    return {row.code: row.name_en if english else row.name for row in rows}


def template_helpers() -> dict[str, Any]:
    """Labels the complaint templates use."""
    names: dict[str, str] = {}

    def name_of(code: str | None) -> str:
        # Loaded on first use only, so pages that show no codes cost no query.
        if not names:
            names.update(catalogue_names())
        return names.get(code or "", code or "")

    return {
        "name_of": name_of,
        "status_label": lambda status: STATUS_LABELS.get(status, status),
        "outcome_label": lambda outcome: OUTCOME_LABELS.get(outcome, outcome or ""),
        "rating_label": lambda rating: dict(RATING_CHOICES).get(rating, rating),
        "rating_choices": RATING_CHOICES,
        "action_titles": ACTION_TITLES,
        "outcome_labels": OUTCOME_LABELS,
    }
