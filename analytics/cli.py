"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from analytics.services import kpi_rollups

analytics_cli = AppGroup("analytics", help="Analytics: rollups, reports.")


@analytics_cli.command("rollup")
def rollup_command() -> None:
    """Rebuild the KPI rollups by deadline day now (the scheduler does it nightly at 02:00)."""
    started = time.perf_counter()
    rows = kpi_rollups.rebuild_kpi_rollups()
    click.echo(f"kpi_due_daily: {rows} rows rebuilt in {time.perf_counter() - started:.1f} s")
