"""The `qualityline` console script: the Flask CLI bound to this app's factory."""

from __future__ import annotations

from flask.cli import FlaskGroup

from core.app import create_app


def main() -> None:
    """Entry point of the `qualityline` command (same commands as `flask`)."""
    FlaskGroup(create_app=create_app, help="QualityLine management commands.")()
