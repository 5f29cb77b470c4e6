"""`flask seed`, `flask demo` and `flask complaints ...` commands (thin wrappers over services)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from complaints import demo
from complaints.models import Case, CaseEvent
from complaints.services.audit import verify_audit_chain
from complaints.services.catalogue import seed_catalogues
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
