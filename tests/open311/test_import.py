"""`flask complaints import`: the SF 311 sample with its mapping, dry run, error report, skip/reject,
idempotency, the states and original timestamps of imported cases, and their audit chain."""

from __future__ import annotations

import csv
import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints.models import Case, CaseEvent, KpiDaily
from complaints.services.audit import verify_audit_chain
from core.auth.services import create_department
from core.db import db
from open311.importing.models import ImportBatch, ImportedCase

ROOT = Path(__file__).resolve().parents[2]
# The shared reference data, found like the statistics tests' (tests/analytics/conftest.py).
REFERENCE_DATA = Path(os.environ.get("QUALITYLINE_REFERENCE_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = REFERENCE_DATA / "sf311" / "sf311_sample_10k.csv.gz"
MAPPING = ROOT / "open311" / "mappings" / "sf311.toml"
SF_DEPARTMENTS = ("SF-PUC", "SF-HA", "SF-MTA", "SF-DPW", "SF-311")
CLOSED_BEFORE_CREATED = 17  # README of the sample


def require_sample() -> None:
    """Missing reference data fail the run loudly instead of skipping tests."""
    if not SAMPLE.is_file():
        pytest.fail(
            f"the SF 311 sample is not at {SAMPLE}. "
            "Set QUALITYLINE_REFERENCE_DATA to the folder holding sf311/.",
            pytrace=False,
        )


@pytest.fixture(autouse=True, scope="module")
def _sample() -> None:
    require_sample()


def sample_rows() -> tuple[list[str], list[dict[str, str]]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def subset(tmp_path: Path, n: int, bad: bool = True) -> Path:
    """The first n rows of the sample, plus (bad=True) every closed-before-created row."""
    header, rows = sample_rows()
    chosen = rows[:n] + (
        [r for r in rows[n:] if r["closed_date"] and r["closed_date"] < r["created_date"]] if bad else []
    )
    return write_csv(tmp_path / "sf311_subset.csv", header, chosen)


@pytest.fixture()
def sf_departments(ctx):
    for code in SF_DEPARTMENTS:
        create_department(code, f"San Francisco {code}", "350100")


def run(ctx, *args):
    result = ctx.test_cli_runner().invoke(args=["complaints", "import", *map(str, args)])
    db.session.expire_all()  # the command ran in its own session
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_dry_run_checks_every_row_and_writes_nothing(ctx, sf_departments, tmp_path):
    report = tmp_path / "report.csv"
    result = run(ctx, SAMPLE, "--format", "csv", "--mapping", MAPPING, "--dry-run", "--report", report)
    assert result.exit_code == 1, result.output
    assert "10000 rows: would import 9983, already imported 0, invalid 17" in result.output
    assert "checking rows" in result.output  # the progress bar
    assert count(Case) == 0 and count(ImportBatch) == 0 and count(CaseEvent) == 0
    with report.open(encoding="utf-8-sig") as handle:
        problems = list(csv.DictReader(handle))
    assert len(problems) == CLOSED_BEFORE_CREATED
    assert {(p["level"], p["field"], p["problem"]) for p in problems} == {
        ("error", "closed", "closed before it was created")
    }
    first = min(problems, key=lambda p: int(p["row"]))
    assert (first["external_id"], first["value"]) == ("3921573", "2014-08-16 02:00:00+00:00")
    header, rows = sample_rows()
    assert rows[int(first["row"]) - 2]["unique_key"] == "3921573"  # row numbers are spreadsheet rows


def test_reject_keeps_the_whole_file_out(ctx, sf_departments, tmp_path):
    result = run(ctx, subset(tmp_path, 200), "--format", "csv", "--mapping", MAPPING)
    assert result.exit_code == 1
    assert "nothing imported" in result.output and count(Case) == 0


def test_skip_imports_the_valid_rows_with_their_original_times(ctx, sf_departments, tmp_path):
    result = run(ctx, SAMPLE, "--format", "csv", "--mapping", MAPPING, "--on-invalid", "skip")
    assert result.exit_code == 1  # invalid rows were found (and left out)
    assert "10000 rows: imported 9983, already imported 0, invalid 17" in result.output
    assert count(Case) == 9983 and count(ImportedCase) == 9983
    header, rows = sample_rows()
    by_key = {r["unique_key"]: r for r in rows}
    assert not {"3921573", "4256084"} & set(db.session.scalars(select(ImportedCase.external_id)))

    case = _imported("6078653")
    assert case.received_at == datetime(2016, 7, 13, 15, 11, 7, tzinfo=UTC)
    assert (
        case.closed_at == case.replied_at == case.feedback_at == datetime(2016, 7, 14, 12, 13, 22, tzinfo=UTC)
    )
    assert case.decided_at == case.accepted_at == case.received_at
    assert case.assigned_at is None and case.signed_at is None  # the source recorded no dispatch
    assert (case.status, case.kind, case.channel, case.category_code) == ("closed", "help", "web", "P06")
    assert case.department.code == "SF-PUC" and case.region_code == "350100"
    assert (case.title, case.description) == ("Odor", "Odor From_catch_basin")
    assert case.reply == by_key["6078653"]["status_notes"] and case.outcome is None
    assert case.latitude is None and case.longitude is None  # 0,0 is DataSF's "no location"
    assert case.tracking_code.startswith("QL-20160713-")  # the original (local) receipt day
    assert case.sign_due_at is None and case.feedback_due_at is None and case.next_due_at is None
    assert case.handling_due_at == datetime(2016, 7, 20, 15, 59, 59, tzinfo=UTC)  # 5 working days, Beijing
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert [(e.action, e.at) for e in events] == [
        ("register", case.received_at),
        ("accept", case.received_at),
        ("reply", case.closed_at),
        ("feedback", case.closed_at),
        ("close", case.closed_at),
    ]
    assert {e.actor_role for e in events} == {"import"} and {e.actor_id for e in events} == {None}
    assert events[0].payload["import"]["external_id"] == "6078653"

    open_case = _imported(next(k for k, r in by_key.items() if r["status"] == "Open"))
    assert open_case.status == "in_progress" and open_case.closed_at is None
    assert open_case.next_due_at == open_case.handling_due_at  # a live case in its department's queue
    assert open_case.assigned_at == open_case.signed_at == open_case.received_at
    open_events = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == open_case.id)).all()
    assert sorted(open_events) == ["accept", "assign", "register", "sign"]
    with_location = _imported(next(k for k, r in by_key.items() if r["latitude"] not in ("", "0.0")))
    assert with_location.latitude is not None
    valid = [r for r in rows if not (r["closed_date"] and r["closed_date"] < r["created_date"])]
    channels = {"Phone": "phone", "Web": "web", "Mobile/Open311": "open311", "Email": "email"}
    by_channel = dict(db.session.execute(select(Case.channel, func.count()).group_by(Case.channel)).all())
    assert by_channel == {
        channel: sum(1 for r in valid if channels.get(r["source"], "import") == channel)
        for channel in set(channels.values()) | {"import"}
    }
    codes = db.session.scalars(select(Case.tracking_code)).all()
    assert len(set(codes)) == len(codes)

    verify = ctx.test_cli_runner().invoke(args=["complaints", "verify-audit"])
    assert verify.exit_code == 0 and "9983 cases (9983 with imported history)" in verify.output

    again = run(ctx, SAMPLE, "--format", "csv", "--mapping", MAPPING, "--on-invalid", "skip")
    assert "10000 rows: imported 0, already imported 9983, invalid 17" in again.output
    assert count(Case) == 9983 and count(ImportBatch) == 1


def _imported(external_id: str) -> Case:
    return db.session.scalar(
        select(Case)
        .join(ImportedCase, ImportedCase.case_id == Case.id)
        .where(ImportedCase.external_id == external_id)
    )


def test_a_row_changed_in_the_source_is_reported_not_reapplied(ctx, sf_departments, tmp_path):
    path = subset(tmp_path, 30, bad=False)
    assert run(ctx, path, "--format", "csv", "--mapping", MAPPING).exit_code == 0
    header, rows = sample_rows()
    changed = [dict(r) for r in rows[:30]]
    index = next(i for i, r in enumerate(changed) if r["status"] == "Closed" and i > 2)
    changed[index]["status_notes"] = "edited later"
    write_csv(path, header, changed)
    report = tmp_path / "again.csv"
    result = run(ctx, path, "--format", "csv", "--mapping", MAPPING, "--report", report)
    assert result.exit_code == 0 and "imported 0, already imported 30, invalid 0" in result.output
    with report.open(encoding="utf-8-sig") as handle:
        (warning,) = list(csv.DictReader(handle))
    assert (warning["row"], warning["level"], warning["external_id"]) == (
        str(index + 2),
        "warning",
        rows[index]["unique_key"],
    )
    assert _imported(rows[index]["unique_key"]).reply == rows[index]["status_notes"] != "edited later"


MINI_MAPPING = """
source = "mini"
timezone = "Asia/Shanghai"
[defaults]
region = "350102"
[columns]
external_id = "id"
created = "created"
closed = "closed"
status = "status"
category = "category"
agency = "agency"
latitude = "lat"
longitude = "lon"
title = "title"
[statuses]
done = { state = "closed", outcome = "resolved" }
answered = "replied"
new = "registered"
queued = "accepted"
sent = "assigned"
[categories]
water = "P01"
road = "E03"
[agencies]
"water co" = "SF-PUC"
"""


def test_every_impossible_row_is_reported_with_its_reason(ctx, sf_departments, tmp_path):
    mapping = tmp_path / "mini.toml"
    mapping.write_text(MINI_MAPPING, encoding="utf-8")
    header = ["id", "created", "closed", "status", "category", "agency", "lat", "lon", "title"]
    rows = [
        ["1", "2024-03-01 08:00", "2024-03-02 09:00", "done", "water", "water co", "26.1", "119.3", "停水"],
        ["2", "2024-03-01 08:00", "", "done", "water", "water co", "", "", ""],
        ["3", "2024-03-01 08:00", "2024-02-01 08:00", "done", "water", "water co", "", "", ""],
        ["4", "2024-03-01 08:00", "", "new", "", "", "", "", ""],
        ["5", "2024-03-01 08:00", "", "lost", "gas", "", "", "", ""],
        ["6", "yesterday", "", "new", "water", "", "", "", ""],
        ["7", "2099-01-01 08:00", "", "new", "water", "", "", "", ""],
        ["8", "2024-03-01 08:00", "", "sent", "road", "", "26.1", "", ""],
        ["9", "2024-03-01 08:00", "", "sent", "road", "city works", "", "", ""],
        ["1", "2024-03-01 08:00", "", "new", "water", "", "", "", ""],
        ["", "2024-03-01 08:00", "", "new", "water", "", "", "", ""],
        ["12", "2024-03-01 08:00", "", "queued", "road", "", "95", "119", ""],
        ["13", "2024-03-01 08:00", "2024-03-03 10:00", "answered", "road", "water co", "", "", ""],
        ["14", "2024-03-01 08:00", "", "new", "road", "", "", "", "长" * 120],
    ]
    source = tmp_path / "mini.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    report = tmp_path / "report.csv"
    result = run(
        ctx, source, "--format", "csv", "--mapping", mapping, "--on-invalid", "skip", "--report", report
    )
    with report.open(encoding="utf-8-sig") as handle:
        found = {(p["row"], p["field"], p["problem"]) for p in csv.DictReader(handle)}
    assert found == {
        ("3", "closed", "status 'done' is closed but the row has no closed time"),
        ("4", "closed", "closed before it was created"),
        ("5", "category", "missing category"),
        ("6", "status", "not in the mapping's statuses"),
        ("6", "category", 'not in the mapping\'s category table (and no "*" entry)'),
        ("7", "created", "not an ISO 8601 date and time"),
        ("8", "created", "in the future"),
        ("9", "longitude", "latitude and longitude come in pairs"),
        ("9", "agency", "state assigned needs the agency that handled the case"),
        ("10", "agency", 'not in the mapping\'s agency table (and no "*" entry)'),
        ("11", "external_id", "same id as row 2"),
        ("12", "external_id", "missing id"),
        ("13", "latitude", "outside WGS84 range"),
        ("15", "title", "cut to 100 characters; the full text is kept at the start of the description"),
    }
    assert result.exit_code == 1 and "imported 3, already imported 0, invalid 11" in result.output
    done = _imported("1")
    assert done.status == "closed" and done.outcome == "resolved"
    assert done.received_at == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)  # mapping timezone Asia/Shanghai
    assert done.latitude == 26.1 and done.department.code == "SF-PUC"
    replied = _imported("13")
    assert replied.status == "replied" and replied.feedback_due_at is not None
    assert replied.next_due_at == replied.feedback_due_at
    registered = _imported("14")
    assert registered.status == "registered" and registered.decided_at is None
    assert len(registered.title) == 100 and registered.description == "长" * 120
    assert [
        e.action for e in db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == registered.id))
    ] == ["register"]
    assert verify_audit_chain()[1] == []


