"""Staff sign-in and sessions: cookie flags, CSRF on staff forms, login lockout, the password policy, token
expiry and revocation, and the end of web sessions (idle, maximum age, new password, deactivation)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from complaints.models import Case
from core.auth.models import User
from core.auth.passwords import COMMON_PASSWORDS, check_password_policy
from core.auth.services import _dummy_hash
from core.clock import travel_to, utcnow
from core.config import load_settings
from core.db import db
from core.errors import InvalidInput
from tests.complaints.test_lifecycle_api import Flow
from tests.conftest import PASSWORD, web_login
from tests.conftest import form_csrf_token as form_token

ROOT = Path(__file__).resolve().parents[2]
ERROR_BODY = {"code", "status", "message", "errors"}


def api_login(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password})


def signed_in(client) -> bool:
    # In an app context of its own, as every production request is: requests made inside the test's
    # context would share its g, where Flask-Login caches the user of the first request.
    with client.application.app_context():
        return client.get("/staff/").status_code == 200


# --- cookies and CSRF -------------------------------------------------------------------------------


def test_session_cookie_is_httponly_lax_and_secure_when_configured(client, org, app, monkeypatch):
    cookie = web_login(client, "dispatcher").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    client.get("/lang/en")  # sets the language cookie: Secure too
    assert all("Secure" in c for c in client.get("/lang/zh_CN").headers.getlist("Set-Cookie"))
    assert "Secure" in web_login(client, "dispatcher").headers["Set-Cookie"]


def test_production_settings_mark_cookies_secure(monkeypatch, tmp_path):
    example = (ROOT / "deploy/env.example").read_text(encoding="utf-8")
    assert re.search(r"^QUALITYLINE_SESSION_COOKIE_SECURE=true$", example, flags=re.MULTILINE)
    monkeypatch.setenv("QUALITYLINE_SESSION_COOKIE_SECURE", "true")
    config = load_settings(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.delenv("QUALITYLINE_SESSION_COOKIE_SECURE")
    assert load_settings(str(tmp_path))["SESSION_COOKIE_SECURE"] is False  # development default


def test_staff_forms_without_the_csrf_token_are_refused_and_change_nothing(client, org):
    flow = Flow(client, org)
    refused = client.post("/staff/login", data={"username": "dispatcher", "password": PASSWORD})
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True)
    assert not signed_in(client)

    web_login(client, "dispatcher")
    accept = client.post(f"/staff/cases/{flow.code}/actions/accept", data={})
    assert accept.status_code == 400 and "表单已过期，请返回并刷新页面后重新提交。" in accept.get_data(
        as_text=True
    )
    forged = client.post(f"/staff/cases/{flow.code}/actions/accept", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert db.session.scalar(select(Case.status).where(Case.tracking_code == flow.code)) == "registered"
    assert client.post("/staff/logout", data={}).status_code == 400 and signed_in(client)

    token = form_token(client, f"/staff/cases/{flow.code}")  # the same form with its token goes through
    accepted = client.post(f"/staff/cases/{flow.code}/actions/accept", data={"csrf_token": token})
    assert accepted.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.scalar(select(Case.status).where(Case.tracking_code == flow.code)) == "accepted"


def test_signing_in_starts_a_fresh_session(client, org):
    before = form_token(client, "/staff/login")
    web_login(client, "dispatcher")
    with client.session_transaction() as session:
        assert session.get("csrf_token") is None  # the pre-login CSRF secret is gone
    after = form_token(client, "/staff/")
    assert after != before


# --- lockout ----------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_on_web_and_api(client, org, caplog):
    caplog.set_level(logging.WARNING, logger="qualityline.security")
    for _ in range(3):
        assert api_login(client, "dispatcher", "wrong-password-1").status_code == 401
    assert web_login(client, "dispatcher", "wrong-password-1").status_code == 401
    assert api_login(client, "dispatcher", "wrong-password-1").status_code == 401  # the fifth: locked
    user = db.session.scalar(select(User).where(User.username == "dispatcher"))
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow() + timedelta(minutes=14)
    assert "account locked: user='dispatcher'" in caplog.text

    right_but_locked = api_login(client, "dispatcher")
    assert right_but_locked.status_code == 401 and set(right_but_locked.json) == ERROR_BODY
    web = web_login(client, "dispatcher")
    assert web.status_code == 401 and "账号将被锁定 15 分钟" in web.get_data(as_text=True)
    assert not signed_in(client)
    assert "login refused: user='dispatcher' is locked" in caplog.text
    api_login(client, "supervisor", "wrong-password-1")  # other accounts are not affected
    assert api_login(client, "supervisor").status_code == 201

    with travel_to(utcnow() + timedelta(minutes=16)):  # the lock runs out by itself
        assert api_login(client, "dispatcher").status_code == 201


def test_failures_spread_beyond_the_window_do_not_lock(client, org):
    start = utcnow()
    for minutes in (0, 1, 2, 3, 17, 18, 19, 20):  # four, then four more after the 15-minute window
        with travel_to(start + timedelta(minutes=minutes)):
            assert api_login(client, "operator", "wrong-password-1").status_code == 401
    with travel_to(start + timedelta(minutes=21)):
        assert api_login(client, "operator").status_code == 201
        for _ in range(4):  # a success forgets earlier failures
            api_login(client, "operator", "wrong-password-1")
        assert api_login(client, "operator").status_code == 201


def test_unknown_wrong_locked_and_inactive_look_the_same(client, org):
    for _ in range(5):
        api_login(client, "dispatcher", "wrong-password-1")
    client.patch("/api/v1/users/operator", json={"is_active": False}, headers=org.auth("admin"))
    answers = [
        api_login(client, "nobody-at-all", "wrong-password-1"),
        api_login(client, "supervisor", "wrong-password-1"),
        api_login(client, "dispatcher"),  # right password, locked account
        api_login(client, "operator"),  # right password, inactive account
    ]
    assert {a.status_code for a in answers} == {401}
    assert all(a.json == answers[0].json for a in answers)
    assert all(a.headers["WWW-Authenticate"] == answers[0].headers["WWW-Authenticate"] for a in answers)
    pages = [web_login(client, name).get_data(as_text=True) for name in ("nobody-at-all", "dispatcher")]
    error = [re.search(r'id="login-error">([^<]+)<', page).group(1) for page in pages]
    assert error[0] == error[1]


def test_unknown_usernames_are_checked_against_a_hash_of_the_configured_method(app):
    # So a miss costs what a wrong password costs: the same hash function with the same work factor.
    method = app.config["PASSWORD_HASH_METHOD"]
    assert _dummy_hash(method).startswith(method + "$")
    assert _dummy_hash("scrypt").startswith("scrypt:")


def test_an_admin_unlocks_through_the_api_the_cli_or_a_new_password(client, org, caplog):
    caplog.set_level(logging.WARNING, logger="qualityline.security")
    for _ in range(5):
        api_login(client, "handler", "wrong-password-1")
    listed = {u["username"]: u for u in client.get("/api/v1/users", headers=org.auth("admin")).json}
    assert listed["handler"]["locked_until"] is not None and listed["supervisor"]["locked_until"] is None
    assert client.post("/api/v1/users/handler/unlock", headers=org.auth("supervisor")).status_code == 403
    unlocked = client.post("/api/v1/users/handler/unlock", headers=org.auth("admin"))
    assert unlocked.status_code == 200 and unlocked.json["locked_until"] is None
    assert "account unlocked: user='handler' by=admin" in caplog.text
    assert api_login(client, "handler").status_code == 201

    for _ in range(5):
        api_login(client, "handler", "wrong-password-1")
    assert api_login(client, "handler").status_code == 401
    result = client.application.test_cli_runner().invoke(args=["users", "unlock", "handler"])
    assert result.exit_code == 0 and "handler unlocked" in result.output
    assert api_login(client, "handler").status_code == 201
    missing = client.application.test_cli_runner().invoke(args=["users", "unlock", "ghost"])
    assert missing.exit_code != 0
    assert client.post("/api/v1/users/ghost/unlock", headers=org.auth("admin")).status_code == 404

    for _ in range(5):  # a new password lifts a lock too
        api_login(client, "analyst", "wrong-password-1")
    reset = client.post(
        "/api/v1/users/analyst/password", json={"password": "fresh-start-2026"}, headers=org.auth("admin")
    )
    assert reset.status_code == 204 and api_login(client, "analyst", "fresh-start-2026").status_code == 201


# --- password policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pw-1", "must be at least 12 characters"),
        ("only-letters-here", "must contain letters and digits"),
        ("123456789012", "must contain letters and digits"),
        ("aaaaaaaaaaa1", "must use at least 5 different characters"),
        ("ab12ab12ab12", "must use at least 5 different characters"),
        ("my-zhangwei-2026", "must not contain the username"),
        ("ZhangWei-2026-x", "must not contain the username"),
        ("Password12345", "is one of the most common passwords"),
        ("1qaz2wsx3edc", "is one of the most common passwords"),
        ("woaini1314520", "is one of the most common passwords"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(InvalidInput) as refused:
        check_password_policy(password, "zhangwei")
    assert refused.value.errors == {"password": [reason]}


def test_good_passwords_pass_and_the_common_list_is_not_trivial():
    for password in ("secret-pass-1", "qualityline-demo1", "Tea at 4 with 12 cups", "黄河远上白云间2026年"):
        check_password_policy(password, "zhangwei")
    check_password_policy("al-1234567890", "al")  # a two-letter username is not looked for
    # Every listed password would pass the other rules: the list earns its place.
    assert all(len(p) >= 12 and any(c.isdigit() for c in p) for p in COMMON_PASSWORDS)


def test_the_policy_applies_to_the_api_and_the_cli(client, org):
    body = {"username": "wangfang", "role": "operator", "password": "wangfang-2026-x"}
    refused = client.post("/api/v1/users", json=body, headers=org.auth("admin"))
    assert refused.status_code == 422 and refused.json["errors"] == {
        "password": ["must not contain the username"]
    }
    assert db.session.scalar(select(User).where(User.username == "wangfang")) is None
    common = client.post(
        "/api/v1/users/operator/password", json={"password": "qwerty123456"}, headers=org.auth("admin")
    )
    assert common.status_code == 422 and "common" in common.json["errors"]["password"][0]
    runner = client.application.test_cli_runner()
    cli = runner.invoke(
        args=["users", "create", "lifang", "--role", "operator", "--password", "password1234"]
    )
    assert cli.exit_code != 0 and "common" in cli.output
    assert api_login(client, "operator").status_code == 201  # the refused reset changed nothing


# --- tokens ---------------------------------------------------------------------------------------------


def test_expired_revoked_reset_and_deactivated_tokens_get_401(client, org, app, monkeypatch):
    monkeypatch.setitem(app.config, "TOKEN_TTL_HOURS", 12)
    issued = api_login(client, "dispatcher").json
    auth = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/departments", headers=auth).status_code == 200
    with travel_to(utcnow() + timedelta(hours=11, minutes=59)):
        assert client.get("/api/v1/departments", headers=auth).status_code == 200
    with travel_to(utcnow() + timedelta(hours=12, minutes=1)):
        expired = client.get("/api/v1/departments", headers=auth)
        assert expired.status_code == 401 and set(expired.json) == ERROR_BODY

    revoked = {"Authorization": f"Bearer {api_login(client, 'dispatcher').json['token']}"}
    assert client.delete("/api/v1/auth/tokens/current", headers=revoked).status_code == 204
    assert client.get("/api/v1/departments", headers=revoked).status_code == 401

    reset = {"Authorization": f"Bearer {api_login(client, 'dispatcher').json['token']}"}
    client.post(
        "/api/v1/users/dispatcher/password", json={"password": "brand-new-pass-7"}, headers=org.auth("admin")
    )
    assert client.get("/api/v1/departments", headers=reset).status_code == 401

    deactivated = org.auth("operator")
    client.patch("/api/v1/users/operator", json={"is_active": False}, headers=org.auth("admin"))
    assert client.get("/api/v1/departments", headers=deactivated).status_code == 401
    client.patch("/api/v1/users/operator", json={"is_active": True}, headers=org.auth("admin"))
    assert client.get("/api/v1/departments", headers=deactivated).status_code == 401  # not revived


# --- web sessions ---------------------------------------------------------------------------------------


def test_an_idle_web_session_ends(client, org):
    start = utcnow()
    web_login(client, "dispatcher")
    for minutes in (20, 40, 60):  # activity every 20 minutes keeps it alive
        with travel_to(start + timedelta(minutes=minutes)):
            assert signed_in(client)
    with travel_to(start + timedelta(minutes=91)):  # 31 idle minutes
        response = client.get("/staff/")
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
        assert "登录已超时，请重新登录。" in client.get(response.headers["Location"]).get_data(as_text=True)
    with travel_to(start + timedelta(minutes=92)):
        assert not signed_in(client)  # gone for good, not just for one request


def test_a_web_session_ends_after_the_maximum_age_even_when_busy(client, org):
    start = utcnow()
    web_login(client, "dispatcher")
    for minutes in range(25, 12 * 60, 25):
        with travel_to(start + timedelta(minutes=minutes)):
            client.get("/staff/board")
    with travel_to(start + timedelta(hours=11, minutes=59)):
        assert signed_in(client)
    with travel_to(start + timedelta(hours=12, minutes=1)):
        assert not signed_in(client)


def test_a_new_password_or_deactivation_ends_web_sessions(client, org, app):
    web_login(client, "dispatcher")
    assert signed_in(client)
    client.application.test_cli_runner().invoke(
        args=["users", "reset-password", "dispatcher", "--password", "brand-new-pass-7"]
    )
    assert not signed_in(client)
    web_login(client, "dispatcher", "brand-new-pass-7")
    assert signed_in(client)

    other = app.test_client()
    web_login(other, "supervisor")
    assert signed_in(other)
    client.patch("/api/v1/users/supervisor", json={"is_active": False}, headers=org.auth("admin"))
    assert not signed_in(other)


def test_signing_out_ends_the_session_and_a_copied_cookie_dies_when_idle(client, org, app):
    web_login(client, "dispatcher")
    cookie = client.get_cookie("session").value
    token = form_token(client, "/staff/")
    client.post("/staff/logout", data={"csrf_token": token})
    assert not signed_in(client)
    # A copy of the cookie taken while signed in still works until it expires (cookies are the session);
    # the idle and maximum limits bound how long such a copy is good for.
    copy = app.test_client()
    copy.set_cookie("session", cookie)
    assert signed_in(copy)
    with travel_to(utcnow() + timedelta(minutes=31)):
        assert not signed_in(copy)
