"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from analytics.services import kpi_rollups
from analytics.services.hotspot_demo import DEMO_SHOP, has_demo_hotspot, plant_demo_hotspot
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


@analytics_cli.command("demo-hotspot")
@click.option("--cases", default=24, show_default=True, type=click.IntRange(1, 500))
@click.option("--if-absent", is_flag=True, help="Do nothing when the demo shop already has complaints.")
def demo_hotspot_command(cases: int, if_absent: bool) -> None:
    """Add a visible complaint spike (this month, 仓山区, one shop) on top of `flask demo`."""
    if if_absent and has_demo_hotspot():
        click.echo("demo hot spot already planted")
        return
    credit_code = plant_demo_hotspot(cases)
    click.echo(f"added {cases} kettle complaints about {DEMO_SHOP} ({credit_code}) in 仓山区 this month")
