"""Bulk import (`flask complaints import`) of 100,000 historical 311 rows, against a plain COPY of the same
rows in the same run.

Run:  .venv/bin/python bench/import_bench.py [--rows 100000] [--url postgresql+psycopg://postgres@127.0.0.1/qualityline_import_bench]

It (re)creates the bench database, builds the schema with the migrations, and writes a CSV of --rows
rows made from the real San Francisco sample (/work/shared/data/sf311 or --sample): the 10,000 rows
repeated with fresh ids and their dates moved back by whole weeks, so categories, agencies, statuses,
channels, the closed-before-created rows and the time spans between creation and closure are real.
Then, on the same database:
- baseline: COPY of the same CSV rows into a plain staging table (text columns, no checks, no indexes
  beyond a primary key): the floor for getting those rows into PostgreSQL;
- import: the real command path (import_cases with open311/mappings/sf311.toml, --on-invalid skip):
  read, check every row, write cases, their hash-chained audit events and the import records;
- re-import: the same file again (idempotency: every row is found and skipped).
Results go to bench/results/import.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchdb import recreate_database  # bench/ is on sys.path when run
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from complaints.models import CaseEvent
from complaints.services.catalogue import seed_catalogues
from core.app import create_app
from core.auth.services import create_department
from core.db import db
from open311.importing.service import import_cases

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "import.json"
MAPPING = ROOT / "open311" / "mappings" / "sf311.toml"
# The reference data sits beside the checkout (../shared/data) unless QUALITYLINE_REFERENCE_DATA says where.
REFERENCE = Path(
    os.environ.get("QUALITYLINE_REFERENCE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
SAMPLE = REFERENCE / "sf311" / "sf311_sample_10k.csv.gz"
DEPARTMENTS = ("SF-PUC", "SF-HA", "SF-MTA", "SF-DPW", "SF-311")


def _shift(value: str, weeks: int) -> str:
    if not value:
        return value
    return (datetime.fromisoformat(value) - timedelta(weeks=weeks)).isoformat(sep=" ")


def write_rows(sample: Path, target: Path, n: int) -> list[str]:
    """n rows from the sample: copy k of row r gets id '<unique_key>-<k>' and dates k weeks earlier."""
    with gzip.open(sample, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header)
        writer.writeheader()
        for i in range(n):
            copy, row = divmod(i, len(rows))
            row = dict(rows[row])
            if copy:
                row["unique_key"] = f"{row['unique_key']}-{copy}"
                for column in ("created_date", "closed_date", "resolution_action_updated_date"):
                    row[column] = _shift(row[column], copy)
            writer.writerow(row)
    return header


def baseline_copy(header: list[str], path: Path) -> float:
    """COPY the same CSV into a staging table of text columns; seconds."""
    columns = ", ".join(f'"{c}" text' for c in header)
    db.session.execute(text(f"CREATE TABLE import_staging (row_id serial PRIMARY KEY, {columns})"))
    db.session.commit()
    started = time.perf_counter()
    cursor = db.session.connection().connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in header)
    statement = f"COPY import_staging ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"
    with cursor.copy(statement) as copy, path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    db.session.commit()
    return time.perf_counter() - started


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a local PostgreSQL backend, from /proc; None when not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_import_bench"
    )
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    load = os.getloadavg()[0]  # the machine is shared: say how busy it was
    recreate_database(args.url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url, "LOG_LEVEL": "WARNING"})
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        upgrade()
        seed_catalogues()
        for code in DEPARTMENTS:
            create_department(code, code, "350100")
        source = Path(tmp) / "sf311_bench.csv"
        header = write_rows(args.sample, source, args.rows)
        baseline = baseline_copy(header, source)
        print(f"baseline COPY of {args.rows:,} rows: {baseline:.2f} s ({args.rows / baseline:,.0f} rows/s)")

        marks: dict[str, float] = {}

        def progress(phase: str, n: int, total: int) -> None:
            marks[phase] = time.perf_counter()  # the last call of a phase marks its end

        # CPU seconds say what the import costs whatever else the (shared) machine is doing.
        backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        server_cpu, client_cpu = backend_cpu_seconds(backend), time.process_time()
        started = time.perf_counter()
        report = import_cases(source, "csv", MAPPING, on_invalid="skip", progress=progress)
        took = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        after = backend_cpu_seconds(backend)
        server_cpu = None if server_cpu is None or after is None else after - server_cpu
        phases = {
            "read_and_check": marks["check"] - started,
            "write_and_commit": started + took - marks["check"],
        }
        events = db.session.scalar(select(func.count()).select_from(CaseEvent))
        print(f"import CPU: client {client_cpu:.1f} s, PostgreSQL backend {server_cpu} s")
        print(
            f"import: {took:.2f} s ({args.rows / took:,.0f} rows/s): {report.imported:,} cases, "
            f"{events:,} events, {report.invalid_rows} invalid rows reported; "
            f"{took / baseline:.1f}x the baseline"
        )

        started = time.perf_counter()
        again = import_cases(source, "csv", MAPPING, on_invalid="skip")
        reimport = time.perf_counter() - started
        print(
            f"re-import: {reimport:.2f} s, {again.already_imported:,} already imported, {again.imported} new"
        )

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "load_average_at_start": round(load, 2),
                "load_average_at_end": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
                "database": make_url(args.url).get_backend_name(),
                "baseline": {
                    "what": "COPY of the same CSV rows into a text staging table",
                    "seconds": round(baseline, 3),
                    "rows_per_second": round(args.rows / baseline),
                },
                "import": {
                    "seconds": round(took, 3),
                    "rows_per_second": round(args.rows / took),
                    "phases_seconds": {k: round(v, 3) for k, v in phases.items()},
                    "cpu_seconds": {
                        "client": round(client_cpu, 1),
                        "postgresql_backend": None if server_cpu is None else round(server_cpu, 1),
                    },
                    "cases": report.imported,
                    "events": events,
                    "invalid_rows": report.invalid_rows,
                    "vs_baseline": round(took / baseline, 2),
                },
                "reimport": {
                    "seconds": round(reimport, 3),
                    "already_imported": again.already_imported,
                    "imported": again.imported,
                },
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
