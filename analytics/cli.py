"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from analytics.services.indicator_seed import seed_default_indicators

analytics_cli = AppGroup("analytics", help="Analytics: rollups, reports.")


@analytics_cli.command("seed-indicators")
def seed_indicators_command() -> None:
    """Create the default Fuzhou service-quality indicators over the shipped surveys; safe to repeat."""
    for code, outcome in seed_default_indicators().items():
        click.echo(f"{code}: {outcome}")
