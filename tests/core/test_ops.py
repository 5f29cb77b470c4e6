"""/healthz, /readyz and /metrics tell the truth: database, migrations, scheduler heartbeat, and the
Prometheus text an operator scrapes; ProxyFix trusts exactly the configured proxies."""

import socket
import threading
from contextlib import suppress
from datetime import timedelta

import pytest
from flask import jsonify, request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.app import create_app
from core.clock import travel_to
from core.db import db, utcnow
from core.scheduler import job_run
from core.scheduler.heartbeat import beat
from tests.complaints.test_lifecycle_api import Flow


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_readyz_wants_a_recent_scheduler_heartbeat(app, client, monkeypatch):
    missing = client.get("/readyz")
    assert missing.status_code == 503 and "no heartbeat" in missing.json["checks"]["scheduler"]
    beat("vm:123", utcnow() - timedelta(minutes=10), now=utcnow() - timedelta(seconds=300))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json["checks"]["scheduler"].startswith("heartbeat 300 s old")
    assert stale.json["scheduler"]["holder"] == "vm:123"
    beat("vm:123", utcnow() - timedelta(minutes=10))
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready"
    assert ready.json["checks"] == {"database": "ok", "migrations": "ok", "scheduler": "ok"}
    monkeypatch.setitem(app.config, "READYZ_HEARTBEAT_MAX_AGE", 0)  # a deployment without a scheduler check
    with travel_to(utcnow() + timedelta(hours=1)):
        assert client.get("/readyz").status_code == 200


def test_readyz_fails_when_migrations_are_behind(client):
    beat("vm:123", utcnow())
    head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        behind = client.get("/readyz")
        assert (
            behind.status_code == 503 and behind.json["checks"]["migrations"] == f"at 0001, newest is {head}"
        )
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/qualityline",
        "sqlite:////nonexistent-dir/qualityline.sqlite3",
    ],
)
def test_readyz_fails_and_metrics_say_so_when_the_database_is_unreachable(url):
    down = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}})
    client = down.test_client()
    assert client.get("/healthz").status_code == 200  # the process itself is fine
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"] == {"database": "unreachable"}
    with down.app_context():
        assert value(samples(client), "qualityline_database_up") == 0
        db.engine.dispose()


class TcpProxy:
    """127.0.0.1:<port> -> the database. down() cuts every connection and hangs up on new ones, as a
    database outage would; up() lets connections through again."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.is_up = target, True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            s.close()

    def down(self) -> None:
        self.is_up = False
        for s in self.sockets:
            with suppress(OSError):  # already closed by the other side
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets.clear()

    def up(self) -> None:
        self.is_up = True

    def close(self) -> None:
        self.down()
        self.listener.close()


def test_readyz_follows_a_postgresql_outage_and_recovery(app, ctx):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a network outage needs a database server")
    beat("vm:123", utcnow())
    proxy = TcpProxy((url.host, url.port or 5432))
    through = url.set(port=proxy.port).render_as_string(hide_password=False)
    probed = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": through})
    client = probed.test_client()
    try:
        assert client.get("/readyz").status_code == 200
        proxy.down()
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json["checks"] == {"database": "unreachable"}
        assert value(samples(client), "qualityline_database_up") == 0
        proxy.up()
        assert client.get("/readyz").status_code == 200  # pool_pre_ping replaces the dead connections
    finally:
        with probed.app_context():
            db.engine.dispose()
        proxy.close()


def test_metrics_report_requests_cases_outbox_and_jobs(ctx, client, org):
    before = samples(client)
    with travel_to(utcnow() - timedelta(days=30)):
        Flow(client, org)  # registered 30 days ago: overdue
    Flow(client, org).act("accept", "dispatcher")
    assert client.get("/api/v1/cases/QL-NOPE", headers=org.auth("dispatcher")).status_code == 404
    with job_run("complaints.sla_scan"):
        pass
    with pytest.raises(RuntimeError), job_run("complaints.outbox_delivery"):
        raise RuntimeError("smtp down")
    beat("vm:42", utcnow())

    after = samples(client)
    submitted = {"endpoint": "public.submit_complaint", "method": "POST", "status": "201"}
    assert (
        value(after, "qualityline_http_requests_total", **submitted)
        - value(before, "qualityline_http_requests_total", **submitted)
        == 2
    )
    latency = {"endpoint": "public.submit_complaint", "method": "POST"}
    assert value(after, "qualityline_http_request_duration_seconds_count", **latency) >= 2
    assert value(after, "qualityline_http_request_duration_seconds_bucket", le="+Inf", **latency) >= 2
    assert (
        value(after, "qualityline_http_requests_total", endpoint="cases.get_case", method="GET", status="404")
        >= 1
    )
    assert value(after, "qualityline_cases_open", status="registered") == 1
    assert value(after, "qualityline_cases_open", status="accepted") == 1
    assert value(after, "qualityline_cases_overdue", status="registered") == 1
    assert value(after, "qualityline_cases_overdue", status="accepted") == 0
    assert value(after, "qualityline_outbox_backlog", channel="sms") == 3  # two receipts, one acceptance
    assert value(after, "qualityline_outbox_failed", channel="sms") == 0
    assert value(after, "qualityline_outbox_oldest_age_seconds") > 29 * 86400
    assert value(after, "qualityline_job_runs_total", job="complaints.sla_scan") == 1
    assert value(after, "qualityline_job_failures_total", job="complaints.outbox_delivery") == 1
    assert value(after, "qualityline_job_failures_total", job="complaints.sla_scan") == 0
    assert 0 <= value(after, "qualityline_scheduler_heartbeat_age_seconds") < 60
    assert value(after, "qualityline_database_up") == 1


def test_proxy_fix_trusts_only_the_configured_proxy(app):
    headers = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "12345.gov.cn",
    }
    seen = {}
    for hops in (0, 1):
        proxied = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "PROXY_HOPS": hops,
            }
        )
        proxied.add_url_rule(
            "/_whoami",
            "whoami",
            lambda: jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host),
        )
        seen[hops] = proxied.test_client().get("/_whoami", headers=headers).json
    assert seen[0] == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}
    assert seen[1] == {"addr": "203.0.113.9", "scheme": "https", "host": "12345.gov.cn"}
