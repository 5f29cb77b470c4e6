"""`flask analytics ...` commands for analysts and the scheduler (thin wrappers over analytics services)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from analytics.services.hotspot_demo import DEMO_SHOP, plant_demo_hotspot

analytics_cli = AppGroup("analytics", help="Analytics: rollups, reports.")


@analytics_cli.command("demo-hotspot")
@click.option("--cases", default=24, show_default=True, type=click.IntRange(1, 500))
def demo_hotspot_command(cases: int) -> None:
    """Add a visible complaint spike (this month, 仓山区, one shop) on top of `flask demo`."""
    credit_code = plant_demo_hotspot(cases)
    click.echo(f"added {cases} kettle complaints about {DEMO_SHOP} ({credit_code}) in 仓山区 this month")
