"""Wiring of the surveys package into the app (called by the app factory, core/app.py)."""

from __future__ import annotations

from flask import Flask

from complaints.services.retention import register_eraser
from surveys.services.callback import init_callback
from surveys.services.retention import erase_case_respondents
from surveys.settings import init_survey_settings
from surveys.web import builder, fieldwork, public, staff


def init_surveys(app: Flask) -> None:
    """Settings, the call-back hook complaints asks for, the eraser of call-back contacts at the end of
    the retention period, and the survey pages (the API blueprint and the jobs are listed by the app
    factory with the other packages')."""
    init_survey_settings(app)
    init_callback(app)
    register_eraser(app, erase_case_respondents)
    for blueprint in (public.bp, staff.bp, builder.bp, fieldwork.bp):
        app.register_blueprint(blueprint)
