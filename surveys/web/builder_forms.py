"""The survey builder's forms: one question or the survey settings as flat HTML inputs, and back.

Multi-line inputs keep the builder usable without scripts: options are "value | 中文 | English" lines,
five-point labels "中文 | English" lines, targets "SAT >= 80" lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from surveys import questions as q

CHECKBOXES = ("required", "dont_know", "reverse")
# Question errors ("questions.3.<key>") and the input that shows them.
ERROR_INPUTS = {
    "text": "text_zh",
    "help": "help_zh",
    "options": "options",
    "point_labels": "point_labels",
    "low_label": "low_zh",
    "high_label": "high_zh",
    "show_if": "show_if_question",
    "show_if.in": "show_if_values",
    "show_if.question": "show_if_question",
}
SETTINGS_ERROR_INPUTS = {
    "title": "title_zh",
    "intro": "intro_zh",
    "period.end": "period_end",
    "period.start": "period_start",
}


def _localized(form: Mapping[str, str], prefix: str) -> dict[str, str] | None:
    texts = {
        lang: form.get(f"{prefix}_{suffix}", "").strip() for lang, suffix in (("zh-CN", "zh"), ("en", "en"))
    }
    texts = {lang: text for lang, text in texts.items() if text}
    return texts or None


def _lines(text: str) -> list[list[str]]:
    return [[part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()]


def _int(value: str | None) -> int | str | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value


def _condition_value(source: Mapping[str, Any] | None, raw: str) -> Any:
    if source is None:
        return raw
    if source["type"] == q.YES_NO:
        return {"yes": True, "是": True, "no": False, "否": False}.get(raw.lower(), raw)
    if source["type"] in q.RANGES and raw.lstrip("-").isdigit():
        return int(raw)
    return raw


def form_to_question(form: MultiDict, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """A question definition from the question form (validated later with the whole definition)."""
    question: dict[str, Any] = {
        "code": form.get("code", "").strip(),
        "type": form.get("type", ""),
        "text": _localized(form, "text") or {},
    }
    for name in CHECKBOXES:
        if name in form:
            question[name] = True
    for name in ("construct", "indicator", "attribute"):
        if form.get(name, "").strip():
            question[name] = form[name].strip()
    if help_text := _localized(form, "help"):
        question["help"] = help_text
    for name in ("low", "high"):
        if label := _localized(form, name):
            question[f"{name}_label"] = label
    if labels := _lines(form.get("point_labels", "")):
        question["point_labels"] = [
            {"zh-CN": parts[0], "en": parts[1] if len(parts) > 1 else ""} for parts in labels
        ]
        question["point_labels"] = [
            {k: v for k, v in label.items() if v} for label in question["point_labels"]
        ]
    if options := _lines(form.get("options", "")):
        question["options"] = [
            {
                "value": parts[0],
                "label": {
                    k: v
                    for k, v in (
                        ("zh-CN", parts[1] if len(parts) > 1 else ""),
                        ("en", parts[2] if len(parts) > 2 else ""),
                    )
                    if v
                },
            }
            for parts in options
        ]
    for name in ("min_choices", "max_choices", "max_length"):
        if (value := _int(form.get(name))) is not None:
            question[name] = value
    source_code = form.get("show_if_question", "").strip()
    if source_code:
        source = next((x for x in earlier if x["code"] == source_code), None)
        values = [
            v.strip() for v in form.get("show_if_values", "").replace("，", ",").split(",") if v.strip()
        ]
        question["show_if"] = {"question": source_code, "in": [_condition_value(source, v) for v in values]}
    return question


def question_to_form(question: Mapping[str, Any]) -> dict[str, Any]:
    """The question form's values for an existing question."""
    values: dict[str, Any] = {"code": question["code"], "type": question["type"]}
    for prefix, key in (("text", "text"), ("help", "help"), ("low", "low_label"), ("high", "high_label")):
        texts = question.get(key) or {}
        values[f"{prefix}_zh"], values[f"{prefix}_en"] = texts.get("zh-CN", ""), texts.get("en", "")
    for name in CHECKBOXES:
        values[name] = bool(question.get(name))
    for name in ("construct", "indicator", "attribute", "min_choices", "max_choices", "max_length"):
        values[name] = "" if question.get(name) is None else str(question[name])
    values["point_labels"] = "\n".join(
        f"{label.get('zh-CN', '')} | {label.get('en', '')}" for label in question.get("point_labels") or ()
    )
    values["options"] = "\n".join(
        f"{o['value']} | {o['label'].get('zh-CN', '')} | {o['label'].get('en', '')}"
        for o in question.get("options") or ()
    )
    condition = question.get("show_if") or {}
    values["show_if_question"] = condition.get("question", "")
    values["show_if_values"] = ", ".join(
        ("yes" if v else "no") if isinstance(v, bool) else str(v) for v in condition.get("in", ())
    )
    return values


