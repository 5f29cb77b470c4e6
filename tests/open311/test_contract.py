"""Contract tests: every GeoReport v2 method and every error path, in JSON (validated against the
spec's schemas, tests/open311/schemas.py) and in XML (well-formed, declared UTF-8, and the same
document under the Spark convention)."""

from __future__ import annotations

import jsonschema
import pytest

from complaints.services.catalogue import seed_catalogues
from core.app import create_app
from core.db import db
from core.web.extensions import limiter
from open311.services.catalogue import replace_attributes
from open311.services.keys import create_api_key, revoke_api_key
from tests.open311 import schemas
from tests.open311.conftest import BASE, GeoReport, request_form
from tests.open311.spark import assert_same_document, parse_xml

QUESTIONS = [
    {"code": "PRESSURE", "datatype": "singlevaluelist", "required": True, "order": 1,
     "description": "水压情况",
     "values": [{"key": "none", "name": "完全停水"}, {"key": "low", "name": "水压低"}]},
    {"code": "FLOORS", "datatype": "multivaluelist", "required": False, "order": 2,
     "description": "受影响楼层", "values": [{"key": "1", "name": "一层"}, {"key": "2", "name": "二层"}]},
    {"code": "SINCE", "datatype": "datetime", "required": False, "order": 3, "description": "开始时间"},
    {"code": "HOUSEHOLDS", "datatype": "number", "required": False, "order": 4, "description": "受影响户数"},
    {"code": "NOTE", "datatype": "string", "required": False, "order": 5, "description": "补充",
     "datatype_description": "一行文字"},
    {"code": "INFO", "datatype": "text", "variable": False, "order": 6,
     "description": "停水公告见供水公司网站"},
]  # fmt: skip


@pytest.fixture()
def questions(ctx):
    replace_attributes("P01", QUESTIONS)


def test_discovery(geo):
    body = geo.get("discovery", schemas.DISCOVERY)
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_services_list_the_catalogue_below_its_groups(geo, questions):
    services = {s["service_code"]: s for s in geo.get("services", schemas.SERVICES)}
    assert "P" not in services and "G" not in services  # the roots are groups, not services
    assert services["P01"]["service_name"] == "供水" and services["P01"]["group"] == "公共服务"
    assert services["G0101"]["group"] == "商品类" and services["G0101"]["type"] == "realtime"
    assert services["P01"]["metadata"] is True and services["P02"]["metadata"] is False


def test_service_definition_with_attributes(geo, questions):
    body = geo.get("services/P01", schemas.SERVICE_DEFINITION)
    assert body["service_code"] == "P01"
    assert [a["code"] for a in body["attributes"]] == [
        "PRESSURE",
        "FLOORS",
        "SINCE",
        "HOUSEHOLDS",
        "NOTE",
        "INFO",
    ]
    assert body["attributes"][0]["values"] == [
        {"key": "none", "name": "完全停水"},
        {"key": "low", "name": "水压低"},
    ]
    assert body["attributes"][5]["variable"] is False
    assert geo.get("services/P02", schemas.SERVICE_DEFINITION) == {"service_code": "P02", "attributes": []}


def test_post_request_and_read_it_back_in_both_formats(geo, questions):
    form = request_form(**{"attribute[PRESSURE]": "low", "attribute[FLOORS][]": ["1", "2"]})
    created = geo.post("requests", schemas.POST_RESPONSE, **form).json
    code = created[0]["service_request_id"]
    as_xml = geo.post("requests", fmt="xml", **form)
    element = parse_xml(as_xml.data)
    assert element.tag == "service_requests" and element.find("request/service_request_id").text.startswith(
        "QL-"
    )
    assert created[0]["account_id"] == "acct-7"
    one = geo.get(f"requests/{code}", schemas.REQUESTS)
    assert len(one) == 1 and one[0]["service_request_id"] == code
    listed = geo.get("requests", schemas.REQUESTS)
    assert {r["service_request_id"] for r in listed} >= {code}


def test_token_resolves_to_the_request(app, geo):
    app.config["OPEN311_SERVICE_TYPE"] = "batch"
    try:
        created = geo.post("requests", schemas.POST_RESPONSE, **request_form()).json[0]
        assert "service_request_id" not in created and created["token"]
        token = geo.get(f"tokens/{created['token']}", schemas.TOKEN)
        assert token[0]["token"] == created["token"] and token[0]["service_request_id"].startswith("QL-")
        assert geo.get("services", schemas.SERVICES)[0]["type"] == "batch"
    finally:
        app.config["OPEN311_SERVICE_TYPE"] = "realtime"


