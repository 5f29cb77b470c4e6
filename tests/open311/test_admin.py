"""Admin API for Open311: api_keys (shown once, stored hashed, revocable) and service attributes."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from core.db import db
from open311.models import ApiKey
from tests.open311 import schemas
from tests.open311.conftest import BASE, GeoReport, request_form

KEYS = "/api/v1/admin/open311/keys"


def test_admins_issue_list_and_revoke_keys(client, org):
    created = client.post(KEYS, json={"client": "市民通 App", "note": "合作方 A"}, headers=org.auth("admin"))
    assert created.status_code == 201
    key = created.json["api_key"]
    assert key.startswith("o311_") and created.json["key_prefix"] == key[:11]
    row = db_key(created.json["id"])
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in str(vars(row))
    listed = client.get(KEYS, headers=org.auth("admin")).json
    assert [k["client"] for k in listed] == ["市民通 App"] and "api_key" not in listed[0]
    geo = GeoReport(client, key)
    geo.post("requests", **request_form())
    assert client.get(KEYS, headers=org.auth("admin")).json[0]["last_used_at"] is not None
    revoked = client.post(f"{KEYS}/{created.json['id']}/revoke", headers=org.auth("admin"))
    assert revoked.status_code == 200 and revoked.json["is_active"] is False
    assert geo.post_both("requests", 403, **request_form())[0]["description"] == "invalid api_key"
    assert client.post(f"{KEYS}/{created.json['id']}/revoke", headers=org.auth("admin")).status_code == 409
    assert client.post(f"{KEYS}/999/revoke", headers=org.auth("admin")).status_code == 404


def db_key(key_id: int) -> ApiKey:
    return db.session.scalar(select(ApiKey).where(ApiKey.id == key_id))


def test_only_admins_manage_keys(client, org):
    assert client.get(KEYS).status_code == 401
    for user in ("supervisor", "analyst", "operator"):
        assert client.get(KEYS, headers=org.auth(user)).status_code == 403
        assert client.post(KEYS, json={"client": "x"}, headers=org.auth(user)).status_code == 403
    bad = client.post(KEYS, json={"client": ""}, headers=org.auth("admin"))
    assert bad.status_code == 422 and "client" in bad.json["errors"]


def test_attributes_are_managed_per_service_and_move_the_changeset(client, org, geo):
    url = "/api/v1/admin/open311/services/P01/attributes"
    before = geo.get("discovery", schemas.DISCOVERY)["changeset"]
    attributes = [
        {"code": "PRESSURE", "datatype": "singlevaluelist", "required": True, "order": 1,
         "description": "水压情况", "values": [{"key": "low", "name": "水压低"}]},
        {"code": "NOTE", "datatype": "text", "order": 2, "description": "补充"},
    ]  # fmt: skip
    saved = client.put(url, json={"attributes": attributes}, headers=org.auth("admin"))
    assert saved.status_code == 200 and [a["code"] for a in saved.json] == ["PRESSURE", "NOTE"]
    assert client.get(url, headers=org.auth("supervisor")).json == saved.json
    changed = geo.get("discovery", schemas.DISCOVERY)["changeset"]
    assert changed > before
    definition = geo.get("services/P01", schemas.SERVICE_DEFINITION)
    assert definition["attributes"][0]["values"] == [{"key": "low", "name": "水压低"}]
    # Removing every question still moves the changeset (clients must drop their cached definition).
    assert client.put(url, json={"attributes": []}, headers=org.auth("admin")).json == []
    assert geo.get("discovery")["changeset"] >= changed
    assert geo.get("services/P01")["attributes"] == []


def test_attribute_definitions_are_checked(client, org):
    url = "/api/v1/admin/open311/services/P01/attributes"

    def put(*items):
        return client.put(url, json={"attributes": list(items)}, headers=org.auth("admin"))

    base = {"code": "A", "datatype": "string", "order": 1, "description": "说明"}
    assert put({**base, "datatype": "colour"}).status_code == 422
    assert put({**base, "datatype": "singlevaluelist"}).json["errors"] == {
        "attributes.0.values": ["a list datatype needs values to choose from"]
    }
    assert "attributes.0.values" in put({**base, "values": [{"key": "x", "name": "X"}]}).json["errors"]
    assert "attributes.1.code" in put(base, {**base, "order": 2}).json["errors"]
    assert "attributes.1.order" in put(base, {**base, "code": "B"}).json["errors"]
    listed = {**base, "datatype": "multivaluelist", "values": [{"key": "x", "name": "X"}] * 2}
    assert "attributes.0.values" in put(listed).json["errors"]
    assert client.put("/api/v1/admin/open311/services/P/attributes", json={"attributes": []},
                      headers=org.auth("admin")).status_code == 404  # fmt: skip
    assert client.put(url, json={"attributes": []}, headers=org.auth("supervisor")).status_code == 403


def test_the_admin_api_is_in_the_openapi_document_and_the_georeport_routes_are_not(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/admin/open311/keys" in paths
    assert "/api/v1/admin/open311/services/{service_code}/attributes" in paths
    assert not any(p.startswith(BASE) for p in paths)
