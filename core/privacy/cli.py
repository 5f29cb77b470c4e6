"""`flask privacy access-log`: read the personal-data access log from the shell."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from core.privacy import services

privacy_cli = AppGroup("privacy", help="Personal-data access log.")


@privacy_cli.command("access-log")
@click.option("--subject", default=None, help="A case's tracking code or a survey's slug.")
@click.option("--user", "username", default=None, help="Only this staff member's accesses.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="From this local day on.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def access_log(subject: str | None, username: str | None, since: datetime | None, limit: int) -> None:
    """Print who was shown which personal data, newest first (tab-separated)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    start = since.replace(tzinfo=tz) if since else None
    page = services.list_access(subject=subject, username=username, start=start, limit=limit)
    for row in page.items:
        when = row.at.astimezone(tz).isoformat(timespec="seconds")
        where = f"{row.subject_type}:{row.subject}"
        click.echo(f"{when}\t{row.user.username}\t{row.role}\t{where}\t{','.join(row.fields)}\t{row.purpose}")