def test_unusable_mappings_and_files_stop_before_reading(ctx, sf_departments, tmp_path):
    def broken(text: str) -> str:
        mapping = tmp_path / "broken.toml"
        mapping.write_text(text, encoding="utf-8")
        result = run(ctx, SAMPLE, "--format", "csv", "--mapping", mapping, "--dry-run")
        assert result.exit_code == 2, result.output
        return result.output

    base = MAPPING.read_text(encoding="utf-8")
    assert "no department with code SF-NOPE" in broken(base.replace('"SF-PUC"', '"SF-NOPE"', 1))
    assert "Q99 is not an active category" in broken(base.replace('"P06"', '"Q99"', 1))
    assert "not a region of the catalogue" in broken(base.replace('region = "350100"', 'region = "110101"'))
    assert "not valid toml" in broken("source = ").lower()
    assert "unknown time zone" in broken(base.replace('timezone = "UTC"', 'timezone = "Mars/Olympus"'))
    assert "columns: say which column holds created" in broken(base.replace('created = "created_date"\n', ""))
    assert "statuses" in broken(base.replace('Open = { state = "in_progress" }', 'Open = { state = "lost" }'))
    wrong_column = broken(base.replace('agency = "agency_name"', 'agency = "agency"'))
    assert "no column named agency" in wrong_column
    assert count(Case) == 0


