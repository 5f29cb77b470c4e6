"""Language choice (zh-CN by default, English on request) and translation of validation messages."""

from __future__ import annotations

import re

from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LANG_COOKIE = "ql_lang"

# Parameterised messages from marshmallow and the services, rewritten to a catalogue msgid + values.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Length must be between %(a)s and %(b)s."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "Longer than maximum length %(a)s."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "Shorter than minimum length %(a)s."),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "Must be between %(a)s and %(b)s.",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "Must be at least %(a)s."),
    (re.compile(r"^at most (\d+) working days$"), "at most %(a)s working days"),
    (re.compile(r"^Must be one of: .*\.$"), "Not one of the allowed choices."),
    (re.compile(r"^cannot (\w+) a case that is (\w+)$"), "cannot %(a)s a case that is %(b)s"),
    (re.compile(r"^cannot merge into a case that is (\w+)$"), "cannot merge into a case that is %(a)s"),
]
# core/errors.py's page for a database outage (503).
CORE_MESSAGES = (_l("The service is briefly unavailable; please try again in a moment."),)
# marshmallow's fixed messages, listed so the catalogue extraction picks them up.
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Unknown field."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Not a valid email address."),
    _l("Not a valid datetime."),
    _l("Not a valid date."),
    _l("Invalid input type."),
    _l("Invalid value."),
    _l("String does not match expected pattern."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Length must be between %(a)s and %(b)s."),
    _l("Longer than maximum length %(a)s."),
    _l("Shorter than minimum length %(a)s."),
    _l("Must be between %(a)s and %(b)s."),
    _l("Must be at least %(a)s."),
    _l("Not one of the allowed choices."),
)


def select_locale() -> str:
    """The visitor's chosen language (cookie), else zh_CN."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LOCALE


def localize(message: str) -> str:
    """Translate a validation message into the visitor's language (unknown messages pass through)."""
    for pattern, msgid in _PATTERNS:
        match = pattern.match(message)
        if match:
            # Captured words (an action, a state) are codes with catalogue entries of their own.
            groups = [gettext(g) for g in match.groups()]
            values = {"a": groups[0] if groups else "", "b": groups[1] if len(groups) > 1 else ""}
            return gettext(msgid, **values)
    return gettext(message)
