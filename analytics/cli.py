"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from analytics.services import kpi_rollups
from analytics.services.indicator_seed import seed_default_indicators

analytics_cli = AppGroup("analytics", help="Analytics: rollups, indicators, reports.")


@analytics_cli.command("rollup")
def rollup_command() -> None:
    """Rebuild the KPI rollups by deadline day now (the scheduler does it nightly at 02:00)."""
    started = time.perf_counter()
    rows = kpi_rollups.rebuild_kpi_rollups()
    click.echo(f"kpi_due_daily: {rows} rows rebuilt in {time.perf_counter() - started:.1f} s")


@analytics_cli.command("seed-indicators")
def seed_indicators_command() -> None:
    """Create the default Fuzhou service-quality indicators over the shipped surveys; safe to repeat."""
    for code, outcome in seed_default_indicators().items():
        click.echo(f"{code}: {outcome}")