def test_service_request_updates(geo):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    updates = geo.get("servicerequestupdates", schemas.UPDATES)
    assert [(u["service_request_id"], u["status"]) for u in updates] == [(code, "open")]
    posted = geo.post(
        "servicerequestupdates", schemas.UPDATE_POST_RESPONSE, service_request_id=code, update_id="fms-1",
        status="OPEN", description="还是没有水", updated_datetime="2026-11-22T10:00:00Z",
    ).json  # fmt: skip
    as_xml = geo.post(
        "servicerequestupdates",
        fmt="xml",
        service_request_id=code,
        update_id="fms-1",
        description="还是没有水",
    )
    assert_same_document(as_xml.data, posted, "service_request_updates")


def _errors(geo, path: str, expect: int, **params) -> list[dict]:
    body = geo.get(path, schemas.ERRORS, expect=expect, **params)
    assert all(e["code"] == expect for e in body)
    return body


def test_get_error_paths(geo):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    assert "service_code ZZZ" in _errors(geo, "services/ZZZ", 404)[0]["description"]
    _errors(geo, "services/P", 404)  # a group is not a service
    _errors(geo, "requests/QL-20990101-NOPE0000", 404)
    _errors(geo, "tokens/not-a-token", 404)
    _errors(geo, "no-such-method", 404)
    assert "start_date" in _errors(geo, "requests", 400, start_date="yesterday")[0]["description"]
    assert "time zone" in _errors(geo, "requests", 400, start_date="2026-01-01T00:00:00")[0]["description"]
    span = _errors(geo, "requests", 400, start_date="2026-01-01T00:00:00Z", end_date="2026-06-01T00:00:00Z")
    assert "90 days" in span[0]["description"]
    _errors(geo, "requests", 400, end_date="2026-01-01T00:00:00Z", start_date="2026-02-01T00:00:00Z")
    _errors(geo, "requests", 400, status="pending")
    _errors(geo, "requests", 400, page_size="1001")
    _errors(geo, "requests", 400, page="0")
    _errors(
        geo, "servicerequestupdates", 400, start_date="2026-01-01T00:00:00Z", end_date="2026-12-01T00:00:00Z"
    )
    # A request id list overrides the other arguments, bad ones included.
    assert (
        geo.get("requests", schemas.REQUESTS, service_request_id=code, status="pending")[0][
            "service_request_id"
        ]
        == code
    )


def test_jurisdiction(app, geo):
    app.config["OPEN311_JURISDICTION_ID"] = "fuzhou.gov.cn"
    try:
        assert geo.get("services", schemas.SERVICES, jurisdiction_id="fuzhou.gov.cn")
        assert geo.get("services", schemas.SERVICES)  # one jurisdiction: the parameter is optional
        assert (
            "jurisdiction_id"
            in _errors(geo, "services", 404, jurisdiction_id="xiamen.gov.cn")[0]["description"]
        )
        geo.post("requests", schemas.ERRORS, expect=404, jurisdiction_id="xiamen.gov.cn", **request_form())
    finally:
        app.config["OPEN311_JURISDICTION_ID"] = ""


def test_unknown_format_and_method_answer_in_xml(client):
    response = client.get(f"{BASE}/services.html")
    assert response.status_code == 404 and response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert parse_xml(response.data).tag == "errors"
    response = client.delete(f"{BASE}/requests.json")
    assert response.status_code == 405
    jsonschema.validate(response.json, schemas.ERRORS)
    response = client.put(f"{BASE}/requests.xml")
    assert response.status_code == 405 and parse_xml(response.data).find("error/code").text == "405"


