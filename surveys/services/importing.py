"""Bulk import of third-party survey data (CSV or XLSX) with a column mapping.

An upload is stored and processed by the scheduler (or `flask surveys import`): first every row is read
and checked against its questions exactly like an answer from the web (progress is committed as it goes,
so a page can show a progress bar); then, unless it is a dry run, all good rows are written in one
transaction. A file with any bad row imports nothing unless the uploader asked to skip bad rows; the
row-by-row report names the spreadsheet row, the column and what is wrong.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import or_, select

from core.auth.models import User
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.regions import Region
from surveys import questions as q
from surveys.models import Survey, SurveyImport, SurveyResponse, SurveyVersion
from surveys.questions import N_, AnswerError
from surveys.services.definitions import get_survey
from surveys.services.invitations import SEX_WORDS, decode_text
from surveys.services.quotas import quota_cell
from surveys.services.responses import respondent_attributes, set_answers
from surveys.services.uploads import upload_name
from surveys.vocab import AGE_GROUPS, LANGUAGES, ResponseChannel, ResponseStatus

META_TARGETS = (
    "respondent.district",
    "respondent.age_group",
    "respondent.sex",
    "external_id",
    "submitted_at",
    "locale",
)
REPORT_MAX = 1000
PROGRESS_EVERY = 200
STALE_RUN = timedelta(hours=1)  # a "running" import older than this died with its process: run it again
Progress = Callable[[int, int], None]
Problem = tuple[str, str, AnswerError]  # column in the file, field, what is wrong


def _line(row: int, column: str, name: str, error: AnswerError) -> dict[str, Any]:
    """One report line; msgid and params let the page show it in the reader's language."""
    return {
        "row": row,
        "column": column,
        "field": name,
        "message": str(error),
        "msgid": error.msgid,
        "params": error.params,
    }


