"""GET /cases: filters, text search and keyset pagination."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from complaints.models import Case
from core.clock import travel_to
from core.db import db
from tests.complaints.test_lifecycle_api import Flow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def codes(response):
    assert response.status_code == 200, response.json
    return [c["tracking_code"] for c in response.json["items"]]


def test_keyset_pages_cover_every_case_once_in_order(client, org):
    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    created = []
    for i in range(23):
        with travel_to(start + timedelta(hours=i)):
            created.append(Flow(client, org).code)
    seen, cursor = [], None
    while True:
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/cases", query_string=params, headers=org.auth("dispatcher")).json
        seen += [c["tracking_code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))  # newest first, no duplicates, nothing skipped


def test_due_sort_pages_by_deadline_then_id(client, org):
    flows = [Flow(client, org) for _ in range(6)]
    # Same deadline for all: the id tiebreak must keep pages stable.
    db.session.execute(update(Case).values(next_due_at=datetime(2026, 12, 1, tzinfo=SHANGHAI)))
    db.session.commit()
    first = client.get(
        "/api/v1/cases", query_string={"sort": "due", "limit": 4}, headers=org.auth("dispatcher")
    ).json
    second = client.get(
        "/api/v1/cases",
        query_string={"sort": "due", "limit": 4, "cursor": first["next_cursor"]},
        headers=org.auth("dispatcher"),
    ).json
    listed = [c["tracking_code"] for c in first["items"] + second["items"]]
    assert listed == [f.code for f in flows] and second["next_cursor"] is None


def test_filters(client, org):
    complaint = Flow(client, org)
    inquiry = Flow(
        client,
        org,
        kind="inquiry",
        category_code="A03",
        region_code="350103",
        respondent={},
        title="咨询医保办理",
    )
    water = Flow(client, org, kind="help", category_code="P01", respondent={}, title="小区停水")
    complaint.act("accept", "dispatcher")
    complaint.act("assign", "dispatcher", {"department_code": "GL-SCJG"})
    auth = org.auth("supervisor")
    get = lambda **q: codes(client.get("/api/v1/cases", query_string=q, headers=auth))  # noqa: E731
    assert get(status="assigned") == [complaint.code]
    assert set(get(status=["registered"])) == {inquiry.code, water.code}
    assert get(kind="inquiry") == [inquiry.code]
    assert get(department="GL-SCJG") == [complaint.code]
    assert get(department="NOPE") == []
    assert get(region="350103") == [inquiry.code]
    assert get(category="P") == [water.code]
    assert get(category="G01") == [complaint.code]
    assert get(q="停水") == [water.code]
    assert get(q="某某电器") == [complaint.code]  # respondent name
    assert get(q=complaint.code.lower()) == [complaint.code]
    assert get(q="100%") == []


def test_short_and_long_terms_match_any_letter_case(client, org):
    """One- and two-character terms take the substring-position path, longer ones ILIKE: same answers."""
    led = Flow(client, org, kind="help", category_code="P01", respondent={}, title="楼道LED灯不亮")
    Flow(client, org, kind="help", category_code="P01", respondent={}, title="小区停水")
    auth = org.auth("supervisor")
    get = lambda q: codes(client.get("/api/v1/cases", query_string={"q": q}, headers=auth))  # noqa: E731
    for term in ("l", "Le", "eD", "led", "LeD灯", "灯", "楼道"):
        assert get(term) == [led.code], term
    for term in ("LX", "xl", "灯亮"):
        assert get(term) == [], term


def test_overdue_and_due_before(client, org):
    with travel_to(datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)):
        old = Flow(client, org)
    fresh = Flow(client, org)
    auth = org.auth("dispatcher")
    assert codes(client.get("/api/v1/cases", query_string={"overdue": "true"}, headers=auth)) == [old.code]
    listed = client.get("/api/v1/cases", headers=auth).json["items"]
    assert {c["tracking_code"]: c["overdue"] for c in listed} == {old.code: True, fresh.code: False}
    cutoff = "2026-09-30T00:00:00+08:00"
    assert codes(client.get("/api/v1/cases", query_string={"due_before": cutoff}, headers=auth)) == [old.code]


def test_list_errors_and_roles(client, org):
    auth = org.auth("dispatcher")
    bad = client.get("/api/v1/cases", query_string={"status": "lost", "limit": 0}, headers=auth)
    assert bad.status_code == 422 and {"status.0", "limit"} <= set(bad.json["errors"])
    assert client.get("/api/v1/cases", query_string={"cursor": "garbage!"}, headers=auth).status_code == 422
    assert (
        client.get(
            "/api/v1/cases", query_string={"due_before": "2026-01-01T00:00:00"}, headers=auth
        ).status_code
        == 422
    )  # naive datetimes are ambiguous
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers=org.auth("analyst")).status_code == 403


def test_list_masks_personal_data(client, org):
    Flow(client, org)
    item = client.get("/api/v1/cases", headers=org.auth("dispatcher")).json["items"][0]
    assert item["complainant_mobile"] == "138****8000" and item["complainant_name"] == "张*"