@pytest.mark.parametrize(
    ("overrides", "status", "mentions"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "o311_wrong"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "NOPE"}, 404, "service_code"),
        ({"lat": "", "long": "", "address_string": ""}, 400, "location"),
        ({"long": "", "address_string": ""}, 400, "long"),
        ({"lat": "north", "long": "east"}, 400, "lat"),
        ({"lat": "95", "long": "119"}, 400, "lat"),
        ({"phone": "12345"}, 400, "phone"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"address_string": "路" * 201}, 400, "address_string"),
        ({"attribute[PRESSURE]": ""}, 400, "attribute[PRESSURE]"),
        ({"attribute[PRESSURE]": "flood"}, 400, "attribute[PRESSURE]"),
        ({"attribute[PRESSURE]": "low", "attribute[FLOORS][]": ["1", "9"]}, 400, "attribute[FLOORS]"),
        ({"attribute[PRESSURE]": "low", "attribute[SINCE]": "last week"}, 400, "attribute[SINCE]"),
        ({"attribute[PRESSURE]": "low", "attribute[HOUSEHOLDS]": "many"}, 400, "attribute[HOUSEHOLDS]"),
        ({"attribute[PRESSURE]": "low", "attribute[NOTE]": "two\nlines"}, 400, "attribute[NOTE]"),
        ({"attribute[PRESSURE]": "low", "attribute[COLOUR]": "brown"}, 400, "attribute[COLOUR]"),
        ({"attribute[PRESSURE]": "low", "attribute[INFO]": "x"}, 400, "attribute[INFO]"),
    ],
)
def test_post_request_error_paths(geo, questions, overrides, status, mentions):
    form = {"attribute[PRESSURE]": "none", **request_form(), **overrides}
    body = geo.post_both("requests", status, **form)
    jsonschema.validate(body, schemas.ERRORS)
    assert any(mentions in e["description"] for e in body), body
    assert all(e["code"] == status for e in body)


def test_post_request_with_a_revoked_key_is_forbidden(geo):
    row, key = create_api_key("retired kiosk")
    revoke_api_key(row.id)
    body = geo.post_both("requests", 403, api_key=key, **request_form())
    assert body == [{"code": 403, "description": "invalid api_key"}]


def test_several_problems_come_back_as_several_errors(geo, questions):
    body = geo.post_both(
        "requests", 400, **request_form(**{"attribute[PRESSURE]": "flood", "attribute[X]": "1"})
    )
    assert len(body) == 2


@pytest.mark.parametrize(
    ("form", "status", "mentions"),
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"service_request_id": ""}, 400, "service_request_id"),
        ({"service_request_id": "QL-20990101-NOPE0000"}, 404, "service_request_id"),
        ({"status": "SOLVED"}, 400, "status"),
        ({"description": ""}, 400, "description"),
        ({"updated_datetime": "soon"}, 400, "updated_datetime"),
    ],
)
def test_post_update_error_paths(geo, form, status, mentions):
    code = geo.post("requests", **request_form()).json[0]["service_request_id"]
    full = {"service_request_id": code, "description": "补充说明", "status": "open", **form}
    body = geo.post_both("servicerequestupdates", status, **full)
    jsonschema.validate(body, schemas.ERRORS)
    assert any(mentions in e["description"] for e in body), body


def test_oversized_body_is_an_error_list(client, partner_key):
    response = client.post(
        f"{BASE}/requests.xml", data={"api_key": partner_key, "description": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413 and parse_xml(response.data).find("error/code").text == "413"


def test_posts_are_rate_limited_per_key(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
            "SECRET_KEY": "test-secret",
            "RATELIMIT_ENABLED": True,
            "OPEN311_RATE_LIMIT": "2 per minute",
        }
    )
    try:
        with app.app_context():
            db.create_all(bind_key=None)  # a throwaway database for this app only
            seed_catalogues()
            first, other = create_api_key("kiosks")[1], create_api_key("another partner")[1]
            geo = GeoReport(app.test_client(), first)
            geo.post("requests", **request_form())
            geo.post("requests", **request_form())
            body = geo.post("requests", schemas.ERRORS, expect=429, **request_form()).json
            assert body[0]["code"] == 429
            as_xml = geo.post("requests", expect=429, fmt="xml", **request_form())
            assert parse_xml(as_xml.data).find("error/code").text == "429"
            geo.post("requests", api_key=other, **request_form())  # another partner has its own budget
            # A wrong key is limited by the client address, so guessing keys gets nowhere fast.
            statuses = [geo.post_raw("requests", api_key=f"o311_guess{i}").status_code for i in range(3)]
            assert statuses == [403, 403, 429]
    finally:
        limiter.enabled = False  # the limiter object is shared by every app in this process