def test_open311_documents_import_with_the_geo_report_field_names(ctx, sf_departments, tmp_path):
    mapping = tmp_path / "georeport.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "city-georeport",
                "defaults": {"region": "350103"},
                "statuses": {"open": {"state": "accepted"}, "closed": {"state": "closed"}},
                "categories": {"006": "E03", "001": "P05"},
                "agencies": {"DPW": "SF-DPW"},
            }
        ),
        encoding="utf-8",
    )
    requests = [
        {"service_request_id": 638344, "status": "closed", "status_notes": "Duplicate request.",
         "service_name": "Sidewalk and Curb Issues", "service_code": "006", "description": None,
         "agency_responsible": None, "requested_datetime": "2010-04-14T06:37:38-08:00",
         "updated_datetime": "2010-04-14T06:37:38-08:00", "address": "8TH AVE and JUDAH ST",
         "lat": 37.762221815, "long": -122.4651145, "media_url": "http://city.gov/638344.jpg"},
        {"service_request_id": "638349", "status": "open", "service_name": "Cans left out 24x7",
         "service_code": "001", "requested_datetime": "2010-04-19T06:37:38-08:00",
         "updated_datetime": "2010-04-19T06:37:38-08:00", "agency_responsible": "DPW"},
    ]  # fmt: skip
    as_json = tmp_path / "requests.json"
    as_json.write_text(json.dumps(requests), encoding="utf-8")
    result = run(ctx, as_json, "--format", "open311", "--mapping", mapping)
    assert result.exit_code == 0, result.output
    closed, accepted = _imported("638344"), _imported("638349")
    assert closed.status == "closed" and closed.received_at == datetime(2010, 4, 14, 14, 37, 38, tzinfo=UTC)
    assert closed.closed_at == closed.received_at and closed.reply == "Duplicate request."
    assert closed.title == "Sidewalk and Curb Issues" and closed.address == "8TH AVE and JUDAH ST"
    assert accepted.status == "accepted" and accepted.department_id is None  # awaiting dispatch
    assert closed.department_id is None  # the source named no agency
    media = db.session.scalar(select(ImportedCase.media_url).where(ImportedCase.external_id == "638344"))
    assert media == "http://city.gov/638344.jpg"
    as_xml = tmp_path / "requests.xml"
    as_xml.write_text(
        '<?xml version="1.0" encoding="utf-8"?><service_requests><request>'
        "<service_request_id>700001</service_request_id><status>closed</status><service_code>001</service_code>"
        "<requested_datetime>2010-05-01T10:00:00Z</requested_datetime>"
        "<updated_datetime>2010-05-03T10:00:00Z</updated_datetime></request></service_requests>",
        encoding="utf-8",
    )
    assert run(ctx, as_xml, "--format", "open311", "--mapping", mapping).exit_code == 0
    assert _imported("700001").closed_at == datetime(2010, 5, 3, 10, 0, tzinfo=UTC)
    # Imported history is followed through the GeoReport endpoint like any case.
    published = (
        ctx.test_client().get(f"/open311/v2/requests/{_imported('700001').tracking_code}.json").json[0]
    )
    assert (published["status"], published["updated_datetime"]) == ("closed", "2010-05-03T18:00:00+08:00")


def test_rollup_rebuilds_the_daily_kpis_of_the_imported_days(ctx, sf_departments, tmp_path):
    result = run(ctx, subset(tmp_path, 40, bad=False), "--format", "csv", "--mapping", MAPPING, "--rollup")
    assert result.exit_code == 0 and "rebuilt the KPI rollups of" in result.output
    registered = db.session.scalar(select(func.sum(KpiDaily.registered)))
    closed = db.session.scalar(select(func.sum(KpiDaily.closed)))
    assert registered == 40 and closed == db.session.scalar(
        select(func.count()).select_from(Case).where(Case.status == "closed")
    )
