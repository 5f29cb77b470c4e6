"""`flask db backup` and `flask db restore`, added to Flask-Migrate's `flask db` group."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url

from core.backup import BackupError, postgresql, sqlite
from core.db import db


def _sqlite_file() -> Path | None:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    return Path(url.database).resolve() if url.get_backend_name() == "sqlite" and url.database else None


def _default_out(suffix: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"qualityline-{stamp}{suffix}"


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Backup file to write.")
def backup_command(out: Path | None) -> None:
    """Back up the database: SQLite with the online backup API (safe while the service runs),
    PostgreSQL with pg_dump --format=custom (needs pg_dump on PATH). Default file: instance/backups/."""
    database = _sqlite_file()
    try:
        if database is not None:
            info = sqlite.backup(database, out or _default_out(".sqlite3"))
        else:
            info = postgresql.backup(
                current_app.config["SQLALCHEMY_DATABASE_URI"], out or _default_out(".dump")
            )
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"backed up to {info.path} ({info.size} bytes, schema revision {info.revision})")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup made by `flask db backup`. Refuses a damaged backup, one of a schema revision
    this code does not know, and (without --force) a database that holds data. SQLite: the current file
    is first copied beside itself. Restart the web and scheduler services afterwards."""
    database = _sqlite_file()
    db.session.remove()
    try:
        if database is not None:
            note, safety = sqlite.restore(path, database, force)
            if safety is not None:
                click.echo(f"the previous database was saved to {safety}")
        else:
            note = postgresql.restore(path, current_app.config["SQLALCHEMY_DATABASE_URI"], db.engine, force)
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"restored {path}; {note}")
