"""Rate limits of the anonymous endpoints and the sign-in: tracking lookups (per tracking code and per
client, failures only), intake (web form and JSON API on one budget) and failed sign-ins per address.

The limiter is one object shared by every app in the process and is off in the session app; this module
runs one throwaway app with it on (a SQLite file of its own) and switches it back off afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from complaints.services.catalogue import seed_catalogues
from complaints.services.intake import TRACKING_ALPHABET
from core.app import create_app
from core.auth.services import create_user
from core.db import db
from core.web.extensions import limiter
from tests.conftest import PASSWORD, complaint_body

ERROR_BODY = {"code", "status", "message", "errors"}
LIMITS = {
    "TRACKING_RATE_LIMIT": "3 per hour",
    "TRACKING_CLIENT_RATE_LIMIT": "5 per hour",
    "INTAKE_RATE_LIMIT": "3 per minute",
    "LOGIN_RATE_LIMIT": "3 per minute",
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    enabled = limiter.enabled
    try:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('rl') / 'rl.sqlite3'}",
                "SECRET_KEY": "test-secret",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "RATELIMIT_ENABLED": True,
                "WTF_CSRF_ENABLED": False,  # the web forms' CSRF is tested in test_sessions.py
                **LIMITS,
            }
        )
        with app.app_context():
            db.create_all(bind_key=None)  # a throwaway database for this app only (no replica bind)
            seed_catalogues()
            create_user("clerk", "operator", PASSWORD)
        yield app
    finally:
        limiter.enabled = enabled  # the limiter object is shared by every app in this process


@pytest.fixture()
def fresh(limited: Flask) -> Flask:
    """The limited app with every counter at zero."""
    limiter.reset()
    return limited


def client_at(app: Flask, address: str) -> FlaskClient:
    """A client whose requests come from `address` (the limiter keys on the client address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def submit(client: FlaskClient) -> tuple[str, str]:
    created = client.post("/api/v1/complaints", json=complaint_body()).json
    return created["tracking_code"], created["access_key"]


def wrong_key(key: str, n: int) -> str:
    """A well-formed key that is not `key`."""
    return "".join(TRACKING_ALPHABET[(TRACKING_ALPHABET.index(c) + n) % 32] for c in key)


def track(client: FlaskClient, code: str, key: str):
    return client.get(f"/api/v1/complaints/{code}", headers={"X-Access-Key": key})


def test_the_access_key_has_80_random_bits(fresh):
    citizen = client_at(fresh, "198.51.100.1")
    keys = {submit(citizen)[1] for _ in range(2)}
    assert all(len(k) == 16 and set(k) <= set(TRACKING_ALPHABET) for k in keys) and len(keys) == 2
    assert len(TRACKING_ALPHABET) == 32  # 16 characters x 5 bits


def test_wrong_keys_for_one_code_lock_its_lookups_even_with_the_right_key(fresh):
    code, key = submit(client_at(fresh, "198.51.100.1"))
    other_code, other_key = submit(client_at(fresh, "198.51.100.1"))
    citizen = client_at(fresh, "198.51.100.2")
    for _ in range(5):  # right keys never count
        assert track(citizen, code, key).status_code == 200
    for n in range(3):  # three guessers at three addresses: the budget is the code's, not the address's
        assert track(client_at(fresh, f"203.0.113.{n}"), code, wrong_key(key, n + 1)).status_code == 404
    refused = track(citizen, code, key)
    assert refused.status_code == 429 and set(refused.json) == ERROR_BODY and refused.json["code"] == 429
    assert refused.json["status"] == "Too Many Requests"
    rating = citizen.post(
        f"/api/v1/complaints/{code}/rating",
        json={"rating": 5, "resolved": True},
        headers={"X-Access-Key": key},
    )
    assert rating.status_code == 429  # rating shares the budget
    web = citizen.post("/track", data={"tracking_code": code.lower(), "access_key": key})
    assert web.status_code == 429 and "请求过于频繁" in web.get_data(as_text=True)  # so does the web page
    assert track(citizen, other_code, other_key).status_code == 200  # other cases are not affected


def test_wrong_keys_from_one_client_lock_its_lookups_of_every_code(fresh):
    owner = client_at(fresh, "198.51.100.1")
    cases = [submit(owner) for _ in range(3)]
    guesser = client_at(fresh, "203.0.113.50")
    for n in range(5):  # two wrong keys for each of the first cases: under the per-code limit of 3
        code, key = cases[n % 2]
        assert track(guesser, code, wrong_key(key, n + 1)).status_code == 404
    code, key = cases[2]
    refused = guesser.post("/track", data={"tracking_code": code, "access_key": key})
    assert refused.status_code == 429  # the sixth failure never happens: any lookup from there is refused
    assert set(track(guesser, code, key).json) == ERROR_BODY
    assert track(owner, code, key).status_code == 200  # the owner, elsewhere, still gets in


def test_web_tracking_failures_count_too(fresh):
    code, key = submit(client_at(fresh, "198.51.100.1"))
    guesser = client_at(fresh, "203.0.113.60")
    statuses = [
        guesser.post("/track", data={"tracking_code": code, "access_key": wrong_key(key, n + 1)}).status_code
        for n in range(4)
    ]
    assert statuses == [404, 404, 404, 429]
    assert guesser.post("/track", data={"tracking_code": code, "access_key": ""}).status_code == 429


def test_intake_api_and_web_form_share_one_budget_per_address(fresh):
    citizen = client_at(fresh, "198.51.100.7")
    assert citizen.post("/api/v1/complaints", json=complaint_body()).status_code == 201
    assert citizen.post("/api/v1/complaints", json={"kind": "complaint"}).status_code == 422  # counts too
    assert citizen.post("/submit/complaint", data={}).status_code == 422
    refused = citizen.post("/api/v1/complaints", json=complaint_body())
    assert refused.status_code == 429 and set(refused.json) == ERROR_BODY
    assert citizen.post("/submit/complaint", data={}).status_code == 429
    assert (
        client_at(fresh, "198.51.100.8").post("/api/v1/complaints", json=complaint_body()).status_code == 201
    )


def test_failed_sign_ins_are_limited_per_address_and_successes_are_not(fresh):
    office = client_at(fresh, "192.0.2.10")
    for _ in range(5):
        assert (
            office.post("/api/v1/auth/tokens", json={"username": "clerk", "password": PASSWORD}).status_code
            == 201
        )
    # Unknown names, so the per-account lockout plays no part: this is the per-address budget.
    assert office.post("/staff/login", data={"username": "ghost-1", "password": "x"}).status_code == 401
    for name in ("ghost-2", "ghost-3"):
        assert office.post("/api/v1/auth/tokens", json={"username": name, "password": "x"}).status_code == 401
    refused = office.post("/api/v1/auth/tokens", json={"username": "clerk", "password": PASSWORD})
    assert refused.status_code == 429 and set(refused.json) == ERROR_BODY
    assert office.post("/staff/login", data={"username": "clerk", "password": PASSWORD}).status_code == 429
    other = client_at(fresh, "192.0.2.11")
    assert (
        other.post("/api/v1/auth/tokens", json={"username": "clerk", "password": PASSWORD}).status_code == 201
    )
