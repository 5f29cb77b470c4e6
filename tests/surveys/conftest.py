"""Survey fixtures: the shipped templates published, and small survey definitions to build on."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from surveys.services import definitions

# The browser fixtures of tests/web, for the phone-sized survey test (pytest finds them by name here).
from tests.web.conftest import browser, chrome, live_server  # noqa: F401


def likert(code: str, **extra: Any) -> dict[str, Any]:
    question = {"code": code, "type": "likert5", "required": True, "text": {"zh-CN": f"问题{code}"}}
    question.update(extra)
    return question


def choice(code: str, values: list[str], **extra: Any) -> dict[str, Any]:
    """A required single-choice question whose labels are its values."""
    options = [{"value": v, "label": {"zh-CN": v}} for v in values]
    return {
        "code": code,
        "type": "single",
        "required": True,
        "text": {"zh-CN": code},
        "options": options,
        **extra,
    }


def definition(*questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal Chinese-only definition around `questions`."""
    body = {
        "title": {"zh-CN": "测试问卷", "en": "Test survey"},
        "sector": "public_services",
        "languages": ["zh-CN"],
        "questions": list(questions) or [likert("q1", construct="satisfaction", indicator="SAT")],
    }
    body.update(extra)
    return body


def publish(slug: str, body: dict[str, Any]):
    """Create and publish a survey; returns (survey, version)."""
    definitions.create_survey(slug, copy.deepcopy(body), None)
    definitions.publish_draft(slug)
    return definitions.get_public_survey(slug)


@pytest.fixture()
def templates(ctx):
    """The three shipped surveys, published under their slugs."""
    definitions.seed_templates()
    return {slug: definitions.get_public_survey(slug) for slug in definitions.TEMPLATES}


@pytest.fixture()
def every_type(ctx):
    """One survey with every question type, "don't know", reverse coding and skip logic."""
    options = [{"value": v, "label": {"zh-CN": v}} for v in ("a", "b", "c")]
    body = definition(
        likert("lik", dont_know=True, construct="satisfaction", indicator="SAT"),
        {
            "code": "s10",
            "type": "scale10",
            "required": True,
            "text": {"zh-CN": "1-10"},
            "reverse": True,
            "construct": "expectation",
            "indicator": "EXP",
        },
        {"code": "s11", "type": "scale11", "required": True, "text": {"zh-CN": "0-10"}},
        {"code": "yn", "type": "yes_no", "required": True, "text": {"zh-CN": "是否"}},
        {
            "code": "follow",
            "type": "likert5",
            "required": True,
            "text": {"zh-CN": "仅当是"},
            "show_if": {"question": "yn", "in": [True]},
        },
        {"code": "one", "type": "single", "required": True, "text": {"zh-CN": "单选"}, "options": options},
        {
            "code": "many",
            "type": "multi",
            "text": {"zh-CN": "多选"},
            "options": options,
            "max_choices": 2,
            "dont_know": True,
        },
        {
            "code": "nps",
            "type": "nps",
            "required": True,
            "text": {"zh-CN": "推荐"},
            "construct": "loyalty",
            "indicator": "NPS",
        },
        {"code": "note", "type": "text", "text": {"zh-CN": "意见"}, "max_length": 20},
    )
    return publish("every-type", body)


VALID = {
    "lik": 4,
    "s10": 7,
    "s11": 0,
    "yn": True,
    "follow": 5,
    "one": "b",
    "many": ["a", "c"],
    "nps": 9,
    "note": "很好",
}
