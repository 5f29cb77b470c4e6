"""QUALITYLINE_SURVEY_* settings, read from the environment like core/config.py's (defaults below)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from core.config import ENV_PREFIX

# name -> (default, parser, description); README "Surveys" lists them.
SURVEY_SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "SURVEY_CALLBACK_SLUG": (
        "hotline-callback",
        str,
        "Survey whose invitation goes out after each reply (回访)",
    ),
    "SURVEY_RESPONSE_RATE_LIMIT": (
        "10 per minute;200 per day",
        str,
        "Survey answers accepted per client address (mobile carriers share addresses: keep it loose)",
    ),
    "SURVEY_REMINDER_AFTER_HOURS": (
        72,
        int,
        "Remind an unanswered invitation this long after the last message",
    ),
    "SURVEY_MAX_REMINDERS": (1, int, "Reminders per invitation (0: none)"),
    "SURVEY_PARTIAL_GRACE_MINUTES": (
        30,
        int,
        "A one-click call-back rating left alone this long is applied to the case",
    ),
    "SURVEY_IMPORT_SECONDS": (5.0, float, "How often the scheduler looks for uploaded files to import"),
    "SURVEY_IMPORT_MAX_ROWS": (100_000, int, "Largest file (data rows) an import accepts"),
}


def init_survey_settings(app: Flask) -> None:
    """Fill the app config from QUALITYLINE_SURVEY_* unless the app factory's caller set them."""
    for name, (default, parser, _doc) in SURVEY_SETTINGS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        app.config.setdefault(name, default if raw is None else parser(raw))
