"""With ANALYTICS_DATABASE_URL set, the analytics API reads from that database (a read replica)."""

from __future__ import annotations

from sqlalchemy import event

from core.app import create_app
from core.db import db
from tests.analytics_api.test_kpis import PERIOD, build_histories


def test_analytics_reads_go_to_the_replica_and_other_areas_stay_on_the_primary(app, client, org):
    build_histories(client, org)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # The "replica" is the same database through its own engine, so what each is asked can be told apart.
    replica_app = create_app({**app.config, "SQLALCHEMY_BINDS": {"analytics": url}})
    seen: dict[str, list[str]] = {"primary": [], "replica": []}
    with replica_app.app_context():
        engines = {"primary": db.engines[None], "replica": db.engines["analytics"]}
    for name, engine in engines.items():
        event.listen(
            engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *args, name=name: seen[name].append(statement),
        )
    replica_client = replica_app.test_client()
    try:
        response = replica_client.get(
            f"/api/v1/analytics/complaints/kpis?{PERIOD}", headers=org.auth("analyst")
        )
        assert response.status_code == 200
        assert response.json["groups"][0]["kpis"]["acceptance_rate"]["n"] == 5
        assert any("FROM cases" in s for s in seen["replica"])
        assert not any("FROM cases" in s for s in seen["primary"]), seen["primary"]
        # Other areas keep reading the primary.
        seen["replica"].clear()
        response = replica_client.get("/api/v1/cases", headers=org.auth("supervisor"))
        assert response.status_code == 200 and response.json["items"]
        assert not any("FROM cases" in s for s in seen["replica"])
        assert any("FROM cases" in s for s in seen["primary"])
    finally:
        for engine in engines.values():
            engine.dispose()
        # The extension object is shared by every app of the test session: forget the replica's bind.
        db.metadatas.pop("analytics", None)
