"""PostgreSQL backups: pg_dump / pg_restore in custom format (-Fc), driven from the app's URL."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url

from core.backup import BackupError, BackupInfo, check_revision


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client (apt-get install postgresql-client)"
        )
    return found


def _connection(url: str | URL) -> tuple[str, dict[str, str]]:
    """A libpq URI for --dbname without the password (which goes into PGPASSWORD, off the command line)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-2000:]}")
    return result


def dump_revision(path: Path) -> str | None:
    """The schema revision stored in a custom-format dump (its alembic_version row)."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    listing = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        dict(os.environ),
    ).stdout.splitlines()
    if not any(line.startswith("COPY ") for line in listing):
        return None
    rows = listing[next(i for i, line in enumerate(listing) if line.startswith("COPY ")) + 1 :]
    return rows[0].strip() if rows and rows[0] != "\\." else None


def backup(url: str, out: Path) -> BackupInfo:
    """pg_dump --format=custom of the database to `out` (written atomically)."""
    uri, env = _connection(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    _run([_tool("pg_dump"), "--format=custom", f"--file={part}", f"--dbname={uri}"], env)
    os.replace(part, out)
    return BackupInfo(out, dump_revision(out), out.stat().st_size)


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            )
        )


def restore(path: Path, url: str, engine: Engine, force: bool) -> str:
    """pg_restore the dump into the database, in one transaction (a failure changes nothing).

    Refuses a dump of an unknown schema revision, and a database that already has tables unless
    `force` (then existing objects are dropped first: stop the web and scheduler services before, or
    their locks make pg_restore wait). The documented routine restores into a fresh database instead.
    """
    note = check_revision(dump_revision(path))
    clean = _has_tables(engine)
    if clean and not force:
        raise BackupError("the database already holds tables; add --force to replace them with the backup")
    uri, env = _connection(url)
    args = [_tool("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", f"--dbname={uri}"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, str(path)], env)
    engine.dispose()  # pooled connections may hold cached plans of the dropped tables
    return note
