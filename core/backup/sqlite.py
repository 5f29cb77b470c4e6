"""SQLite backups through sqlite3's online backup API: a consistent copy while the service writes."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from core.backup import BackupError, BackupInfo, check_revision


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _copy(source: Path, target: Path) -> None:
    """Copy every page in one step of the online backup API: a snapshot of one moment (WAL readers
    and writers carry on), written into `target` under its write lock."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def inspect_backup(path: Path) -> BackupInfo:
    """Integrity and schema revision of a backup file (opened read-only)."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = connection.execute("PRAGMA integrity_check").fetchone()[0]
        revision = _revision(connection)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from exc
    finally:
        connection.close()
    if ok != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {ok}")
    return BackupInfo(path, revision, path.stat().st_size)


def backup(database: Path, out: Path) -> BackupInfo:
    """Copy the live database to `out` (a single self-contained file, written atomically)."""
    if not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    _copy(database, part)
    connection = sqlite3.connect(part)
    try:
        # One file, no -wal beside it: the copy can be moved and opened anywhere.
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    info = inspect_backup(part)
    os.replace(part, out)
    return BackupInfo(out, info.revision, info.size)


def _has_tables(database: Path) -> bool:
    if not database.is_file() or database.stat().st_size == 0:
        return False
    connection = sqlite3.connect(database)
    try:
        return bool(
            connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        )
    finally:
        connection.close()


def restore(path: Path, database: Path, force: bool) -> tuple[str, Path | None]:
    """Replace the database's content with the backup's; returns (revision note, safety copy).

    Refuses a damaged backup, one of an unknown schema revision, and a non-empty database without
    `force`. The current content is first saved beside the database, so a wrong restore can be undone.
    The backup API writes into the live file under SQLite's locks, so running workers see either the
    old or the restored database, never a mix (restart them anyway: caches may hold old rows).
    """
    info = inspect_backup(path)
    note = check_revision(info.revision)
    safety = None
    if _has_tables(database):
        if not force:
            raise BackupError(f"{database} already holds data; add --force to replace it with the backup")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safety = database.with_name(f"{database.name}.before-restore-{stamp}")
        backup(database, safety)
    database.parent.mkdir(parents=True, exist_ok=True)
    _copy(path, database)
    return note, safety
