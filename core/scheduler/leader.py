"""Leader election: exactly one scheduler process runs jobs; the others stand by.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it vanishes with the process
(or its connection), so a standby takes over at its next try. SQLite: an exclusive flock on a file next
to the database; a SQLite database lives on one host, and the kernel drops the lock when the process dies.
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("qualityline.scheduler")

# Advisory lock key: "QLSC" in ASCII. Advisory locks are per database, so two deployments sharing one
# PostgreSQL cluster with different databases do not block each other.
ADVISORY_KEY = 0x514C5343


class LeaderLock(Protocol):
    """A lock only one scheduler process can hold."""

    description: str

    def acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """pg_try_advisory_lock on a connection kept open while leading."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY):
        self.engine, self.key = engine, key
        self.description = f"PostgreSQL advisory lock {key:#x}"
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("leader lock: database unreachable (%s)", type(exc).__name__)
            return False
        try:
            won = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        except SQLAlchemyError:
            conn.invalidate()
            return False
        if won:
            self._conn = conn
        else:
            conn.close()
        return bool(won)

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid = 0 AND objid::bigint = :key"
                ),
                {"key": self.key},
            ).scalar()
        except SQLAlchemyError:
            held = 0
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        if self._conn is not None:
            # If the connection is already gone, so is the lock.
            with suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._drop()

    def _drop(self) -> None:
        # Invalidate rather than return to the pool: a pooled session would keep the lock alive.
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None


class FileLock:
    """An exclusive, non-blocking flock on a file; the kernel releases it when the process dies."""

    def __init__(self, path: Path):
        self.path = path
        self.description = f"file lock {path}"
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leader_lock_for(engine: Engine, instance_path: str) -> LeaderLock:
    """The lock that fits the database: advisory lock on PostgreSQL, a file beside an SQLite file."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        return FileLock(Path(database).with_name(Path(database).name + ".scheduler.lock"))
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return FileLock(Path(instance_path) / "scheduler.lock")
