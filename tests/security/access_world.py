"""A small world to probe every route with (a case in department A, surveys, an invitation, an import,
an indicator, Open311 keys) and one signed-in client per role; shared by the access and privacy tests.

Roles: `anonymous` (no credentials), `partner` (an Open311 api_key, nothing else), the staff roles of
tests/conftest.py (`handler` works in GL-SCJG, the department of the case; `other_handler` in TJ-SCJG).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from analytics.services.indicator_seed import seed_default_indicators
from core.db import db, utcnow
from open311.services.keys import create_api_key, find_active_key
from open311.services.submission import post_request
from surveys.services import definitions, importing, invitations
from tests.complaints.test_lifecycle_api import Flow
from tests.conftest import PASSWORD, Org, complaint_body
from tests.open311.conftest import request_form

STAFF_ROLES = ("operator", "dispatcher", "handler", "other_handler", "supervisor", "analyst", "admin")
ROLES = ("anonymous", "partner", *STAFF_ROLES)
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRATCH_SURVEY = "authz-scratch"
SCALE10 = ("img1", "img2", "exp1", "exp2", "pq1", "pq2", "pq3", "pv1", "pv2", "sat1", "sat2", "sat3", "loy1")
ONE_ANSWER = {
    "hotline-callback": {"satisfaction": 4, "resolved": True},
    "service-satisfaction": {
        "district": "350102",
        "age_group": "30-39",
        "sex": "female",
        "service_type": "catering",
        "complained": False,
        "nps": 8,
        **dict.fromkeys(SCALE10, 8),
    },
}


@dataclass
class World:
    """A client per role, and the concrete objects URL templates are filled with (build_world; a
    sign_in world has only the clients)."""

    clients: dict[str, FlaskClient]
    csrf: dict[str, str]
    org: Org
    values: dict[str, str] = field(default_factory=dict)
    flow: Flow | None = None
    partner_key: str = ""

    @property
    def flow_description(self) -> str:
        """Case A's description: text only GL-SCJG's handler (and the case roles above it) may read."""
        return complaint_body()["description"]

    def request(self, role: str, method: str, url: str, body: Any = None) -> TestResponse:
        """One request as `role`: bearer token on /api/v1, session cookie and CSRF token on pages,
        the api_key for the Open311 partner."""
        client = self.clients[role]
        headers: dict[str, str] = {}
        kwargs: dict[str, Any] = {}
        if url.startswith("/api/v1/"):
            if role in self.org.tokens:
                headers = self.org.auth(role)
            if body is not None:
                kwargs["json"] = body
        elif url.startswith("/open311/"):
            form = dict(body or {})
            if role == "partner":
                form["api_key"] = self.partner_key
            if method == "GET":
                kwargs["query_string"] = form
            else:
                kwargs["data"] = form
        elif method != "GET":
            kwargs["data"] = {**(body or {}), "csrf_token": self.csrf[role]}
        # Its own app context, as in production: `g` (where Flask-WTF caches the CSRF token) and the
        # database session are per request, not shared with the test's context or other roles.
        with client.application.app_context():
            return client.open(url, method=method, headers=headers, **kwargs)


def roles_for(url: str, roles: tuple[str, ...] = ROLES) -> tuple[str, ...]:
    """The roles worth probing `url` with: the partner's api_key counts only on Open311, elsewhere the
    partner is just another anonymous caller."""
    return roles if url.startswith("/open311/") else tuple(r for r in roles if r != "partner")


def _csrf_token(client: FlaskClient) -> str:
    with client.application.app_context():
        return CSRF_RE.search(client.get("/staff/login").get_data(as_text=True)).group(1)


def role_clients(app: Flask) -> tuple[dict[str, FlaskClient], dict[str, str]]:
    """A test client per role, staff signed in through the real login form (CSRF on)."""
    clients, tokens = {}, {}
    for role in ROLES:
        client = app.test_client()
        tokens[role] = _csrf_token(client)
        if role in STAFF_ROLES:
            with app.app_context():
                response = client.post(
                    "/staff/login", data={"username": role, "password": PASSWORD, "csrf_token": tokens[role]}
                )
            assert response.status_code == 302, (role, response.status_code)
            # Signing in starts a fresh session with a new CSRF secret: take the form token again.
            tokens[role] = _csrf_token(client)
        clients[role] = client
    return clients, tokens


def sign_in(app: Flask, org: Org) -> World:
    """Just the signed-in clients, for tests that bring their own cases."""
    clients, csrf = role_clients(app)
    return World(clients, csrf, org)


def build_world(app: Flask, client: FlaskClient, org: Org) -> World:
    """Case A in GL-SCJG (being handled), the shipped surveys, a scratch survey, an invitation, an import,
    the default indicators and two Open311 keys (one to revoke)."""
    flow = Flow(client, org).to_in_progress()
    definitions.seed_templates()
    scratch = definitions.load_template("government-work")
    definitions.create_survey(SCRATCH_SURVEY, scratch, None)
    definitions.publish_draft(SCRATCH_SURVEY)
    survey, _ = definitions.get_public_survey("hotline-callback")
    _, invitation_token = invitations.new_invitation(survey, utcnow() + timedelta(days=7), channel="sms")
    db.session.commit()
    upload = importing.create_import(
        "hotline-callback",
        "answers.csv",
        b"rating\n5\n",
        {"rating": "satisfaction"},
        dry_run=True,
        skip_bad_rows=False,
        staff=None,
    )
    # One answer each: the analytics must cope with a sample of one (suppressed, not an error).
    for slug, answers in ONE_ANSWER.items():
        answered = client.post(f"/api/v1/surveys/{slug}/responses", json={"answers": answers})
        assert answered.status_code == 201, answered.json
    indicator_code = next(iter(seed_default_indicators()))
    _, partner_key = create_api_key("authz partner")
    revocable, _ = create_api_key("authz revocable")
    record = post_request(request_form(), find_active_key(partner_key))
    clients, csrf = role_clients(app)
    values = {
        "case": flow.code,
        "slug": "hotline-callback",
        "scratch": SCRATCH_SURVEY,
        "token": invitation_token,
        "import_id": str(upload.id),
        "indicator": indicator_code,
        "key_id": str(revocable.id),
        "o311_request": record.case.tracking_code,
        "o311_token": record.token,
        "service": "P01",
        "user": "operator",
        "access_key": flow.key,
        "period": "from=2026-01-01&to=2027-01-01",
    }
    return World(clients, csrf, org, values, flow, partner_key)


def response_text(response: TestResponse) -> str:
    """Everything a reader of the response sees as text: the body, or every part of an XLSX file."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")