def form_to_settings(form: MultiDict, definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with the settings form applied (questions and advanced parts unchanged)."""
    updated = dict(definition)
    updated["title"] = _localized(form, "title") or {}
    intro = _localized(form, "intro")
    if intro:
        updated["intro"] = intro
    else:
        updated.pop("intro", None)
    updated["sector"] = form.get("sector", "")
    updated["languages"] = [lang for lang in ("zh-CN", "en") if f"lang_{lang}" in form] or ["zh-CN"]
    label, start, end = (form.get(f"period_{k}", "").strip() for k in ("label", "start", "end"))
    if label or start or end:
        updated["period"] = {"label": label, "start": start or None, "end": end or None}
    else:
        updated.pop("period", None)
    updated["invitation_days"] = _int(form.get("invitation_days")) or 14
    targets = []
    for line in form.get("targets", "").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in (">=", "<="):
            targets.append({"indicator": parts[0], "op": parts[1], "value": _number(parts[2])})
        elif line.strip():
            targets.append({"indicator": line.strip(), "op": ">=", "value": None})
    updated["targets"] = targets
    return updated


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def settings_to_form(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The settings form's values."""
    period = definition.get("period") or {}
    values = {
        "title_zh": definition["title"].get("zh-CN", ""),
        "title_en": definition["title"].get("en", ""),
        "intro_zh": (definition.get("intro") or {}).get("zh-CN", ""),
        "intro_en": (definition.get("intro") or {}).get("en", ""),
        "sector": definition["sector"],
        "period_label": period.get("label") or "",
        "period_start": period.get("start") or "",
        "period_end": period.get("end") or "",
        "invitation_days": str(definition.get("invitation_days", 14)),
        "targets": "\n".join(
            f"{t['indicator']} {t['op']} {t['value']:g}" for t in definition.get("targets", ())
        ),
    }
    for lang in ("zh-CN", "en"):
        values[f"lang_{lang}"] = lang in definition.get("languages", ["zh-CN"])
    return values


def question_form_errors(errors: Mapping[str, list[str]], index: int) -> dict[str, list[str]]:
    """Errors of question `index` keyed by its form inputs; the rest under "_other"."""
    mine: dict[str, list[str]] = {}
    prefix = f"questions.{index}."
    for name, messages in errors.items():
        if name.startswith(prefix):
            key = name[len(prefix) :]
            key = ERROR_INPUTS.get(key, ERROR_INPUTS.get(key.split(".")[0], key.split(".")[0]))
            mine.setdefault(key, []).extend(messages)
        else:
            mine.setdefault("_other", []).extend(f"{name}: {m}" for m in messages)
    return mine


def settings_form_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Errors of the settings form keyed by its inputs."""
    mine: dict[str, list[str]] = {}
    for name, messages in errors.items():
        key = SETTINGS_ERROR_INPUTS.get(name, name.split(".")[0])
        mine.setdefault(key, []).extend(messages)
    return mine
