"""The API as a whole: OpenAPI document, one error body, ops probes, seed and demo commands."""

from sqlalchemy import func, select

from complaints.models import Case, Category
from complaints.services.audit import verify_audit_chain
from core.db import db, utcnow
from core.regions import Region
from core.scheduler.heartbeat import beat


def test_openapi_document_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path in (
        "/api/v1/complaints",
        "/api/v1/complaints/{tracking_code}",
        "/api/v1/complaints/{tracking_code}/rating",
        "/api/v1/categories",
        "/api/v1/regions",
        "/api/v1/auth/tokens",
        "/api/v1/cases",
        "/api/v1/cases/{tracking_code}",
        "/api/v1/cases/{tracking_code}/events",
        "/api/v1/departments",
        "/api/v1/users",
        "/api/v1/routing-rules",
        "/api/v1/policies",
        "/api/v1/calendar/overrides",
    ):
        assert path in paths, path
    for action in (
        "accept",
        "reject",
        "transfer",
        "merge",
        "assign",
        "sign",
        "return",
        "extend",
        "approve_extension",
        "urge",
        "reply",
        "feedback",
        "close",
        "reopen",
    ):
        operation = paths[f"/api/v1/cases/{{tracking_code}}/actions/{action}"]["post"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert "requestBody" in operation
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    reject = spec["components"]["schemas"]["RejectIn"]
    assert set(reject["required"]) == {"reason", "reason_code"}


def test_unknown_route_and_method_use_the_error_body(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and set(missing.json) == {"code", "status", "message", "errors"}
    wrong_method = client.delete("/api/v1/categories")
    assert wrong_method.status_code == 405 and wrong_method.json["code"] == 405


def test_oversized_body_is_refused(client):
    response = client.post(
        "/api/v1/complaints", data=b"x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413 and response.json["code"] == 413


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    beat("test-scheduler", utcnow())  # a live scheduler is part of readiness (tests/core/test_ops.py)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["migrations"] == "ok"


def test_seed_is_idempotent(ctx):
    runner = ctx.test_cli_runner()
    before = db.session.scalar(select(func.count()).select_from(Category))
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "0 regions, 0 categories, 0 policies" in result.output
    assert db.session.scalar(select(func.count()).select_from(Category)) == before
    assert db.session.get(Region, "350102").name == "鼓楼区"


def test_demo_fills_every_state_with_valid_audit_chains(ctx):
    runner = ctx.test_cli_runner()
    result = runner.invoke(args=["demo", "--cases", "120"])
    assert result.exit_code == 0, result.output
    assert "qualityline-demo1" in result.output and "h_gl_scjg" in result.output
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert {"registered", "accepted", "assigned", "in_progress", "replied", "closed", "rejected"} <= statuses
    checked, problems = verify_audit_chain()
    assert checked == db.session.scalar(select(func.count()).select_from(Case)) and problems == []
    again = runner.invoke(args=["demo", "--if-empty"])
    assert "already has cases" in again.output
