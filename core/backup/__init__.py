"""`flask db backup` / `flask db restore`: a consistent copy of the database and its checked way back.

SQLite is copied with sqlite3's online backup API, so a running service can be backed up (and restored
into) consistently; PostgreSQL goes through pg_dump / pg_restore in custom format. A backup records the
schema revision it was taken at, and a restore refuses a backup this code does not know (a newer
release's) before it touches anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app

from core.errors import DomainError


class BackupError(DomainError):
    """A backup or restore refused or failed; nothing was changed."""

    status_code = 409


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    revision: str | None
    size: int


def known_revisions() -> tuple[set[str], str]:
    """Every schema revision of this code's migrations, and the newest one (head)."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return {rev.revision for rev in script.walk_revisions()}, script.get_current_head()


def check_revision(revision: str | None) -> str:
    """Refuse a backup from a schema this code does not know; say what to run after an older one."""
    known, head = known_revisions()
    if revision is None or revision not in known:
        raise BackupError(
            f"the backup is at schema revision {revision or '(none)'}, which this code does not know "
            f"(its newest is {head}): restore it with the release that wrote it"
        )
    if revision != head:
        return f"the backup is at revision {revision}; run `flask db upgrade` to bring it to {head}"
    return f"the backup is at the current schema revision {head}"
