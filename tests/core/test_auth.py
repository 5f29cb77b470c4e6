"""Staff accounts, tokens, departments and the users CLI."""

from datetime import timedelta

from sqlalchemy import select

from core.auth.models import ApiToken, User
from core.clock import travel_to, utcnow
from core.db import db
from tests.conftest import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password})


def test_token_issue_use_and_revoke(client, org):
    response = login(client, "dispatcher")
    assert response.status_code == 201
    token = response.json["token"]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)  # only SHA-256 kept
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/departments", headers=auth).status_code == 200
    assert client.delete("/api/v1/auth/tokens/current", headers=auth).status_code == 204
    assert client.get("/api/v1/departments", headers=auth).status_code == 401


def test_token_expires(client, org):
    token = login(client, "dispatcher").json["token"]
    with travel_to(utcnow() + timedelta(days=366)):
        assert (
            client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        )


def test_wrong_credentials_look_the_same(client, org):
    wrong_password = login(client, "dispatcher", "nope-nope-1")
    unknown_user = login(client, "nobody", "nope-nope-1")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json == unknown_user.json
    assert login(client, "dispatcher", "").status_code == 422


def test_password_is_hashed(ctx, org):
    user = db.session.scalar(select(User).where(User.username == "admin"))
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


def test_deactivated_user_loses_access(client, org):
    token = login(client, "operator").json["token"]
    response = client.patch("/api/v1/users/operator", json={"is_active": False}, headers=org.auth("admin"))
    assert response.status_code == 200 and response.json["is_active"] is False
    assert client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client, "operator").status_code == 401


def test_admin_manages_users_and_departments(client, org):
    admin = org.auth("admin")
    created = client.post(
        "/api/v1/departments",
        json={"code": "CS-SCJG", "name": "仓山区市场监督管理局", "region_code": "350104"},
        headers=admin,
    )
    assert created.status_code == 201
    assert client.post(
        "/api/v1/departments", json={"code": "X", "name": "X", "region_code": "999999"}, headers=admin
    ).json["errors"] == {"region_code": ["unknown GB/T 2260 region code"]}
    assert (
        client.post(
            "/api/v1/departments",
            json={"code": "CS-SCJG", "name": "dup", "region_code": "350104"},
            headers=admin,
        ).status_code
        == 409
    )
    user = {"username": "h2", "role": "handler", "department_code": "CS-SCJG", "password": "another-pass-2"}
    assert client.post("/api/v1/users", json=user, headers=admin).status_code == 201
    no_dept = client.post(
        "/api/v1/users", json={**user, "username": "h3", "department_code": None}, headers=admin
    )
    assert no_dept.status_code == 422 and "department_code" in no_dept.json["errors"]
    weak = client.post("/api/v1/users", json={**user, "username": "h4", "password": "short"}, headers=admin)
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    assert (
        client.post(
            "/api/v1/users", json={**user, "username": "h5", "role": "king"}, headers=admin
        ).status_code
        == 422
    )
    listed = client.get("/api/v1/users", headers=admin).json
    assert any(
        u["username"] == "h2" and u["role"] == "handler" and u["department_code"] == "CS-SCJG" for u in listed
    )
    assert all("password" not in u and "password_hash" not in u for u in listed)
    reset = client.post("/api/v1/users/h2/password", json={"password": "third-pass-3"}, headers=admin)
    assert reset.status_code == 204 and login(client, "h2", "third-pass-3").status_code == 201


def test_admin_routes_refuse_other_roles(client, org):
    for user in ("operator", "dispatcher", "handler", "supervisor", "analyst"):
        assert client.get("/api/v1/users", headers=org.auth(user)).status_code == 403
        assert (
            client.post(
                "/api/v1/departments",
                json={"code": "Z", "name": "Z", "region_code": "350102"},
                headers=org.auth(user),
            ).status_code
            == 403
        )
    assert client.get("/api/v1/departments", headers=org.auth("analyst")).status_code == 200


def test_users_cli(ctx, org):
    runner = ctx.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "clerk", "--role", "operator", "--password", "filing-desk7"]
    )
    assert result.exit_code == 0 and "created clerk (operator)" in result.output
    dup = runner.invoke(args=["users", "create", "clerk", "--role", "operator", "--password", "filing-desk7"])
    assert dup.exit_code != 0 and "exists" in dup.output
    handler = runner.invoke(args=["users", "create", "h9", "--role", "handler", "--password", "filing-desk7"])
    assert handler.exit_code != 0 and "department" in handler.output
    reset = runner.invoke(args=["users", "reset-password", "clerk", "--password", "new-desk-pass-22"])
    assert reset.exit_code == 0
    user = db.session.scalar(select(User).where(User.username == "clerk"))
    db.session.refresh(user)
    assert user.check_password("new-desk-pass-22") and not user.check_password("filing-desk7")
    missing = runner.invoke(args=["users", "reset-password", "ghost", "--password", "new-desk-pass-22"])
    assert missing.exit_code != 0
