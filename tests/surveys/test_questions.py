"""Answer validation of every question type, "don't know", skip logic and reverse coding (no database)."""

from __future__ import annotations

import pytest

from surveys import questions as q

OPTIONS = [{"value": v, "label": {"zh-CN": f"选项{v}", "en": f"Option {v}"}} for v in ("a", "b", "c")]


def question(kind: str, **extra):
    return {"code": "x", "type": kind, "required": True, "text": {"zh-CN": "?"}, **extra}


def error_of(kind: str, value, **extra) -> str | None:
    _clean, errors = q.validate_answers([question(kind, **extra)], {"x": value})
    return str(errors["x"][0]) if "x" in errors else None


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("likert5", [1, 5], [0, 6, 3.5, "3", True], "Give a whole number from 1 to 5."),
        ("scale10", [1, 10], [0, 11], "Give a whole number from 1 to 10."),
        ("scale11", [0, 10], [-1, 11], "Give a whole number from 0 to 10."),
        ("nps", [0, 10], [11, "ten"], "Give a whole number from 0 to 10."),
        ("yes_no", [True, False], [1, "yes", "是"], "Answer yes or no."),
    ],
)
def test_scales_and_yes_no_take_their_range_only(kind, good, bad, message):
    for value in good:
        assert error_of(kind, value) is None, (kind, value)
    for value in bad:
        assert error_of(kind, value) == message, (kind, value)


def test_single_and_multiple_choice():
    assert error_of("single", "b", options=OPTIONS) is None
    assert error_of("single", "z", options=OPTIONS) == "Choose one of the options."
    assert error_of("single", ["a"], options=OPTIONS) == "Choose one of the options."
    assert error_of("multi", ["a", "c"], options=OPTIONS, max_choices=2) is None
    assert error_of("multi", "a", options=OPTIONS) == "Choose from the options."
    assert error_of("multi", ["a", "z"], options=OPTIONS) == "Choose from the options."
    assert error_of("multi", ["a", "a"], options=OPTIONS) == "Each option can be chosen once."
    assert error_of("multi", ["a", "b", "c"], options=OPTIONS, max_choices=2) == "Choose at most 2 options."
    assert error_of("multi", ["a"], options=OPTIONS, min_choices=2) == "Choose at least 2 options."
    clean, _ = q.validate_answers([question("multi", options=OPTIONS)], {"x": ["c", "a"]})
    assert clean == {"x": ["a", "c"]}  # stored in the questionnaire's order


def test_free_text_is_stripped_and_limited():
    clean, errors = q.validate_answers([question("text", max_length=5)], {"x": "  好的  "})
    assert clean == {"x": "好的"} and errors == {}
    assert error_of("text", "一二三四五六", max_length=5) == "At most 5 characters."
    assert error_of("text", 42) == "Write the answer as text."
    # Blank text is no answer: a required question then needs one.
    assert error_of("text", "   ") == "This question needs an answer."


def test_required_and_optional():
    assert error_of("likert5", None) == "This question needs an answer."
    clean, errors = q.validate_answers([question("likert5", required=False)], {})
    assert clean == {} and errors == {}
    # A one-click partial answer may leave required questions for later.
    _clean, errors = q.validate_answers([question("likert5")], {}, partial=True)
    assert errors == {}


def test_dont_know_is_a_missing_value_where_offered():
    assert error_of("likert5", "dont_know") == '"Don\'t know" is not offered for this question.'
    clean, errors = q.validate_answers([question("likert5", dont_know=True)], {"x": "dont_know"})
    assert clean == {"x": q.DONT_KNOW} and errors == {}  # it answers a required question
    assert q.score(question("likert5", dont_know=True), q.DONT_KNOW) is None
    assert error_of("multi", ["a", "dont_know"], options=OPTIONS, dont_know=True) == (
        '"Don\'t know" cannot be combined with other options.'
    )


def test_unknown_questions_are_refused():
    _clean, errors = q.validate_answers([question("likert5")], {"x": 3, "ghost": 1})
    assert [str(e) for e in errors["ghost"]] == ["Unknown question."]


SKIP = [
    {"code": "used", "type": "yes_no", "required": True, "text": {"zh-CN": "?"}},
    {"code": "rate", "type": "likert5", "required": True, "text": {"zh-CN": "?"},
     "show_if": {"question": "used", "in": [True]}},
    {"code": "why", "type": "single", "required": True, "text": {"zh-CN": "?"}, "options": OPTIONS,
     "show_if": {"question": "rate", "in": [1, 2]}},
]  # fmt: skip


def test_skip_logic_asks_follow_ups_only_when_the_condition_holds():
    clean, errors = q.validate_answers(SKIP, {"used": True, "rate": 2, "why": "a"})
    assert errors == {} and clean == {"used": True, "rate": 2, "why": "a"}
    # Shown questions are required ...
    _clean, errors = q.validate_answers(SKIP, {"used": True})
    assert set(errors) == {"rate"}
    _clean, errors = q.validate_answers(SKIP, {"used": True, "rate": 1})
    assert set(errors) == {"why"}
    # ... hidden ones are not, and must not be answered (API, imports) ...
    clean, errors = q.validate_answers(SKIP, {"used": False})
    assert errors == {} and clean == {"used": False}
    _clean, errors = q.validate_answers(SKIP, {"used": False, "rate": 4})
    assert [str(e) for e in errors["rate"]] == ["This question is skipped for your earlier answers."]
    # ... unless the caller is a page without scripts, where they are dropped.
    clean, errors = q.validate_answers(SKIP, {"used": False, "rate": 4, "why": "b"}, strict_skips=False)
    assert errors == {} and clean == {"used": False}
    # A chain: "why" depends on "rate", which is hidden.
    _clean, errors = q.validate_answers(SKIP, {"used": True, "rate": 5, "why": "a"})
    assert set(errors) == {"why"}


def test_condition_types_do_not_mix():
    # yes (True) must not match the number 1, nor "don't know" anything.
    numeric = [
        {"code": "n", "type": "likert5", "text": {"zh-CN": "?"}, "dont_know": True},
        {"code": "f", "type": "text", "text": {"zh-CN": "?"}, "show_if": {"question": "n", "in": [1]}},
    ]
    assert q.is_shown(numeric[1], {"n": 1}) and not q.is_shown(numeric[1], {"n": True})
    assert not q.is_shown(numeric[1], {"n": q.DONT_KNOW})


def test_reading_forms_and_spreadsheets():
    assert q.parse_text(question("likert5"), " 4 ") == 4
    assert q.parse_text(question("likert5"), "4.0") == 4  # Excel numbers
    assert q.parse_text(question("likert5"), "四") == "四"  # left for check_answer to refuse
    assert q.parse_text(question("yes_no"), "是") is True and q.parse_text(question("yes_no"), "NO") is False
    assert q.parse_text(question("single", options=OPTIONS), "选项b") == "b"  # labels work
    assert q.parse_text(question("multi", options=OPTIONS), "a、Option c") == ["a", "c"]
    assert q.parse_text(question("likert5", dont_know=True), "不知道") == q.DONT_KNOW
    assert q.parse_text(question("likert5"), "不知道") == "不知道"  # not offered: an error later
    assert q.parse_text(question("text"), "") is None


def test_reverse_coded_items_are_flipped_for_analysis():
    item = question("scale10", reverse=True)
    assert q.score(item, 10) == 1 and q.score(item, 3) == 8
    assert q.score(question("scale11", reverse=True), 0) == 10
    assert q.score(question("likert5"), 4) == 4
    assert q.score(question("yes_no"), True) == 1 and q.score(question("text"), "x") is None
