"""Fixtures for the Open311 tests: a partner with an api_key and a client speaking GeoReport v2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from open311.services.keys import create_api_key
from tests.open311.spark import assert_same_document, parse_xml

BASE = "/open311/v2"


@dataclass
class GeoReport:
    """A GeoReport v2 client on the Flask test client; every answer is checked in both formats."""

    client: FlaskClient
    api_key: str

    def get(self, path: str, schema: dict | None = None, expect: int = 200, **params: Any) -> Any:
        """GET path.json and path.xml; checks status, schema, content types and that both agree."""
        as_json = self.client.get(f"{BASE}/{path}.json", query_string=params)
        as_xml = self.client.get(f"{BASE}/{path}.xml", query_string=params)
        return self._check(as_json, as_xml, schema, expect)

    def post(self, path: str, schema: dict | None = None, expect: int = 200, fmt: str = "json", **form: Any):
        """POST a form (api_key added unless given) in one format; checks status and schema."""
        form.setdefault("api_key", self.api_key)
        form = {k: v for k, v in form.items() if v is not None}
        response = self.client.post(f"{BASE}/{path}.{fmt}", data=form)
        assert response.status_code == expect, response.data.decode()
        expected = "application/json; charset=utf-8" if fmt == "json" else "text/xml; charset=utf-8"
        assert response.headers["Content-Type"] == expected
        if fmt == "json" and schema is not None:
            jsonschema.validate(response.json, schema)
        return response

    def _check(self, as_json, as_xml, schema, status):
        assert as_json.status_code == status, as_json.data.decode()
        assert as_xml.status_code == status, as_xml.data.decode()
        assert as_json.headers["Content-Type"] == "application/json; charset=utf-8"
        assert as_xml.headers["Content-Type"] == "text/xml; charset=utf-8"
        body = as_json.json
        if schema is not None:
            jsonschema.validate(body, schema)
        assert_same_document(as_xml.data, body, parse_xml(as_xml.data).tag)
        return body

    def post_raw(self, path: str, fmt: str = "json", **form: Any):
        """POST a form as given (no api_key added, nothing checked)."""
        return self.client.post(f"{BASE}/{path}.{fmt}", data=form)

    def post_both(self, path: str, expect: int, **form: Any) -> Any:
        """POST the same form as .json and as .xml (two requests); checks both answers agree."""
        form.setdefault("api_key", self.api_key)
        form = {k: v for k, v in form.items() if v is not None}
        as_json = self.client.post(f"{BASE}/{path}.json", data=form)
        as_xml = self.client.post(f"{BASE}/{path}.xml", data=form)
        return self._check(as_json, as_xml, None, expect)


@pytest.fixture()
def partner_key(ctx) -> str:
    return create_api_key("FixMyStreet 福州", "test partner")[1]


@pytest.fixture()
def geo(client, partner_key) -> GeoReport:
    return GeoReport(client, partner_key)


def request_form(**overrides: Any) -> dict[str, Any]:
    """A valid POST Service Request form (water supply in Gulou district)."""
    form = {
        "service_code": "P01",
        "lat": "26.0812345",
        "long": "119.2967891",
        "address_string": "福州市鼓楼区五四路1号",
        "description": "小区停水两天了\n水压一直很低",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800138000",
        "email": "zhang@example.com",
        "device_id": "device-42",
        "account_id": "acct-7",
    }
    form.update(overrides)
    return form
