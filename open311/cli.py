"""`flask complaints import ...` (bulk import) and `flask open311 ...` (partner api_keys)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from open311.importing.mapping import MappingError
from open311.importing.readers import FORMATS, ImportFileError
from open311.importing.service import ON_INVALID, import_cases, roll_up_imported_days, write_report
from open311.services import keys

open311_cli = AppGroup("open311", help="Open311 partner api_keys.")
SHOWN_PROBLEMS = 20
PHASES = {"check": "checking rows", "write": "writing cases", "rollup": "rebuilding rollups"}


class CannotImport(click.ClickException):
    """The file or the mapping cannot be used (exit status 2; nothing was read or written)."""

    exit_code = 2


def _print_summary(report) -> None:
    action = "would import" if report.dry_run or report.rejected else "imported"
    count = report.valid if report.dry_run or report.rejected else report.imported
    click.echo(
        f"{report.rows} rows: {action} {count}, already imported {report.already_imported}, "
        f"invalid {report.invalid_rows}" + (f" (batch {report.batch_id})" if report.batch_id else "")
    )
    for problem in report.problems[:SHOWN_PROBLEMS]:
        click.echo(
            f"  row {problem.row} [{problem.external_id or '-'}] {problem.level} {problem.field}: "
            f"{problem.message}" + (f" ({problem.value})" if problem.value else ""),
            err=True,
        )
    if len(report.problems) > SHOWN_PROBLEMS:
        click.echo(f"  ... {len(report.problems) - SHOWN_PROBLEMS} more in the report file", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(FORMATS), required=True, help="csv or open311")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Mapping file (TOML or JSON): columns, categories, agencies, statuses, channels, regions.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--on-invalid",
    type=click.Choice(ON_INVALID),
    default="reject",
    show_default=True,
    help="reject: any invalid row keeps the whole file out; skip: import the valid rows only.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the row-by-row problems to this CSV file.",
)
@click.option("--rollup", is_flag=True, help="Rebuild the daily KPI rollups of the days imported.")
def import_command(
    file: Path,
    file_format: str,
    mapping_path: Path,
    dry_run: bool,
    on_invalid: str,
    report_path: Path | None,
    rollup: bool,
) -> None:
    """Import historical cases from FILE (exit 1 when rows were invalid, 2 when it cannot start)."""
    bars: dict[str, Any] = {}

    def progress(phase: str, n: int, total: int) -> None:
        if phase not in bars:
            for bar in bars.values():
                bar.render_finish()
            bars[phase] = click.progressbar(length=total, label=PHASES[phase], file=sys.stderr)
        bars[phase].update(n)

    try:
        report = import_cases(file, file_format, mapping_path, dry_run, on_invalid, progress)
        if rollup and report.imported:
            click.echo(f"rebuilt the KPI rollups of {roll_up_imported_days(report, progress)} days", err=True)
    except (MappingError, ImportFileError) as error:
        raise CannotImport(str(error)) from None
    finally:
        for bar in bars.values():
            bar.render_finish()
    if report_path is not None:
        write_report(report, report_path)
        click.echo(f"report: {report_path}")
    _print_summary(report)
    if report.rejected:
        click.echo("nothing imported: fix the invalid rows or run with --on-invalid skip", err=True)
    if report.invalid_rows:
        raise SystemExit(1)


@open311_cli.command("create-key")
@click.option("--client", required=True, help="Partner system the key is for.")
@click.option("--note", default="", help="Free note (contact, purpose).")
def create_key_command(client: str, note: str) -> None:
    """Issue an api_key (printed once; only its hash is stored)."""
    row, key = keys.create_api_key(client, note)
    click.echo(f"api_key for {row.client} (id {row.id}): {key}")


@open311_cli.command("revoke-key")
@click.argument("key_id", type=int)
def revoke_key_command(key_id: int) -> None:
    """Revoke an api_key by id."""
    row = keys.revoke_api_key(key_id)
    click.echo(f"revoked api_key {row.id} of {row.client}")
