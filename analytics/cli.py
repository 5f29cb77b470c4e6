"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
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


@analytics_cli.command("report")
@click.option("--year", type=int, required=True, help="Calendar year to report on.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files (default: instance/reports).",
)
def report_command(year: int, out: Path | None) -> None:
    """Write the annual quality report of --year as HTML and PDF."""
    # Imported here, not at the top: WeasyPrint and matplotlib add seconds to every app start (web
    # workers, scheduler, every other command) and only this command needs them.
    from analytics.report.build import write_report

    html_path, pdf_path = write_report(year, out or Path(current_app.instance_path) / "reports")
    click.echo(f"HTML: {html_path}")
    click.echo(f"PDF:  {pdf_path}")
