"""Backups: `flask db backup` and `flask db restore` on the suite's database (SQLite: the online backup
API; PostgreSQL: pg_dump / pg_restore), and the documented restore into a scratch database. A restored
database has every table's rows back, and its audit chains verify with the very hashes of the original."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.engine import make_url

from complaints import demo as complaint_demo
from complaints.models import Case, CaseEvent, IdempotencyKey, Notification
from complaints.services.audit import verify_audit_chain
from complaints.services.intake import submit_complaint
from core.app import create_app
from core.backup import BackupError
from core.backup import sqlite as sqlite_backup
from core.db import db
from surveys import demo as survey_demo
from surveys.models import SurveyAnswer
from surveys.services.definitions import seed_templates
from tests.conftest import complaint_body

# The newest migration: what a backup of the test database carries and what restore expects.
HEAD = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_current_head()


def snapshot() -> dict[str, Any]:
    """Row counts of every table, and every case's chain head and event hashes."""
    db.session.remove()
    counts = {
        t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
    }
    heads = sorted(db.session.execute(select(Case.tracking_code, Case.event_count, Case.last_event_hash)))
    hashes = sorted(db.session.execute(select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash)))
    return {"counts": counts, "heads": heads, "hashes": hashes}


def build_data() -> None:
    """Cases in every state with their events and notices, surveys with responses and call-backs."""
    seed_templates()
    complaint_demo.load_demo(25, 11)
    survey_demo.load_survey_demo(15, 8, 11)
    db.session.commit()


def cli(app: Flask, *args: str) -> Any:
    db.session.remove()
    return app.test_cli_runner().invoke(args=list(args))


def is_postgres(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def scratch_url(app: Flask) -> str:
    """test_<x>_restore beside the suite's PostgreSQL database."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    return url.set(database=f"{url.database}_restore").render_as_string(hide_password=False)


def recreate_database(url: str, drop_only: bool = False) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        if not drop_only:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


@contextmanager
def opened_backup(app: Flask, backup: Path, tmp_path: Path) -> Iterator[None]:
    """The backup restored the documented way into a scratch database, as the current app.

    SQLite: a copy of the backup file is the database. PostgreSQL: README's routine, `createdb` and
    `pg_restore --exit-on-error --no-owner` into test_<x>_restore."""
    if is_postgres(app):
        url = scratch_url(app)
        recreate_database(url)
        parsed = make_url(url)
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", "-h", parsed.host, "-p", str(parsed.port or 5432),
             "-U", parsed.username, "-d", parsed.database, str(backup)],
            check=True, capture_output=True,
        )  # fmt: skip
    else:
        copy = tmp_path / "scratch.sqlite3"
        shutil.copyfile(backup, copy)
        url = f"sqlite:///{copy}"
    scratch = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret"})
    try:
        with scratch.app_context():
            yield
            db.session.remove()
            db.engine.dispose()
    finally:
        if is_postgres(app):
            recreate_database(url, drop_only=True)


def test_backup_destroy_restore_gives_back_every_row_and_the_same_audit_hashes(ctx, tmp_path):
    build_data()
    original = snapshot()
    assert original["counts"]["cases"] == 25 and original["counts"]["survey_responses"] > 15
    assert original["counts"]["case_events"] > 100 and original["counts"]["notifications"] > 0
    backup = tmp_path / "qualityline.backup"

    made = cli(ctx, "db", "backup", "--out", str(backup))
    assert made.exit_code == 0, made.output
    assert f"schema revision {HEAD}" in made.output and backup.stat().st_size > 0

    # Disaster: events, answers and a chain head gone or altered.
    first_case = db.session.scalar(select(Case.id).order_by(Case.id))
    db.session.execute(delete(CaseEvent).where(CaseEvent.case_id == first_case, CaseEvent.seq > 1))
    db.session.execute(delete(SurveyAnswer))
    db.session.execute(update(Case).where(Case.id != first_case).values(last_event_hash="f" * 64))
    db.session.commit()
    assert snapshot() != original and verify_audit_chain()[1]

    refused = cli(ctx, "db", "restore", str(backup))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert snapshot()["counts"]["survey_answers"] == 0  # nothing changed

    restored = cli(ctx, "db", "restore", str(backup), "--force")
    assert restored.exit_code == 0, restored.output
    assert f"current schema revision {HEAD}" in restored.output
    assert snapshot() == original
    assert verify_audit_chain() == (25, [])

    # The documented routine: restore into a scratch database and check it there.
    with opened_backup(ctx, backup, tmp_path):
        assert snapshot() == original
        assert verify_audit_chain() == (25, [])


def test_a_backup_taken_while_complaints_arrive_is_consistent(ctx, tmp_path):
    stop, errors = threading.Event(), []

    def keep_submitting() -> None:
        with ctx.app_context():
            n = 0
            while not stop.is_set() or n < 5:
                n += 1
                try:
                    submit_complaint(complaint_body(), idempotency_key=f"during-backup-{n}")
                except Exception as exc:  # noqa: BLE001 (reported below)
                    errors.append(exc)
            db.session.remove()

    writer = threading.Thread(target=keep_submitting)
    writer.start()
    try:
        while db.session.scalar(select(func.count()).select_from(Case)) < 5:
            db.session.remove()
            time.sleep(0.05)
        made = cli(ctx, "db", "backup", "--out", str(tmp_path / "live.backup"))
    finally:
        stop.set()
        writer.join(60)
    assert made.exit_code == 0, made.output
    assert errors == []
    with opened_backup(ctx, tmp_path / "live.backup", tmp_path):
        cases = db.session.scalar(select(func.count()).select_from(Case))
        # Each case with its key, its register event and its receipt, or not at all: one moment's copy.
        assert cases >= 5
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == cases
        assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == cases
        assert db.session.scalar(select(func.count()).select_from(Notification)) == cases
        assert verify_audit_chain() == (cases, [])


def make_sqlite(path: Path, revision: str | None) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    if revision:
        connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    connection.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    return path


def test_sqlite_restore_refuses_an_unknown_schema_revision_or_a_damaged_file(ctx, tmp_path):
    target = make_sqlite(tmp_path / "live.sqlite3", HEAD)
    before = target.read_bytes()
    newer = make_sqlite(tmp_path / "newer.sqlite3", "9999")
    with pytest.raises(BackupError, match="9999, which this code does not know"):
        sqlite_backup.restore(newer, target, force=True)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not an SQLite database"):
        sqlite_backup.restore(damaged, target, force=True)
    assert target.read_bytes() == before
    # An older known revision restores, with the upgrade to run next.
    older = make_sqlite(tmp_path / "older.sqlite3", "0006")
    note, safety = sqlite_backup.restore(older, target, force=True)
    assert "run `flask db upgrade`" in note
    assert (revision_of(target), revision_of(safety)) == ("0006", HEAD)  # the replaced one kept aside


def revision_of(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        connection.close()