def read_table(content: bytes, file_format: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as text (first sheet of a workbook)."""
    if file_format == "csv":
        rows = list(csv.reader(io.StringIO(decode_text(content))))
    elif file_format == "xlsx":
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises several types for a file that is not a workbook
            raise InvalidInput("file", "not a readable .xlsx workbook") from None
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    else:
        raise InvalidInput("file", "must be a .csv or .xlsx file")
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InvalidInput("file", "the file is empty")
    return [cell.strip() for cell in rows[0]], rows[1:]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_mapping(
    version: SurveyVersion, header: list[str], mapping: Mapping[str, str]
) -> dict[str, list[str]]:
    """Errors of a {column: target} mapping: columns the file lacks, targets that do not exist, repeats."""
    errors: dict[str, list[str]] = {}
    codes = {question["code"] for question in version.questions}
    targets = list(mapping.values())
    if not mapping:
        errors["mapping"] = ["map at least one column to a question"]
    for column, target in mapping.items():
        if column not in header:
            errors[f"mapping.{column}"] = ["the file has no such column"]
        elif target not in codes and target not in META_TARGETS:
            errors[f"mapping.{column}"] = [
                f"unknown target {target!r}: a question code or {', '.join(META_TARGETS)}"
            ]
        elif targets.count(target) > 1:
            errors[f"mapping.{column}"] = [f"{target} is mapped from more than one column"]
    return errors


def create_import(
    slug: str,
    filename: str,
    content: bytes,
    mapping: Mapping[str, str],
    *,
    dry_run: bool,
    skip_bad_rows: bool,
    staff: User | None,
) -> SurveyImport:
    """Store an upload for processing after checking the file opens and the mapping fits its header."""
    survey = get_survey(slug)
    version = survey.published or survey.latest
    filename, file_format = upload_name(filename, ("csv", "xlsx"))
    header, rows = read_table(content, file_format)
    if len(rows) > current_app.config["SURVEY_IMPORT_MAX_ROWS"]:
        raise InvalidInput("file", f"at most {current_app.config['SURVEY_IMPORT_MAX_ROWS']} rows per file")
    errors = check_mapping(version, header, mapping)
    if errors:
        raise InvalidInput.many(errors)
    upload = SurveyImport(
        survey_id=survey.id,
        filename=filename,
        file_format=file_format,
        content=content,
        mapping=dict(mapping),
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        total_rows=len(rows),
        created_by_id=staff.id if staff else None,
    )
    db.session.add(upload)
    db.session.commit()
    return upload


def get_import(slug: str, import_id: int) -> SurveyImport:
    """An import of this survey (404 otherwise)."""
    survey = get_survey(slug)
    upload = db.session.get(SurveyImport, import_id)
    if upload is None or upload.survey_id != survey.id:
        raise NotFound("no such import")
    return upload


class _RowReader:
    """Turns one data row into a response-to-be, or into report lines."""

    def __init__(self, survey: Survey, version: SurveyVersion, header: list[str], mapping: Mapping[str, str]):
        self.survey, self.version = survey, version
        self.columns = {target: header.index(column) for column, target in mapping.items()}
        self.column_of = {target: column for column, target in mapping.items()}
        self.by_code = {question["code"]: question for question in version.questions}
        # A question the file does not carry cannot be answered in it: required only applies to mapped ones.
        self.questions = [
            question if question["code"] in self.columns else {**question, "required": False}
            for question in version.questions
        ]
        regions = db.session.execute(
            select(Region.code, Region.name, Region.name_en).where(Region.level == 3)
        )
        self.districts = {}
        for code, name, name_en in regions:
            self.districts.update({code: code, name: code, name_en.lower(): code})
        self.tz = ZoneInfo(current_app.config["TIMEZONE"])
        self.external_ids: set[str] = set()

    def cell(self, row: list[str], target: str) -> str:
        index = self.columns.get(target)
        return row[index].strip() if index is not None and index < len(row) else ""

    def read(self, row: list[str]) -> tuple[dict[str, Any] | None, list[Problem]]:
        problems: list[Problem] = []
        answers = {
            code: q.parse_text(self.by_code[code], self.cell(row, code))
            for code in self.columns
            if code in self.by_code
        }
        clean, errors = q.validate_answers(self.questions, answers, strict_skips=True)
        for code, found in errors.items():
            problems.append((self.column_of.get(code, ""), f"answers.{code}", found[0]))
        given = {}
        for name, words in (
            ("district", self.districts),
            ("age_group", {a: a for a in AGE_GROUPS}),
            ("sex", SEX_WORDS),
        ):
            raw = self.cell(row, f"respondent.{name}")
            if raw:
                value = words.get(raw) or words.get(raw.lower())
                if value is None:
                    unknown = AnswerError(N_("Not a known value: %(value)s."), {"value": raw})
                    problems.append((self.column_of[f"respondent.{name}"], f"respondent.{name}", unknown))
                given[name] = value
        external_id = self.cell(row, "external_id") or None
        if external_id is not None:
            if len(external_id) > 64:
                too_long = AnswerError(N_("At most %(count)s characters."), {"count": 64})
                problems.append((self.column_of["external_id"], "external_id", too_long))
            elif external_id in self.external_ids:
                problems.append(
                    (
                        self.column_of["external_id"],
                        "external_id",
                        AnswerError(N_("Listed twice in this file.")),
                    )
                )
            self.external_ids.add(external_id)
        submitted_at, locale = self._moment(row, problems), self.cell(row, "locale") or "zh-CN"
        if locale not in LANGUAGES:
            one_of = AnswerError(N_("One of %(values)s."), {"values": ", ".join(LANGUAGES)})
            problems.append((self.column_of["locale"], "locale", one_of))
        if problems:
            return None, problems
        attributes, _ = respondent_attributes(self.version, clean, given, None)
        return {
            "clean": clean,
            "attributes": attributes,
            "external_id": external_id,
            "submitted_at": submitted_at,
            "locale": locale,
        }, []

    def _moment(self, row: list[str], problems: list[Problem]) -> datetime | None:
        raw = self.cell(row, "submitted_at")
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("/", "-"))
        except ValueError:
            not_date = AnswerError(N_("Not a date (2026-11-02 or 2026-11-02T09:30)."))
            problems.append((self.column_of["submitted_at"], "submitted_at", not_date))
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)


def _taken_external_ids(survey_id: int, ids: set[str]) -> set[str]:
    taken: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), 500):
        taken.update(
            db.session.scalars(
                select(SurveyResponse.external_id).where(
                    SurveyResponse.survey_id == survey_id,
                    SurveyResponse.external_id.in_(listed[start : start + 500]),
                )
            )
        )
    return taken


def run_import(upload: SurveyImport, progress: Progress | None = None) -> SurveyImport:
    """Check every row, then import (or, for a dry run or a file with bad rows, only report)."""
    survey = db.session.get(Survey, upload.survey_id)
    version = survey.published or survey.latest
    header, rows = read_table(upload.content or b"", upload.file_format)
    reader = _RowReader(survey, version, header, upload.mapping)
    good: list[tuple[int, dict[str, Any]]] = []
    report: list[dict[str, Any]] = []
    bad_rows = 0
    upload.total_rows, upload.processed_rows = len(rows), 0
    for number, row in enumerate(rows, start=2):  # spreadsheet row numbers: the header is row 1
        if any(cell.strip() for cell in row):
            data, problems = reader.read(row)
            if data is None:
                bad_rows += 1
                report += [_line(number, column, name, error) for column, name, error in problems]
            else:
                good.append((number, data))
        done = number - 1
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            upload.processed_rows = done
            db.session.commit()
            if progress:
                progress(done, len(rows))
    taken = _taken_external_ids(survey.id, {d["external_id"] for _, d in good if d["external_id"]})
    for number, data in list(good):
        if data["external_id"] in taken:
            good.remove((number, data))
            bad_rows += 1
            column = reader.column_of["external_id"]
            report.append(_line(number, column, "external_id", AnswerError(N_("Already imported."))))
    report.sort(key=lambda line: line["row"])
    upload.error_rows, upload.report = bad_rows, report[:REPORT_MAX]
    if upload.dry_run:
        upload.status = "done"
        upload.message = f"dry run: {len(good)} rows valid, {bad_rows} with errors; nothing imported"
    elif bad_rows and not upload.skip_bad_rows:
        upload.status = "rejected"
        upload.message = f"nothing imported: {bad_rows} rows have errors"
    else:
        _write(upload, survey, version, good)
        upload.status, upload.imported_rows = "done", len(good)
        upload.message = f"imported {len(good)} rows" + (f", skipped {bad_rows} bad rows" if bad_rows else "")
    upload.finished_at = utcnow()
    upload.content = None  # the file may hold personal data the import does not keep
    db.session.commit()
    return upload


def _write(
    upload: SurveyImport, survey: Survey, version: SurveyVersion, good: list[tuple[int, dict[str, Any]]]
) -> None:
    now = utcnow()
    for _number, data in good:
        moment = data["submitted_at"] or now
        response = SurveyResponse(
            survey_id=survey.id,
            version_id=version.id,
            import_id=upload.id,
            external_id=data["external_id"],
            channel=ResponseChannel.IMPORT.value,
            status=ResponseStatus.COMPLETE.value,
            locale=data["locale"],
            district=data["attributes"].get("district"),
            age_group=data["attributes"].get("age_group"),
            sex=data["attributes"].get("sex"),
            # Third-party fieldwork is recorded as delivered: its quota cell is counted, never refused.
            quota_cell=quota_cell(version.definition, data["attributes"])[0],
            started_at=moment,
            updated_at=now,
            submitted_at=moment,
        )
        set_answers(response, version, data["clean"])
        db.session.add(response)


def run_pending_imports(now: datetime | None = None) -> int:
    """Process waiting uploads one by one (the scheduler job); returns how many were processed."""
    now = now or utcnow()
    processed = 0
    while True:
        upload = db.session.scalar(
            select(SurveyImport)
            .where(
                or_(
                    SurveyImport.status == "pending",
                    (SurveyImport.status == "running") & (SurveyImport.started_at < now - STALE_RUN),
                )
            )
            .order_by(SurveyImport.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if upload is None:
            return processed
        upload.status, upload.started_at = "running", now
        db.session.commit()
        try:
            run_import(upload)
        except Exception as exc:  # a broken file must not block the uploads behind it
            db.session.rollback()
            upload = db.session.get(SurveyImport, upload.id)
            upload.status, upload.message, upload.content = (
                "failed",
                f"{type(exc).__name__}: {exc}"[:2000],
                None,
            )
            upload.finished_at = utcnow()
            db.session.commit()
        processed += 1
