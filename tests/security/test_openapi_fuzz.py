"""Schemathesis against the service's own OpenAPI document (/api/v1/openapi.json), every operation,
in-process over WSGI: no 500, every status code documented for its operation (the document has no
catch-all `default` response), every body conforming to its documented schema, schema-violating input
refused, 405 with Allow for undeclared methods, auth not ignored.

The generated requests are steered onto real data part of the time (tracking codes with their access
keys, a published survey, users, an indicator, an Open311 key) and sent with a random role's bearer
token or none, so the fuzzing reaches the services and the role checks, not only the 404 of an unknown
name. Bounded for CI: QUALITYLINE_FUZZ_EXAMPLES (default 6) examples per operation and phase, derandomized
so a CI run is repeatable; raise it (and set QUALITYLINE_FUZZ_RANDOM=1) to explore further locally.
Open311 (/open311/v2) is outside this document; tests/open311/test_contract.py covers it."""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import negated_parameters

from complaints.services.catalogue import create_routing_rule
from core.app import create_app
from core.auth.services import create_department, create_user, issue_token, update_user
from core.db import db
from tests.conftest import ORG_USERS, PASSWORD, Org, complaint_body, empty_database

EXAMPLES = int(os.environ.get("QUALITYLINE_FUZZ_EXAMPLES", "6"))
# The coverage phase (boundary values, wrong types, missing fields, bad content types, no token...) makes
# ~4000 requests over the document; with COVERAGE_SHARE=n only a fixed, hash-chosen 1/n of them is sent
# (for a slow machine; CI sends all).
COVERAGE_SHARE = int(os.environ.get("QUALITYLINE_FUZZ_COVERAGE_SHARE", "1"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "max-examples": EXAMPLES,
            "database": "none",
            "deterministic": os.environ.get("QUALITYLINE_FUZZ_RANDOM") != "1",
        },
        # Undeclared methods must answer 405 with Allow; two of them per path say as much as all eight.
        "phases": {"coverage": {"unexpected-methods": ["delete", "trace"]}},
        "checks": {
            # Off: a schema-valid body may still name a region, category or department that does not
            # exist (JSON Schema cannot say "a code from GET /regions"); 422 is right then. Every other
            # check is on.
            "positive_data_acceptance": {"enabled": False},
            # A missing X-Access-Key is answered like a wrong one: 404, as for an unknown tracking code,
            # so the answer never tells whether a case exists (DESIGN.md section 5).
            "missing_required_header": {"expected-statuses": ["401", "403", "404", "422"]},
        },
    }
)
# The document only: generating it needs no database (the requests go to the test app below).
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False}),
    config=CONFIG,
)

# Who sends the request: admin most often (it may reach every service), every other role, or nobody.
ROLES = ("admin", "admin", "admin", *(name for name, _role, _dept in ORG_USERS if name != "admin"), None)
KPI_CODES = ("acceptance_rate", "completion_on_time_rate", "satisfaction_rate")


@dataclass
class World:
    """Real objects for the path parameters, made on first use by an operation that names them. The
    survey, Open311 key and indicator last the module; each operation gets fresh cases and tokens."""

    client: FlaskClient
    org: Org
    cases: list[tuple[str, str]] = field(default_factory=list)  # (tracking code, access key)
    slug: str | None = None
    key_id: int | None = None
    indicator: str | None = None

    def act(self, code: str, action: str, user: str, body: dict) -> None:
        response = self.client.post(
            f"/api/v1/cases/{code}/actions/{action}", json=body, headers=self.org.auth(user)
        )
        assert response.status_code == 200, response.json

    def ensure_cases(self) -> list[tuple[str, str]]:
        """Four cases: registered, accepted, in progress, replied."""
        if not self.cases:
            for _ in range(4):
                created = self.client.post("/api/v1/complaints", json=complaint_body()).json
                self.cases.append((created["tracking_code"], created["access_key"]))
            _, accepted, working, replied = (code for code, _key in self.cases)
            for code in (accepted, working, replied):
                self.act(code, "accept", "dispatcher", {})
            for code in (working, replied):
                self.act(code, "assign", "dispatcher", {"department_code": "GL-SCJG"})
                self.act(code, "sign", "handler", {})
            self.act(replied, "reply", "handler", {"outcome": "resolved", "reply": "已处理"})
        return self.cases

    def ensure_survey(self) -> str:
        if self.slug is None:
            admin = self.org.auth("admin")
            body = {"slug": "fuzz-callback", "template": "hotline-callback"}
            assert self.client.post("/api/v1/surveys", json=body, headers=admin).status_code == 201
            assert self.client.post("/api/v1/surveys/fuzz-callback/publish", headers=admin).status_code == 200
            self.slug = "fuzz-callback"
        return self.slug

    def ensure_key(self) -> int:
        if self.key_id is None:
            response = self.client.post(
                "/api/v1/admin/open311/keys", json={"client": "fuzz"}, headers=self.org.auth("admin")
            )
            assert response.status_code == 201, response.json
            self.key_id = response.json["id"]
        return self.key_id

    def ensure_indicator(self) -> str:
        if self.indicator is None:
            slug = self.ensure_survey()
            body = {
                "code": "FUZZ1",
                "name_zh": "测试指标",
                "target": 80,
                "attribute": "expected",
                "weighting": "fixed",
                "components": [
                    {"source": "survey_index", "survey": slug, "code": "satisfaction", "weight": 1}
                ],
            }
            response = self.client.post(
                "/api/v1/analytics/indicators", json=body, headers=self.org.auth("admin")
            )
            assert response.status_code == 201, response.json
            self.indicator = "FUZZ1"
        return self.indicator

    def steer(self, case: schemathesis.Case, pick: int) -> None:
        """Replace generated path parameters (and the access key) by real ones when pick < 7 of 10."""
        params = case.path_parameters or {}
        if pick >= 7 or not params:
            return
        path = case.operation.path
        if "tracking_code" in params:
            code, key = self.ensure_cases()[pick % 4]
            params["tracking_code"] = code
            if pick < 5 and "X-Access-Key" in (case.headers or {}):  # absent: the case tests that
                case.headers["X-Access-Key"] = key
        if "slug" in params:
            params["slug"] = self.ensure_survey()
        if "username" in params:
            params["username"] = ORG_USERS[pick % len(ORG_USERS)][0]
        if "key_id" in params:
            params["key_id"] = self.ensure_key()
        if "sector" in params:
            params["sector"] = "hotline_callback"
        if "service_code" in params:
            params["service_code"] = "G0101"
        if "code" in params:
            params["code"] = KPI_CODES[pick % 3] if "/kpis/" in path else self.ensure_indicator()


