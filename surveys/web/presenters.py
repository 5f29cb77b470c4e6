"""Template helpers of the survey pages: texts in the page's language, labels of codes, skip-logic CSS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from surveys import questions as q
from surveys.vocab import SECTORS

# Radio buttons up to this many options; a longer list (the districts) becomes a drop-down.
MAX_RADIOS = 8

SECTOR_LABELS = {
    "producer_services": _l("Producer services"),
    "consumer_services": _l("Consumer services"),
    "public_services": _l("Public services"),
    "government": _l("Government work"),
    "hotline_callback": _l("Hotline call-back"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "partial": _l("Partial"),
    "complete": _l("Complete"),
}
TYPE_LABELS = {
    q.LIKERT5: _l("Likert 1–5"),
    q.SCALE10: _l("Scale 1–10"),
    q.SCALE11: _l("Scale 0–10"),
    q.YES_NO: _l("Yes / no"),
    q.SINGLE: _l("Single choice"),
    q.MULTI: _l("Multiple choice"),
    q.NPS: _l("NPS 0–10"),
    q.TEXT: _l("Free text"),
}
CONSTRUCT_LABELS = {
    "image": _l("Image"),
    "expectation": _l("Expectation"),
    "perceived_quality": _l("Perceived quality"),
    "perceived_value": _l("Perceived value"),
    "satisfaction": _l("Satisfaction"),
    "complaint": _l("Complaint"),
    "loyalty": _l("Loyalty"),
}
ATTRIBUTE_LABELS = {"district": _l("District"), "age_group": _l("Age group"), "sex": _l("Sex")}
CHANNEL_LABELS = {
    "link": _l("Public link"),
    "invitation": _l("Invitation"),
    "callback": _l("Call-back"),
    "import": _l("Import"),
}


def text_in(localized: Mapping[str, str] | None, lang: str) -> str:
    """The text in `lang`, else Chinese, else any."""
    if not localized:
        return ""
    return localized.get(lang) or localized.get("zh-CN") or next(iter(localized.values()), "")


def scale_points(question: Mapping[str, Any]) -> list[int]:
    """The numbers a scale question offers, low to high."""
    low, high = q.RANGES[question["type"]]
    return list(range(low, high + 1))


def form_value(value: Any) -> str:
    """How an answer value is spelt in a form input."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def skip_css(questions: list[dict[str, Any]]) -> Markup:
    """CSS that hides a conditional question until its condition is met (:has(), no scripts); browsers
    without :has() show every question and the server ignores answers to questions not asked."""
    by_code = {question["code"]: question for question in questions}
    rules = []
    for question in questions:
        condition = question.get("show_if")
        source = by_code.get(condition["question"]) if condition else None
        if source is None:
            continue
        name = source["code"]
        if source["type"] == q.SINGLE and len(source.get("options") or ()) > MAX_RADIOS:
            selectors = [
                f'select[name="{name}"] option[value="{form_value(v)}"]:checked' for v in condition["in"]
            ]
        else:
            selectors = [f'input[name="{name}"][value="{form_value(v)}"]:checked' for v in condition["in"]]
        rules.append(
            f".survey-form:not(:has({', '.join(selectors)})) #q-{question['code']} {{ display: none; }}"
        )
    return Markup("\n".join(rules))


def condition_text(question: Mapping[str, Any], questions: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """{"number": 3, "answer": "是"}: which earlier answer a conditional question waits for (shown as a
    reminder, since browsers without :has() show every question)."""
    condition = question.get("show_if")
    source = next((x for x in questions if condition and x["code"] == condition["question"]), None)
    if source is None:
        return {}
    words = []
    for value in condition["in"]:
        if source["type"] == q.YES_NO:
            words.append(("是" if value else "否") if lang == "zh-CN" else ("yes" if value else "no"))
        elif source["type"] in q.CHOICE_TYPES:
            option = next((o for o in source["options"] if o["value"] == value), None)
            words.append(text_in(option["label"], lang) if option else str(value))
        else:
            words.append(str(value))
    return {"number": questions.index(source) + 1, "answer": " / ".join(words)}


def survey_helpers() -> dict[str, Any]:
    """Context processor of the survey pages."""
    return {
        "text_in": text_in,
        "scale_points": scale_points,
        "form_value": form_value,
        "skip_css": skip_css,
        "condition_text": condition_text,
        "sector_label": lambda code: SECTOR_LABELS.get(code, SECTORS.get(code, code)),
        "survey_status_label": lambda code: STATUS_LABELS.get(code, code),
        "type_label": lambda code: TYPE_LABELS.get(code, code),
        "construct_label": lambda code: CONSTRUCT_LABELS.get(code, code) if code else "",
        "attribute_label": lambda code: ATTRIBUTE_LABELS.get(code, code),
        "channel_label": lambda code: CHANNEL_LABELS.get(code, code),
        "max_radios": MAX_RADIOS,
    }
