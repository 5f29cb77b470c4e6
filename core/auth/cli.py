"""`flask users ...`: create accounts and reset passwords from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.auth import services
from core.auth.roles import Role
from core.errors import DomainError

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--department", "department_code", default=None, help="Department code (required for handlers)."
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name.")
def create_user(
    username: str, role: str, department_code: str | None, password: str, display_name: str
) -> None:
    """Create a staff account."""
    try:
        user = services.create_user(username, role, password, department_code, display_name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"created {user.username} ({user.role})")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def reset_password(username: str, password: str) -> None:
    """Set a new password, revoke the user's tokens and lift a lockout."""
    try:
        services.reset_password(username, password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"password reset for {username}; existing tokens and web sessions revoked")


@users_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Lift a login lockout (after too many wrong passwords) before it runs out."""
    try:
        services.unlock_user(username)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{username} unlocked")