@pytest.fixture(scope="module")
def shared_world(app: Flask) -> Iterator[World]:
    """One database for all operations: emptying ~30 tables after each of ~75 operations took ~40 s on
    PostgreSQL. What the fuzzing creates (users, departments, policies, surveys...) accumulates, so later
    operations meet a fuller database; the org's accounts are reset before each operation."""
    with app.app_context():
        create_department("GL-SCJG", "鼓楼区市场监督管理局", "350102")
        create_department("TJ-SCJG", "台江区市场监督管理局", "350103")
        create_routing_rule("G", "GL-SCJG", "350102")
        for username, role, department in ORG_USERS:
            create_user(username, role, PASSWORD, department)
        db.session.remove()
        yield World(app.test_client(), Org({}))
        empty_database()


@pytest.fixture()
def world(shared_world: World) -> World:
    """The shared world with the org's accounts as tests/conftest.py makes them, new tokens, no cases."""
    db.session.rollback()  # whatever an earlier operation left behind
    tokens = {}
    for username, role, department in ORG_USERS:
        # An earlier operation may have changed the role, deactivated the account or reset its password.
        user = update_user(username, role=role, department_code=department, is_active=True)
        tokens[username] = issue_token(user)[0]
    # No transaction left open beside the requests' own (on PostgreSQL it would hold locks).
    db.session.remove()
    shared_world.org, shared_world.cases = Org(tokens), []
    return shared_world


def spread(case: schemathesis.Case) -> int:
    """A number that varies with the generated request (so does the steering and the caller); not
    drawn by Hypothesis, which would not combine with the schema's own examples."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body, case.headers)).encode())


def probes_authorization(case: schemathesis.Case) -> bool:
    """The case is about the Authorization header itself (sent garbage, or left out on purpose)."""
    if case.headers and any(name.lower() == "authorization" for name in case.headers):
        return True
    return any(name.lower() == "authorization" for name, _where in negated_parameters(case.meta))


@schema.parametrize()
# The world is shared by an operation's examples on purpose: later examples meet what earlier ones made.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_every_operation_keeps_its_documented_contract(
    case: schemathesis.Case, app: Flask, world: World
) -> None:
    number = spread(case)
    if case.meta is not None and case.meta.phase.name.value == "coverage" and number % COVERAGE_SHARE:
        return
    role = ROLES[number % len(ROLES)]
    world.steer(case, number // len(ROLES) % 10)
    headers = world.org.auth(role) if role and not probes_authorization(case) else {}
    case.call_and_validate(app=app, headers=headers)


def test_the_document_states_each_operations_errors_and_has_no_catch_all(app: Flask):
    """What the fuzzing above relies on: no `default` response, and the framework's errors listed where
    they can happen (bodies: 400/413/415/422; path parameters: 404; bearer token: 401)."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert "default" not in codes, (method, path)
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert {"400", "413", "415", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if operation.get("security"):
                assert "401" in codes, (method, path)
            for code in codes - {"200", "201", "202", "204"}:
                response = operation["responses"][code]
                if "$ref" in response:  # flask-smorest's shared 422
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                content = response["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
    error = spec["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "status", "message", "errors"}
    assert error["additionalProperties"] is False


def test_an_undeclared_method_is_405_with_allow(app: Flask):
    """Regression: the 405 body dropped werkzeug's Allow header (RFC 9110 requires it)."""
    response = app.test_client().delete("/api/v1/categories")
    assert response.status_code == 405 and response.json["code"] == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
