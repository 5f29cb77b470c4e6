"""Answer validation and skip logic for one survey version: pure Python, no Flask, no database.

A question is the dict stored in a version's definition (see surveys/schemas.py QuestionIn). An answer
is checked against its question's type, range, options and required flag; "don't know" is accepted only
where the question offers it and is stored as a missing value; a question whose `show_if` condition is
not met is not asked, so it must not be answered and is never required.

Error messages are English msgids with %-parameters (AnswerError), so the API can send English and the
pages can look the same text up in the catalogue (N_ marks them for extraction).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIKERT5 = "likert5"
SCALE10 = "scale10"
SCALE11 = "scale11"
YES_NO = "yes_no"
SINGLE = "single"
MULTI = "multi"
NPS = "nps"
TEXT = "text"
TYPES = (LIKERT5, SCALE10, SCALE11, YES_NO, SINGLE, MULTI, NPS, TEXT)
RANGES = {LIKERT5: (1, 5), SCALE10: (1, 10), SCALE11: (0, 10), NPS: (0, 10)}
# Types whose answers are numbers, so they can carry a construct and an indicator (yes = 1, no = 0).
SCORED_TYPES = frozenset({*RANGES, YES_NO})
CHOICE_TYPES = frozenset({SINGLE, MULTI})
DEFAULT_TEXT_LENGTH = 1000

DONT_KNOW = "dont_know"
# What a form, a spreadsheet or a telephone interviewer's file writes for "don't know".
_DONT_KNOW_WORDS = {"dont_know", "don't know", "dont know", "dk", "不知道", "说不清", "不清楚"}
_YES_WORDS = {"yes", "y", "true", "1", "是", "有"}
_NO_WORDS = {"no", "n", "false", "0", "否", "没有", "无"}
_LIST_SEPARATORS = re.compile(r"[,;|、，；]")
_INTEGER = re.compile(r"^-?\d+(\.0+)?$")


def N_(message: str) -> str:
    """Mark a msgid for the catalogue without translating it here (pybabel extracts N_)."""
    return message


@dataclass(frozen=True)
class AnswerError:
    """Why an answer was refused: a catalogue msgid and its parameters."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


class InvalidAnswer(ValueError):
    """Raised by check_answer; carries the AnswerError."""

    def __init__(self, error: AnswerError):
        super().__init__(str(error))
        self.error = error


def _refuse(msgid: str, **params: Any) -> InvalidAnswer:
    return InvalidAnswer(AnswerError(msgid, params))


def option_values(question: Mapping[str, Any]) -> list[str]:
    """The option values of a single or multiple choice question, in order."""
    return [str(option["value"]) for option in question.get("options") or ()]


def answer_values(question: Mapping[str, Any]) -> list[Any]:
    """Every value an answer to `question` can take (for skip conditions); empty for free text."""
    kind = question["type"]
    if kind in RANGES:
        low, high = RANGES[kind]
        return list(range(low, high + 1))
    if kind == YES_NO:
        return [True, False]
    if kind in CHOICE_TYPES:
        return option_values(question)
    return []


def check_answer(question: Mapping[str, Any], value: Any) -> Any:
    """The clean answer (int, bool, str, list of str, or DONT_KNOW); raises InvalidAnswer."""
    if value == DONT_KNOW:
        if not question.get("dont_know"):
            raise _refuse(N_('"Don\'t know" is not offered for this question.'))
        return DONT_KNOW
    kind = question["type"]
    if kind in RANGES:
        low, high = RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _refuse(N_("Give a whole number from %(low)s to %(high)s."), low=low, high=high)
        return value
    if kind == YES_NO:
        if not isinstance(value, bool):
            raise _refuse(N_("Answer yes or no."))
        return value
    if kind == SINGLE:
        if not isinstance(value, str) or value not in option_values(question):
            raise _refuse(N_("Choose one of the options."))
        return value
    if kind == MULTI:
        return _check_choices(question, value)
    if not isinstance(value, str):
        raise _refuse(N_("Write the answer as text."))
    text = value.strip()
    limit = int(question.get("max_length") or DEFAULT_TEXT_LENGTH)
    if len(text) > limit:
        raise _refuse(N_("At most %(count)s characters."), count=limit)
    return text


