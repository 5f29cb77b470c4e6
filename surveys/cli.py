"""`flask surveys ...`: publish the templates, demo responses, import and export files (thin wrappers)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from surveys import demo
from surveys.services import definitions, exporting, importing

surveys_cli = AppGroup("surveys", help="Survey commands.")


@surveys_cli.command("seed")
def seed_command() -> None:
    """Publish the shipped templates under their slugs (hotline-callback, service-satisfaction,
    government-work); safe to repeat."""
    for slug, outcome in definitions.seed_templates().items():
        click.echo(f"{slug}: {outcome}")


@surveys_cli.command("demo")
@click.option("--responses", "per_survey", default=300, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--callbacks", default=40, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--if-empty", is_flag=True, help="Do nothing when responses exist already.")
@click.option("--seed", "random_seed", default=2026, show_default=True)
def demo_command(per_survey: int, callbacks: int, if_empty: bool, random_seed: int) -> None:
    """Demo responses to the population surveys and call-back answers for replied demo cases."""
    if if_empty and demo.has_demo_responses():
        click.echo("survey responses exist; demo responses not loaded")
        return
    done = demo.load_survey_demo(per_survey, callbacks, random_seed)
    click.echo(", ".join(f"{name}: {n}" for name, n in sorted(done.items())) or "nothing to do")


@surveys_cli.command("import")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "pairs", multiple=True, required=True, help="column=target (repeat)")
@click.option("--dry-run", is_flag=True, help="Check every row, import nothing.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows of a file with bad ones.")
def import_command(slug: str, path: Path, pairs: tuple[str, ...], dry_run: bool, skip_bad_rows: bool) -> None:
    """Import a CSV/XLSX of third-party responses now, with a progress bar and the row-by-row report."""
    mapping = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    upload = importing.create_import(
        slug, path.name, path.read_bytes(), mapping, dry_run=dry_run, skip_bad_rows=skip_bad_rows, staff=None
    )
    with click.progressbar(length=upload.total_rows, label="checking rows") as bar:
        seen = [0]

        def advance(done: int, _total: int) -> None:
            bar.update(done - seen[0])
            seen[0] = done

        upload.status = "running"
        importing.run_import(upload, advance)
    for line in upload.report:
        click.echo(f"row {line['row']} {line['column']}: {line['message']}", err=True)
    click.echo(upload.message)
    if upload.status != "done":
        raise SystemExit(1)


@surveys_cli.command("export")
@click.argument("slug")
@click.option(
    "--format", "file_format", type=click.Choice(exporting.FORMATS), default="csv", show_default=True
)
@click.option("--deidentified", is_flag=True, help="The analysts' file (no contacts, case codes, free text).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(slug: str, file_format: str, deidentified: bool, out: Path) -> None:
    """Write all responses of a survey to a file."""
    content, _name, _mime = exporting.export_file(slug, file_format, deidentified)
    out.write_bytes(content)
    click.echo(f"wrote {out} ({len(content)} bytes)")


@surveys_cli.command("codebook")
@click.argument("slug")
def codebook_command(slug: str) -> None:
    """Print the codebook (types, constructs, indicators, reverse coding) of the published version as JSON."""
    survey, version = definitions.get_public_survey(slug)
    click.echo(json.dumps(exporting.codebook(version), ensure_ascii=False, indent=2))
