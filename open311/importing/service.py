"""`flask complaints import`: check every row first, then write the good ones in one transaction.

Idempotent: (mapping source, external id) is recorded per imported case, so a second run skips what
the first took (a row that changed in the source since is reported, not re-applied). With
on_invalid="reject" one bad row keeps the whole file out; with "skip" the bad rows are reported and
left out. A dry run does all the checks and writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from complaints.models import Category
from complaints.services.rollups import roll_up_day
from core.db import db, utcnow
from open311.importing.mapping import check_against_catalogue, load_mapping
from open311.importing.models import ImportBatch, ImportedCase
from open311.importing.readers import read_source
from open311.importing.rows import PlannedCase, Problem, RowPlanner
from open311.importing.writer import CaseWriter

ON_INVALID = ("reject", "skip")
Progress = Callable[
    [str, int, int], None
]  # (phase "check" | "write", rows done since last call, phase total)


@dataclass
class ImportReport:
    """What an import found and did."""

    source: str
    file_format: str
    dry_run: bool
    on_invalid: str
    rows: int = 0
    valid: int = 0
    imported: int = 0
    already_imported: int = 0
    invalid_rows: int = 0
    rejected: bool = False
    batch_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    days: set = field(default_factory=set)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_rows(report: ImportReport, rows, planner: RowPlanner, known: dict[str, str], progress: Progress):
    planned: list[PlannedCase] = []
    first_seen: dict[str, int] = {}
    pending = 0
    for row in rows:
        plan, problems = planner.plan(row)
        external_id = row.values.get("external_id")
        if external_id is not None and external_id in first_seen:
            problems.append(
                Problem(row.number, external_id, "external_id", f"same id as row {first_seen[external_id]}")
            )
            plan = None
        elif external_id is not None:
            first_seen[external_id] = row.number
        report.problems.extend(problems)
        if any(p.level == "error" for p in problems):
            report.invalid_rows += 1
        elif plan is not None and plan.external_id in known:
            report.already_imported += 1
            if known[plan.external_id] != plan.digest:
                report.problems.append(
                    Problem(row.number, plan.external_id, "external_id", "changed in the source since it was "
                            "imported; the imported case is left as it was", level="warning")
                )  # fmt: skip
        elif plan is not None:
            planned.append(plan)
        pending += 1
        if pending == 1000:
            progress("check", pending, len(rows))
            pending = 0
    if pending:
        progress("check", pending, len(rows))
    report.valid = len(planned)
    return planned


def import_cases(
    path: Path,
    file_format: str,
    mapping_path: Path,
    dry_run: bool = False,
    on_invalid: str = "reject",
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file of historical cases; MappingError / ImportFileError when it cannot start."""
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be one of {ON_INVALID}")
    progress = progress or (lambda phase, n, total: None)
    mapping = load_mapping(mapping_path, file_format)
    departments = check_against_catalogue(mapping)
    rows = read_source(path, file_format, mapping.columns)
    report = ImportReport(mapping.source, file_format, dry_run, on_invalid, rows=len(rows))
    known = dict(
        db.session.execute(
            select(ImportedCase.external_id, ImportedCase.row_hash).where(
                ImportedCase.source == mapping.source
            )
        ).all()
    )
    names = dict(db.session.execute(select(Category.code, Category.name)).all())
    planned = _check_rows(report, rows, RowPlanner(mapping, names, utcnow()), known, progress)
    if report.invalid_rows and on_invalid == "reject":
        report.rejected = True
    if dry_run or report.rejected or not planned:
        db.session.rollback()
        return report
    try:
        batch = ImportBatch(
            source=mapping.source,
            filename=path.name[:255],
            file_sha256=_sha256(path),
            file_format=file_format,
            mapping=mapping.document,
            on_invalid=on_invalid,
            rows_total=report.rows,
            invalid=report.invalid_rows,
            already_imported=report.already_imported,
        )
        db.session.add(batch)
        db.session.flush()
        writer = CaseWriter(batch, departments)
        writer.write_all(planned, lambda n: progress("write", n, len(planned)))
        batch.imported, batch.finished_at = len(planned), utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    report.imported, report.batch_id, report.days = len(planned), batch.id, writer.history.days
    return report


def roll_up_imported_days(report: ImportReport, progress: Progress | None = None) -> int:
    """Rebuild the daily KPI rollups (kpi_daily) of every local day the import wrote events on."""
    for day in sorted(report.days):
        roll_up_day(day)
        if progress:
            progress("rollup", 1, len(report.days))
    return len(report.days)


REPORT_COLUMNS = ("row", "external_id", "level", "field", "problem", "value")


def write_report(report: ImportReport, path: Path) -> None:
    """The row-by-row report as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_COLUMNS)
        for p in sorted(report.problems, key=lambda p: (p.row, p.level, p.field)):
            writer.writerow([p.row, p.external_id or "", p.level, p.field, p.message, p.value or ""])
