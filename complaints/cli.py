"""`flask seed`, `flask demo` and `flask complaints ...` commands (thin wrappers over services)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from complaints import demo
from complaints.models import Case, CaseEvent
from complaints.services.audit import verify_audit_chain
from complaints.services.catalogue import seed_catalogues
from complaints.services.retention import erase_expired
from core.db import db

complaints_cli = AppGroup("complaints", help="Complaint maintenance commands.")


@click.command("seed")
def seed_command() -> None:
    """Load the reference catalogues (regions, categories, default policy); safe to repeat."""
    added = seed_catalogues()
    click.echo("seeded: " + ", ".join(f"{n} {name}" for name, n in added.items()))


@click.command("demo")
@click.option("--cases", default=300, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has cases.")
@click.option(
    "--seed", "random_seed", default=2026, show_default=True, help="Random seed for repeatable data."
)
def demo_command(cases: int, if_empty: bool, random_seed: int) -> None:
    """Add demo departments, staff (passwords printed) and cases in every state."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Case)):
        click.echo("database already has cases; demo data not loaded")
        return
    seed_catalogues()
    summary = demo.load_demo(cases, random_seed)
    click.echo(f"demo password for every account below: {demo.DEMO_PASSWORD}")
    for username, role, department in summary.users:
        click.echo(f"  {username:<14} {role:<11} {department or ''}")
    click.echo("cases by status: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items())))


@complaints_cli.command("verify-audit")
def verify_audit_command() -> None:
    """Recompute every case's audit hash chain; exit 1 if any event was altered or removed."""
    checked, problems = verify_audit_chain()
    for problem in problems:
        click.echo(f"{problem.tracking_code} event {problem.seq}: {problem.problem}", err=True)
    if problems:
        raise SystemExit(1)
    # Chains begun by role "import" hold history a bulk import wrote with the source system's times: the
    # chain proves nothing changed since the import; the import batch records the source file's SHA-256.
    imported = db.session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.seq == 1, CaseEvent.actor_role == "import")
    )
    click.echo(
        f"audit chain intact for {checked} cases"
        + (f" ({imported} with imported history)" if imported else "")
    )


@complaints_cli.command("erase-expired")
@click.option("--dry-run", is_flag=True, help="Only count the cases that are due.")
def erase_expired_command(dry_run: bool) -> None:
    """Erase the personal data of finished cases past QUALITYLINE_RETENTION_DAYS (as the nightly job
    does); statistics, outcomes and the audit chain stay. Exit 1 if a case's chain did not verify."""
    if current_app.config["RETENTION_DAYS"] <= 0:
        click.echo("QUALITYLINE_RETENTION_DAYS is 0: personal data is kept, nothing to do")
        return
    report = erase_expired(dry_run=dry_run)
    cutoff = f"{report.cutoff:%Y-%m-%d %H:%M} UTC"
    if dry_run:
        click.echo(f"{report.erased} finished cases ended before {cutoff} still hold personal data")
        return
    click.echo(
        f"erased the personal data of {report.erased} cases that ended before {cutoff} "
        f"({report.reasons_erased} audit texts"
        + (f", {report.resealed} older chains re-sealed" if report.resealed else "")
        + ")"
    )
    for code in report.skipped:
        click.echo(f"{code}: audit chain does not verify, personal data kept for the investigation", err=True)
    if report.skipped:
        raise SystemExit(1)