def _check_choices(question: Mapping[str, Any], value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _refuse(N_("Choose from the options."))
    if DONT_KNOW in value:
        raise _refuse(N_('"Don\'t know" cannot be combined with other options.'))
    allowed = option_values(question)
    if any(v not in allowed for v in value):
        raise _refuse(N_("Choose from the options."))
    if len(set(value)) != len(value):
        raise _refuse(N_("Each option can be chosen once."))
    low, high = int(question.get("min_choices") or 1), question.get("max_choices")
    if len(value) < low:
        raise _refuse(N_("Choose at least %(count)s options."), count=low)
    if high is not None and len(value) > int(high):
        raise _refuse(N_("Choose at most %(count)s options."), count=int(high))
    # Keep the questionnaire's order, so equal answers are stored equally.
    return [v for v in allowed if v in value]


def is_answered(value: Any) -> bool:
    """An answer was given (None, blank text and an empty choice list are no answer)."""
    return value is not None and value != "" and value != []


def is_shown(question: Mapping[str, Any], clean: Mapping[str, Any]) -> bool:
    """Whether the question is asked, given the clean answers to the questions before it."""
    condition = question.get("show_if")
    if not condition:
        return True
    earlier = clean.get(condition["question"])
    if earlier is None or earlier == DONT_KNOW:
        return False
    wanted = condition["in"]
    if isinstance(earlier, list):
        return any(v in wanted for v in earlier)
    # bool is an int in Python: compare types too, so "yes" never matches the number 1.
    return any(type(v) is type(earlier) and v == earlier for v in wanted)


def validate_answers(
    questions: Iterable[Mapping[str, Any]],
    answers: Mapping[str, Any],
    *,
    strict_skips: bool = True,
    partial: bool = False,
) -> tuple[dict[str, Any], dict[str, list[AnswerError]]]:
    """Check every answer against its question, in questionnaire order.

    Returns the clean answers of the questions asked and the errors by question code. With
    strict_skips, an answer to a question the skip logic does not ask is an error (API, imports);
    without, it is dropped (a page without scripts shows every question). `partial` lets required
    questions stay unanswered (a one-click answer from an invitation message).
    """
    questions = list(questions)
    known = {q["code"] for q in questions}
    errors: dict[str, list[AnswerError]] = {
        code: [AnswerError(N_("Unknown question."))] for code in answers if code not in known
    }
    clean: dict[str, Any] = {}
    for question in questions:
        code = question["code"]
        value = answers.get(code)
        given = is_answered(value)
        if not is_shown(question, clean):
            if given and strict_skips:
                errors[code] = [AnswerError(N_("This question is skipped for your earlier answers."))]
            continue
        if not given:
            if question.get("required") and not partial:
                errors[code] = [AnswerError(N_("This question needs an answer."))]
            continue
        try:
            answer = check_answer(question, value)
        except InvalidAnswer as exc:
            errors[code] = [exc.error]
            continue
        if is_answered(answer):
            clean[code] = answer
        elif question.get("required") and not partial:
            errors[code] = [AnswerError(N_("This question needs an answer."))]
    return clean, errors


def parse_text(question: Mapping[str, Any], text: str | None) -> Any:
    """Read an answer typed in a form or a spreadsheet cell into the value check_answer expects.

    Unreadable input is passed through unchanged, so check_answer names the problem.
    """
    if text is None:
        return None
    raw = str(text).strip()
    if raw == "":
        return None
    if raw.lower() in _DONT_KNOW_WORDS and question.get("dont_know"):
        return DONT_KNOW
    kind = question["type"]
    if kind in RANGES:
        return int(float(raw)) if _INTEGER.match(raw) else raw
    if kind == YES_NO:
        word = raw.lower()
        return True if word in _YES_WORDS else False if word in _NO_WORDS else raw
    if kind == SINGLE:
        return _option_for(question, raw)
    if kind == MULTI:
        return [_option_for(question, part.strip()) for part in _LIST_SEPARATORS.split(raw) if part.strip()]
    return raw


def _option_for(question: Mapping[str, Any], raw: str) -> str:
    """An option value from its value or its label in any language (third-party files use labels)."""
    for option in question.get("options") or ():
        labels = option.get("label") or {}
        if raw == str(option["value"]) or raw in labels.values():
            return str(option["value"])
    return raw


def score(question: Mapping[str, Any], value: Any) -> float | None:
    """The number analysis uses: reverse-coded items flipped onto the scale (lo + hi - x); None if missing."""
    if value is None or value == DONT_KNOW or question["type"] not in SCORED_TYPES:
        return None
    number = float(value)
    if question.get("reverse") and question["type"] in RANGES:
        low, high = RANGES[question["type"]]
        return low + high - number
    return number
