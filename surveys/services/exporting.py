"""Export responses as CSV or XLSX: the full file for admins, a de-identified one for analysts (no contacts,
case codes, third-party ids, nor the free text of respondents who can be identified)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import select

from complaints.models import Case
from core.auth.models import User
from core.auth.roles import Role
from core.db import db
from core.privacy.services import record_access
from surveys import questions as q
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse, SurveyVersion
from surveys.services.definitions import get_survey

CHUNK = 1000
FORMATS = ("csv", "xlsx")
BASE_COLUMNS = (
    "response_id",
    "version",
    "status",
    "channel",
    "locale",
    "submitted_at",
    "district",
    "age_group",
    "sex",
    "quota_cell",
    "is_duplicate",
    "duplicate_of",
)
IDENTIFYING_COLUMNS = ("case_tracking_code", "invitation_contact", "external_id")
# A spreadsheet runs a cell starting with these as a formula (CSV injection); such text gets a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _questions(survey: Survey) -> list[dict[str, Any]]:
    """Questions of every version, the newest wording first, each code once."""
    seen: dict[str, dict[str, Any]] = {}
    for version in reversed(survey.versions):
        for question in version.questions:
            seen.setdefault(question["code"], question)
    newest = [question["code"] for question in survey.latest.questions]
    return [seen[code] for code in newest] + [seen[code] for code in seen if code not in newest]


def _question_columns(question: dict[str, Any]) -> list[str]:
    if question["type"] == q.MULTI:
        return [f"{question['code']}.{value}" for value in q.option_values(question)]
    return [question["code"]]


def header(survey: Survey, deidentified: bool) -> list[str]:
    """Column names of an export."""
    columns = list(BASE_COLUMNS) + ([] if deidentified else list(IDENTIFYING_COLUMNS)) + ["dont_know"]
    for question in _questions(survey):
        columns += _question_columns(question)
    return columns


def _cells(question: dict[str, Any], answer: SurveyAnswer | None, hide_text: bool) -> list[Any]:
    if question["type"] == q.MULTI:
        if answer is None or answer.dont_know or answer.choices is None:
            return [None] * len(q.option_values(question))
        return [int(value in answer.choices) for value in q.option_values(question)]
    if answer is None or answer.dont_know:
        return [None]
    if question["type"] == q.TEXT:
        return [None if hide_text else answer.text]
    if answer.number is not None:
        return [int(answer.number)]
    return [answer.choice]


def export_rows(slug: str, deidentified: bool) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and a row generator of a survey's responses (complete and partial), oldest first."""
    survey = get_survey(slug)
    columns = header(survey, deidentified)
    return columns, _rows(survey, deidentified)


def _rows(survey: Survey, deidentified: bool) -> Iterator[list[Any]]:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    questions = _questions(survey)
    numbers = {version.id: version.number for version in survey.versions}
    last_id = 0
    while True:
        chunk = list(
            db.session.execute(
                select(SurveyResponse, SurveyInvitation.contact, Case.tracking_code)
                .outerjoin(SurveyInvitation, SurveyInvitation.id == SurveyResponse.invitation_id)
                .outerjoin(Case, Case.id == SurveyResponse.case_id)
                .where(SurveyResponse.survey_id == survey.id, SurveyResponse.id > last_id)
                .order_by(SurveyResponse.id)
                .limit(CHUNK)
            ).all()
        )
        if not chunk:
            return
        last_id = chunk[-1][0].id
        for response, contact, tracking_code in chunk:
            by_code = {answer.question_code: answer for answer in response.answers}
            # Invited, call-back and third-party rows can be traced to a person: their text may name them.
            identified = bool(response.invitation_id or response.case_id or response.external_id)
            row: list[Any] = [
                response.id,
                numbers.get(response.version_id),
                response.status,
                response.channel,
                response.locale,
                response.submitted_at.astimezone(tz).isoformat() if response.submitted_at else None,
                response.district,
                response.age_group,
                response.sex,
                response.quota_cell,
                int(response.is_duplicate),
                response.duplicate_of_id,
            ]
            if not deidentified:
                row += [tracking_code, contact, response.external_id]
            row.append(";".join(code for code, answer in by_code.items() if answer.dont_know) or None)
            for question in questions:
                row += _cells(question, by_code.get(question["code"]), deidentified and identified)
            yield row
            db.session.expunge(response)  # keep memory flat over large exports (answers cascade)


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(columns: list[str], rows: Iterator[list[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, which Excel needs to read Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(columns: list[str], rows: Iterator[list[Any]], title: str = "responses") -> bytes:
    """An Excel workbook (openpyxl, write-only mode so large exports stream row by row)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(columns)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_file(slug: str, file_format: str, deidentified: bool) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of a response export."""
    columns, rows = export_rows(slug, deidentified)
    suffix = "-deidentified" if deidentified else ""
    if file_format == "xlsx":
        content = write_xlsx(columns, rows)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, mime = write_csv(columns, rows), "text/csv; charset=utf-8"
    return content, f"{slug}-responses{suffix}.{file_format}", mime


def export_for(staff: User, slug: str, file_format: str, purpose: str) -> tuple[bytes, str, str]:
    """The export this staff member may have: the full file for admins (written to the personal-data
    access log), the de-identified one for everyone else."""
    deidentified = staff.role_enum != Role.ADMIN
    exported = export_file(slug, file_format, deidentified)
    if not deidentified:
        record_access(staff, "survey", slug, [*IDENTIFYING_COLUMNS, "text_answers"], purpose)
    return exported


def codebook(version: SurveyVersion) -> list[dict[str, Any]]:
    """Per question: type, construct, indicator, reverse coding, scale ends (what the columns mean)."""
    book = []
    for question in version.questions:
        low_high = q.RANGES.get(question["type"])
        book.append(
            {
                "code": question["code"],
                "type": question["type"],
                "construct": question.get("construct"),
                "indicator": question.get("indicator"),
                "reverse": bool(question.get("reverse")),
                "scale": list(low_high) if low_high else None,
                "text": question["text"],
            }
        )
    return book
