"""Bulk insert of planned cases, their audit history and their import records, in one transaction.

PostgreSQL gets binary COPY, ids reserved from the sequence first, and a pipeline: a thread streams
batch k to the server while the main thread builds batch k+1, so Python and PostgreSQL work at the
same time (two processes, two cores). SQLite gets executemany with ids after the current maximum (the
import holds SQLite's write lock from its first write, so no one else can take them).
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Callable
from typing import Any

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import JSON, func, select, text
from sqlalchemy.dialects import postgresql

from complaints.models import Case, CaseEvent
from complaints.services.intake import TRACKING_ALPHABET
from core.db import db
from open311.importing.history import CASE_COLUMNS, EVENT_COLUMNS, HistoryBuilder
from open311.importing.models import ImportBatch, ImportedCase
from open311.importing.rows import PlannedCase

IMPORTED_COLUMNS = ("batch_id", "source", "external_id", "case_id", "row_hash", "media_url")
BATCH_SIZE = 2000
CODE_CHECK_CHUNK = 5000
# json columns are sent as text: the binary form of json is its text, and the rows carry JSON text
# already (psycopg's json dumper would encode that text again, as a JSON string).
_PG_TYPES = {
    "integer": "int4",
    "timestamp with time zone": "timestamptz",
    "boolean": "bool",
    "float": "float8",
    "json": "text",
}

Rows = list[tuple[Any, tuple[str, ...], list[tuple]]]  # (table, columns, rows), in insertion order


def _pg_type(column: Any) -> str:
    """The PostgreSQL type name of a column, as binary COPY needs it (VARCHAR(24) -> varchar)."""
    name = column.type.compile(dialect=postgresql.dialect()).split("(")[0].strip().lower()
    return _PG_TYPES.get(name, name)


def _copy(driver: Any, table: Any, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Binary COPY: no text to format here or to parse there; the queued writer sends from a thread."""
    cursor = driver.cursor()
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
        copy.set_types([_pg_type(table.c[name]) for name in columns])
        for row in rows:
            copy.write_row(row)


def _executemany(driver: Any, table: Any, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """SQLite: the columns' own bind processors store values exactly as the ORM would (JSON columns
    arrive as JSON text already)."""
    dialect = db.session.get_bind().dialect
    processors = [
        (i, processor)
        for i, name in enumerate(columns)
        if not isinstance(table.c[name].type, JSON)
        and (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    converted = []
    for row in rows:
        values = list(row)
        for i, processor in processors:
            values[i] = processor(values[i])
        converted.append(values)
    marks = ", ".join("?" for _ in columns)
    driver.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", converted)


class CaseWriter:
    """Writes all planned cases of one import batch (the caller commits)."""

    def __init__(self, batch: ImportBatch, departments: dict[str, int]):
        self.batch = batch
        self.history = HistoryBuilder(batch.source, batch.id, departments)
        self.postgres = db.session.get_bind().dialect.name == "postgresql"

    def _reserve_ids(self, n: int) -> list[int]:
        if self.postgres:
            return list(
                db.session.scalars(
                    text("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, :n)"),
                    {"n": n},
                )
            )
        start = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
        return list(range(start, start + n))

    def _fresh_code(self, plan: PlannedCase) -> str:
        day = self.history.calendar.local_date(plan.received_at)
        bits = int.from_bytes(secrets.token_bytes(5))  # 40 random bits = 8 Crockford base32 characters
        return f"QL-{day:%Y%m%d}-" + "".join(TRACKING_ALPHABET[(bits >> s) & 31] for s in range(35, -5, -5))

    def _taken(self, codes: list[str]) -> set[str]:
        """Which of these tracking codes are already in use."""
        if self.postgres:  # one array parameter: nothing to compile or plan per code
            return set(
                db.session.scalars(text("SELECT tracking_code FROM cases WHERE tracking_code = ANY(:codes)"),
                                   {"codes": codes})
            )  # fmt: skip
        taken: set[str] = set()
        for start in range(0, len(codes), CODE_CHECK_CHUNK):
            chunk = codes[start : start + CODE_CHECK_CHUNK]
            taken.update(db.session.scalars(select(Case.tracking_code).where(Case.tracking_code.in_(chunk))))
        return taken

    def _tracking_codes(self, plans: list[PlannedCase]) -> list[str]:
        codes = [self._fresh_code(p) for p in plans]
        pending = list(range(len(codes)))
        while pending:  # collisions are rare, but the column is unique: draw again until none is taken
            taken = self._taken([codes[i] for i in pending])
            redrawn = set(pending)
            seen = {code for i, code in enumerate(codes) if i not in redrawn}
            again = []
            for i in pending:
                if codes[i] in taken or codes[i] in seen:
                    codes[i] = self._fresh_code(plans[i])
                    again.append(i)
                seen.add(codes[i])
            pending = again
        return codes

    def _build(self, plans: list[PlannedCase], ids: list[int], codes: list[str]) -> Rows:
        case_rows, event_rows, imported_rows = [], [], []
        for plan, case_id, code in zip(plans, ids, codes, strict=True):
            columns = self.history.columns(plan, case_id, code)
            event_rows.extend(self.history.events(plan, columns))
            case_rows.append(tuple(columns[name] for name in CASE_COLUMNS))
            imported_rows.append(
                (self.batch.id, self.batch.source, plan.external_id, case_id, plan.digest, plan.media_url)
            )
        return [
            (Case.__table__, CASE_COLUMNS, case_rows),
            (CaseEvent.__table__, EVENT_COLUMNS, event_rows),
            (ImportedCase.__table__, IMPORTED_COLUMNS, imported_rows),
        ]

    def write_all(self, plans: list[PlannedCase], done: Callable[[int], None]) -> None:
        """Insert every planned case; `done(n)` is called as batches are built."""
        ids, codes = self._reserve_ids(len(plans)), self._tracking_codes(plans)
        driver = db.session.connection().connection.driver_connection
        batches = [(start, start + BATCH_SIZE) for start in range(0, len(plans), BATCH_SIZE)]
        if not self.postgres:
            for lo, hi in batches:
                for table, columns, rows in self._build(plans[lo:hi], ids[lo:hi], codes[lo:hi]):
                    _executemany(driver, table, columns, rows)
                done(min(hi, len(plans)) - lo)
            return
        # From here the connection belongs to the COPY thread until it has drained the queue.
        work: queue.Queue[Rows | None] = queue.Queue(maxsize=2)
        failure: list[BaseException] = []

        def stream() -> None:
            while (item := work.get()) is not None:
                if failure:
                    continue  # keep draining so the producer never blocks on a dead consumer
                try:
                    for table, columns, rows in item:
                        _copy(driver, table, columns, rows)
                except BaseException as error:  # handed to the main thread below
                    failure.append(error)

        thread = threading.Thread(target=stream, name="import-copy", daemon=True)
        thread.start()
        try:
            for lo, hi in batches:
                if failure:
                    break
                work.put(self._build(plans[lo:hi], ids[lo:hi], codes[lo:hi]))
                done(min(hi, len(plans)) - lo)
        finally:
            work.put(None)
            thread.join()
        if failure:
            raise failure[0]
