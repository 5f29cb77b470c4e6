"""Shared fixtures: the app on SQLite (default) or PostgreSQL (QUALITYLINE_TEST_DATABASE_URL), schema
built by the Alembic migrations, tables emptied after each test, and a small organisation with one
token per role."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import delete, text

from complaints.models import Policy
from complaints.services.catalogue import create_routing_rule, seed_catalogues
from core.app import create_app
from core.auth.services import create_department, create_user, issue_token
from core.db import db

PASSWORD = "secret-pass-1"
# Emptied after every test, children first; catalogues (regions, categories) stay seeded.
TRANSACTIONAL_TABLES = (
    "personal_data_access",  # points at users
    # open311 (first: updates point at case events, requests and imports at cases, keys at users)
    "open311_updates",
    "open311_requests",
    "open311_api_keys",
    "open311_service_changes",
    "open311_service_attributes",
    "imported_cases",
    "case_imports",
    # indicators (first: their components point at surveys and users)
    "indicator_components",
    "indicators",
    # surveys (their rows point at cases and users)
    "survey_answers",
    "survey_responses",
    "survey_messages",
    "survey_invitations",
    "survey_imports",
    "survey_versions",
    "surveys",
    "notifications",
    "rectifications",
    "idempotency_keys",
    "case_events",
    "cases",
    "routing_rules",
    "api_tokens",
    "users",
    "departments",
    "calendar_overrides",
    "kpi_daily",
    "kpi_due_daily",
    "scheduler_jobs",
    "scheduler_heartbeats",
)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("QUALITYLINE_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )


def reset_schema() -> None:
    """Start from an empty database so the migrations alone build the schema."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
            "SECRET_KEY": "test-secret",
            "TOKEN_TTL_HOURS": 24 * 365,
            # A cheap hash keeps per-test account set-up fast; production uses scrypt.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Many tests post forms from one address; tests/web/test_pages.py checks the limits separately.
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        reset_schema()
        upgrade()
        seed_catalogues()
        db.session.remove()
    yield app


@pytest.fixture()
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context on a clean database; everything a test writes is removed afterwards."""
    with app.app_context():
        yield app
        empty_database()


def empty_database() -> None:
    """Remove everything tests write: the transactional tables and any policy beyond the seeded one."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(TRANSACTIONAL_TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for table in TRANSACTIONAL_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(delete(Policy).where(Policy.version > 1))
    db.session.commit()
    db.session.remove()


@pytest.fixture()
def client(ctx: Flask) -> FlaskClient:
    return ctx.test_client()


@dataclass
class Org:
    """Two district bureaus and one account (with a bearer token) per role."""

    tokens: dict[str, str]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


ORG_USERS = [
    ("admin", "admin", None),
    ("supervisor", "supervisor", None),
    ("dispatcher", "dispatcher", None),
    ("operator", "operator", None),
    ("analyst", "analyst", None),
    ("handler", "handler", "GL-SCJG"),
    ("other_handler", "handler", "TJ-SCJG"),
]


@pytest.fixture()
def org(ctx: Flask) -> Org:
    create_department("GL-SCJG", "鼓楼区市场监督管理局", "350102")
    create_department("TJ-SCJG", "台江区市场监督管理局", "350103")
    create_department("FZ-SW", "福州水务集团", "350100")
    create_routing_rule("G", "GL-SCJG", "350102")
    create_routing_rule("G", "TJ-SCJG", "350103")
    create_routing_rule("P01", "FZ-SW", None)
    tokens = {}
    for username, role, department in ORG_USERS:
        user = create_user(username, role, PASSWORD, department)
        tokens[username] = issue_token(user)[0]
    return Org(tokens)


def complaint_body(**overrides) -> dict:
    """A valid public complaint (SAMR Order 20 fields present)."""
    body = {
        "kind": "complaint",
        "channel": "web",
        "hotline": "12315",
        "category_code": "G0101",
        "region_code": "350102",
        "title": "电热水壶漏电",
        "description": "使用两周后底座漏电，商家拒绝退货。",
        "amount_involved": "299.00",
        "respondent": {
            "name": "某某电器商行",
            "credit_code": "91350100M000100Y43",
            "address": "鼓楼区五四路1号",
        },
        "complainant": {"name": "张三", "mobile": "13800138000", "email": None},
        "is_confidential": False,
    }
    body.update(overrides)
    return body


# A valid public web complaint form (the fields of /submit/complaint), for page and bad-input tests.
WEB_COMPLAINT_FORM = {
    "category_code": "G0101",
    "region_code": "350102",
    "title": "电热水壶漏电",
    "description": "使用两周后底座漏电，商家拒绝退货。",
    "respondent_name": "某某电器商行",
    "complainant_name": "张三",
    "complainant_mobile": "13800138000",
}


def form_csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at `path` (in this client's session)."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def web_login(client: FlaskClient, username: str, password: str = PASSWORD):
    """Sign in through the real staff login form; returns its response."""
    token = form_csrf_token(client, "/staff/login")
    return client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token})
