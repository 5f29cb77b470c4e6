"""POST and GET requests: the same intake as the web form, the mapping onto cases, the list filters,
and no personal data in anything a GET returns."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from complaints.models import Case, CaseEvent, Notification
from core.clock import travel_to
from core.db import db
from open311.models import ApiKey, Open311Request
from open311.services.catalogue import replace_attributes
from tests.open311 import schemas
from tests.open311.conftest import BASE, request_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _case(code: str) -> Case:
    return db.session.scalar(select(Case).where(Case.tracking_code == code))


def test_a_post_goes_through_the_common_intake(geo):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    case = _case(code)
    assert (case.channel, case.kind, case.status) == ("open311", "help", "registered")
    assert case.category_code == "P01" and case.hotline == "12345"
    assert case.region_code == "350102"  # 鼓楼区 named in the address
    assert (case.complainant_name, case.complainant_mobile) == ("张三", "13800138000")
    assert case.title == "小区停水两天了" and case.description.startswith("小区停水两天了\n水压一直很低")
    assert (case.latitude, case.longitude, case.address) == (26.0812345, 119.2967891, "福州市鼓楼区五四路1号")
    # The intake's deadline, audit event and receipt notice, as for a web submission.
    assert case.acceptance_due_at is not None and case.next_due_at == case.acceptance_due_at
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert (event.action, event.actor_role, event.payload["channel"]) == ("register", "citizen", "open311")
    notice = db.session.scalar(select(Notification).where(Notification.case_id == case.id))
    assert (notice.template, notice.recipient) == ("receipt", "13800138000")
    record = db.session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
    assert (record.device_id, record.account_id) == ("device-42", "acct-7")
    key = db.session.get(ApiKey, record.api_key_id)
    assert key.client == "FixMyStreet 福州" and key.last_used_at is not None


def test_anonymous_posts_are_reports_and_the_region_falls_back(geo):
    form = request_form(
        first_name=None, last_name=None, phone=None, email=None, address_string="五一广场附近"
    )
    case = _case(geo.post("requests", **form).json[0]["service_request_id"])
    assert case.kind == "report" and case.complainant_name is None
    assert case.region_code == "350100"  # no district named: QUALITYLINE_OPEN311_REGION_CODE


def test_western_names_and_english_district_names(geo):
    form = request_form(first_name="John", last_name="Smith", address_string="12 Wusi Rd, Taijiang District")
    case = _case(geo.post("requests", **form).json[0]["service_request_id"])
    assert case.complainant_name == "John Smith" and case.region_code == "350103"


def test_attribute_answers_and_extras_reach_staff_in_the_description(geo):
    replace_attributes(
        "P01",
        [
            {"code": "PRESSURE", "datatype": "singlevaluelist", "required": True, "order": 1,
             "description": "水压情况", "values": [{"key": "low", "name": "水压低"}]},
            {"code": "FLOORS", "datatype": "multivaluelist", "order": 2, "description": "受影响楼层",
             "values": [{"key": "1", "name": "一层"}, {"key": "2", "name": "二层"}]},
        ],
    )  # fmt: skip
    form = request_form(
        description=None,
        address_id="ADDR-9",
        media_url="https://img.example.com/p/1.jpg",
        **{"attribute[PRESSURE]": "low", "attribute[FLOORS][]": ["1", "2"]},
    )
    code = geo.post("requests", **form).json[0]["service_request_id"]
    case = _case(code)
    assert case.title == "Open311 请求：供水"
    assert "水压情况：水压低" in case.description and "受影响楼层：一层、二层" in case.description
    assert "ADDR-9" in case.description and "https://img.example.com/p/1.jpg" in case.description
    record = db.session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
    assert record.attributes == {"PRESSURE": "low", "FLOORS": ["1", "2"]}
    assert record.media_url == "https://img.example.com/p/1.jpg"


def test_an_idempotency_key_returns_the_same_request(client, partner_key):
    form = {"api_key": partner_key, **request_form()}
    first = client.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"}).json
    again = client.post(f"{BASE}/requests.json", data=form, headers={"Idempotency-Key": "k-1"}).json
    assert first == again
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_get_requests_filters(geo):
    start = datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)
    codes = []
    for day, service in enumerate(["P01", "P02", "P01", "V01"]):
        with travel_to(start + timedelta(days=day)):
            codes.append(geo.post("requests", **request_form(service_code=service)).json)
    codes = [c[0]["service_request_id"] for c in codes]
    window = {"start_date": "2026-09-01T00:00:00+08:00", "end_date": "2026-09-30T00:00:00+08:00"}
    with travel_to(start + timedelta(days=10)):
        listed = geo.get("requests", schemas.REQUESTS, **window)
        assert [r["service_request_id"] for r in listed] == codes[::-1]  # newest first
        assert len(geo.get("requests", schemas.REQUESTS, service_code="P01,V01", **window)) == 3
        assert geo.get("requests", schemas.REQUESTS, status="closed", **window) == []
        assert len(geo.get("requests", schemas.REQUESTS, status="open,closed", **window)) == 4
        only_start = geo.get("requests", schemas.REQUESTS, start_date="2026-09-02T12:00:00+08:00")
        assert [r["service_request_id"] for r in only_start] == codes[:1:-1]
        by_id = geo.get("requests", schemas.REQUESTS, service_request_id=f"{codes[2]},{codes[0]},QL-NOPE")
        assert [r["service_request_id"] for r in by_id] == [codes[2], codes[0]]
        page = {"page_size": 3, **window}
        assert [r["service_request_id"] for r in geo.get("requests", page=2, **page)] == [codes[0]]
        assert geo.get("requests", page=3, **page) == []
        # The default window is the most recent 90 days.
    with travel_to(start + timedelta(days=92)):
        assert [r["service_request_id"] for r in geo.get("requests")] == codes[:1:-1]
    with travel_to(start + timedelta(days=200)):
        assert geo.get("requests") == []


def test_the_default_answer_stops_at_1000_requests(geo, monkeypatch):
    monkeypatch.setattr("open311.services.params.MAX_ROWS", 3)  # the same rule, on a smaller number
    for _ in range(4):
        geo.post("requests", **request_form())
    assert len(geo.get("requests")) == 3
    assert len(geo.get("requests", page=2)) == 1
    assert geo.get("requests", schemas.ERRORS, expect=400, page_size=4)[0]["code"] == 400


def test_get_output_carries_no_personal_data(geo, client, org):
    secret = {
        "first_name": "秘密名",
        "last_name": "欧阳",
        "phone": "13912345678",
        "email": "hidden.person@example.com",
        "description": "我家住在鼓楼区某小区3栋502室，电话13912345678",
        "address_string": "鼓楼区某小区3栋502室",
        "address_id": "HOUSE-502",
        "device_id": "imei-99999",
        "account_id": "acct-secret-1",
        "media_url": "https://img.example.com/face-of-ouyang.jpg",
    }
    code = geo.post("requests", **request_form(**secret)).json[0]["service_request_id"]
    headers = org.auth("dispatcher")
    client.post(f"/api/v1/cases/{code}/actions/accept", json={}, headers=headers)
    outputs = [client.get(f"{BASE}/requests/{code}.{fmt}").data.decode() for fmt in ("json", "xml")] + [
        client.get(f"{BASE}/requests.{fmt}").data.decode() for fmt in ("json", "xml")
    ]
    outputs += [client.get(f"{BASE}/servicerequestupdates.{fmt}").data.decode() for fmt in ("json", "xml")]
    outputs += [client.get(f"{BASE}/requests.json", query_string={"service_request_id": code}).data.decode()]
    assert all(code in text for text in outputs)
    for text in outputs:
        for value in secret.values():
            for fragment in {value, json.dumps(value, ensure_ascii=False)[1:-1], "502", "欧阳", "秘密"}:
                assert fragment not in text, (fragment, text[:200])
    # Coordinates are published only rounded to about 100 m.
    published = client.get(f"{BASE}/requests/{code}.json").json[0]
    assert (published["lat"], published["long"]) == (26.081, 119.297)


def test_confidential_cases_publish_no_location(geo, client, org):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    _case(code).is_confidential = True
    db.session.commit()
    published = client.get(f"{BASE}/requests/{code}.json").json[0]
    assert published["lat"] is None and published["long"] is None
