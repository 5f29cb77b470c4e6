"""Bulk import (dry run, row-by-row report, all-or-nothing unless skipping bad rows, XLSX) and exports
(admins get everything, analysts a de-identified file)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from core.db import db
from surveys.models import SurveyImport, SurveyResponse
from surveys.services import importing
from tests.surveys.conftest import VALID

MAPPING = {
    "编号": "external_id",
    "区县": "respondent.district",
    "性别": "respondent.sex",
    "Q1 总体满意度": "lik",
    "Q2": "s10",
    "Q3": "s11",
    "Q4 是否": "yn",
    "Q4a": "follow",
    "Q5": "one",
    "Q6": "many",
    "NPS": "nps",
    "意见": "note",
    "日期": "submitted_at",
}
HEADER = list(MAPPING)
GOOD = ["A1", "鼓楼区", "女", "4", "7", "0", "是", "5", "b", "a、c", "9", "很好", "2026-10-15"]
ROWS = [
    GOOD,
    ["A2", "350103", "男", "不知道", "8", "10", "否", "", "a", "", "6", "", "2026-10-16 09:30"],
    ["A3", "火星区", "女", "6", "7", "0", "否", "3", "z", "a", "9", "", "yesterday"],
    ["A1", "350102", "女", "4", "7", "0", "是", "", "b", "", "9", "", ""],
]


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def start(client, org, content: bytes, name="fieldwork.csv", mapping=None, **flags):
    form = {"file": (io.BytesIO(content), name), "mapping": json.dumps(mapping or MAPPING)}
    form.update({key: str(value).lower() for key, value in flags.items()})
    return client.post(
        "/api/v1/surveys/every-type/imports",
        data=form,
        headers=org.auth("admin"),
        content_type="multipart/form-data",
    )


def run(client, org, created):
    assert created.status_code == 202, created.json
    assert importing.run_pending_imports() == 1
    return client.get(
        f"/api/v1/surveys/every-type/imports/{created.json['id']}", headers=org.auth("admin")
    ).json


def responses_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse))


def test_dry_run_reports_every_bad_row_and_imports_nothing(client, org, every_type):
    created = start(client, org, csv_bytes(ROWS))
    assert created.json["status"] == "pending" and created.json["dry_run"] is True
    done = run(client, org, created)
    assert done["status"] == "done" and done["processed_rows"] == done["total_rows"] == 4
    assert done["error_rows"] == 2 and done["imported_rows"] == 0 and "dry run" in done["message"]
    assert [(line["row"], line["column"], line["message"]) for line in done["report"]] == [
        (4, "Q1 总体满意度", "Give a whole number from 1 to 5."),
        (4, "Q4a", "This question is skipped for your earlier answers."),
        (4, "Q5", "Choose one of the options."),
        (4, "区县", "Not a known value: 火星区."),
        (4, "日期", "Not a date (2026-11-02 or 2026-11-02T09:30)."),
        (5, "Q4a", "This question needs an answer."),
        (5, "编号", "Listed twice in this file."),
    ]
    assert responses_count() == 0
    assert db.session.get(SurveyImport, created.json["id"]).content is None  # the file is not kept


def test_a_file_with_errors_imports_nothing_unless_bad_rows_are_skipped(client, org, every_type):
    rejected = run(client, org, start(client, org, csv_bytes(ROWS), dry_run=False))
    assert rejected["status"] == "rejected" and rejected["imported_rows"] == 0 and responses_count() == 0
    skipped = run(client, org, start(client, org, csv_bytes(ROWS), dry_run=False, skip_bad_rows=True))
    assert skipped["status"] == "done" and skipped["imported_rows"] == 2 and responses_count() == 2
    first = db.session.scalar(select(SurveyResponse).where(SurveyResponse.external_id == "A1"))
    assert first.channel == "import" and (first.district, first.sex) == ("350102", "female")
    assert first.answer_map() == {k: v for k, v in VALID.items() if k not in ("note",)} | {"note": "很好"}
    assert first.submitted_at.isoformat().startswith("2026-10-14T16:00")  # local midnight, stored in UTC
    second = db.session.scalar(select(SurveyResponse).where(SurveyResponse.external_id == "A2"))
    assert second.answer_map()["lik"] == "dont_know"
    # Importing the same file again: the ids are taken.
    again = run(client, org, start(client, org, csv_bytes(ROWS[:2]), dry_run=False))
    assert again["status"] == "rejected" and {line["message"] for line in again["report"]} == {
        "Already imported."
    }


def test_xlsx_files_and_mapping_errors(client, org, every_type):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([4 if v == "4" else v for v in GOOD])  # Excel keeps numbers as numbers
    buffer = io.BytesIO()
    workbook.save(buffer)
    done = run(client, org, start(client, org, buffer.getvalue(), name="fieldwork.xlsx", dry_run=False))
    assert done["status"] == "done" and done["imported_rows"] == 1
    bad_mapping = start(client, org, csv_bytes([GOOD]), mapping={"Nope": "lik", "Q2": "ghost"})
    assert bad_mapping.status_code == 422 and set(bad_mapping.json["errors"]) == {
        "mapping.Nope",
        "mapping.Q2",
    }
    assert start(client, org, b"x", name="data.txt").json["errors"] == {
        "file": ["must be a .csv or .xlsx file"]
    }
    assert start(client, org, b"not a zip", name="data.xlsx").json["errors"] == {
        "file": ["not a readable .xlsx workbook"]
    }
    assert db.session.scalar(select(func.count()).select_from(SurveyImport)) == 1
    assert client.post("/api/v1/surveys/every-type/imports", headers=org.auth("analyst")).status_code == 403


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_exports_for_admins_and_de_identified_for_analysts(client, org, every_type, templates):
    client.post(
        "/api/v1/surveys/every-type/responses",
        json={"answers": {**VALID, "note": "=HYPERLINK(1)"}, "respondent": {"sex": "female"}},
    )
    link = client.post("/api/v1/surveys/every-type/invitations/link", json={}, headers=org.auth("admin")).json
    invited = {**VALID, "note": "我是张三，电话13800138000"}
    client.post("/api/v1/surveys/every-type/responses", json={"answers": invited, "token": link["token"]})

    full = client.get("/api/v1/surveys/every-type/responses/export?format=csv", headers=org.auth("admin"))
    assert full.status_code == 200 and "every-type-responses.csv" in full.headers["Content-Disposition"]
    rows = rows_of(full)
    assert rows[0]["note"] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet
    assert rows[1]["note"] == invited["note"] and "invitation_contact" in rows[1]
    assert (rows[0]["many.a"], rows[0]["many.b"], rows[0]["many.c"]) == ("1", "0", "1")
    assert (rows[0]["yn"], rows[0]["sex"], rows[0]["lik"]) == ("1", "female", "4")

    analyst = client.get(
        "/api/v1/surveys/every-type/responses/export?format=csv", headers=org.auth("analyst")
    )
    deidentified = rows_of(analyst)
    assert "deidentified" in analyst.headers["Content-Disposition"]
    assert not {"invitation_contact", "case_tracking_code", "external_id"} & set(deidentified[0])
    assert deidentified[0]["note"] == "'=HYPERLINK(1)"  # anonymous link: the text stays
    assert deidentified[1]["note"] == "" and "13800138000" not in analyst.get_data(as_text=True)

    xlsx = client.get("/api/v1/surveys/every-type/responses/export?format=xlsx", headers=org.auth("analyst"))
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["response_id", "version", "status"] and sheet.max_row == 3
    for user in ("supervisor", "handler"):
        assert (
            client.get("/api/v1/surveys/every-type/responses/export", headers=org.auth(user)).status_code
            == 403
        )
