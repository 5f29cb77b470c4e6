"""Outbox delivery: SMS through an HTTP gateway (a local stub server: the one mocked thing), e-mail to a real
local SMTP server (aiosmtpd), the in-app inbox, retry with backoff, and durability across a killed process."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from complaints.models import Case, Notification
from complaints.notifications.delivery import REDACTED, backoff, deliver_due
from complaints.notifications.inbox import list_inbox
from complaints.notifications.templates import (
    CITIZEN_TEMPLATES,
    LOCALES,
    STAFF_TEMPLATES,
    TEXTS,
    render_notice,
)
from complaints.services.notify import queue_notice, queue_staff_notice
from core.auth.models import User
from core.clock import travel_to
from core.db import db, utcnow
from tests.complaints.test_lifecycle_api import Flow
from tests.conftest import complaint_body

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")


class GatewayStub:
    """What the SMS gateway received; answers 200 unless told to fail for a recipient."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: dict[str, int] = {}

    def fail_for(self, recipient: str, status: int) -> None:
        self.failures[recipient] = status

    def texts_to(self, recipient: str) -> list[str]:
        return [r["json"]["text"] for r in self.requests if r["json"]["to"] == recipient]


@pytest.fixture()
def sms_gateway(app, monkeypatch) -> Iterator[GatewayStub]:
    stub = GatewayStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
            status = stub.failures.get(body["to"], 200)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", f"http://127.0.0.1:{server.server_port}/v1/sms")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_TOKEN", "gateway-token")
    yield stub
    server.shutdown()
    server.server_close()


class Mailbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp_server(app, monkeypatch) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", controller.port)
    yield mailbox
    controller.stop()


def notices(**where) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


SAMPLE_PARAMS = {
    "tracking_code": "QL-20261102-7K3F9QXM",
    "acceptance_due_at": "2026-11-11T23:59:59+08:00",
    "handling_due_at": "2026-11-05T15:59:59+00:00",
    "reason_code": 3,
    "reason_text": "不是为生活消费需要购买、使用商品或者接受服务",
    "reason": "经营性购买",
    "to": "福州市交通运输局",
    "outcome": "partly_resolved",
    "link": "https://12345.example.gov.cn/api/v1/complaints/QL-20261102-7K3F9QXM",
    "stage": "in_progress",
    "due_at": "2026-11-05T15:59:59+00:00",
    "after_wd": 2,
    "rating": 2,
}


@pytest.mark.parametrize("template", CITIZEN_TEMPLATES + STAFF_TEMPLATES)
def test_every_template_renders_in_chinese_and_english(template):
    for locale in LOCALES:
        rendered = render_notice(template, locale, SAMPLE_PARAMS, SHANGHAI)
        assert SAMPLE_PARAMS["tracking_code"] in rendered.subject + rendered.body
        # Staff free text (reason, authority name) stays as typed; everything else is in the locale.
        text = rendered.body.replace(SAMPLE_PARAMS["reason"], "").replace(SAMPLE_PARAMS["to"], "")
        assert bool(CJK.search(text)) == (locale == "zh-CN"), (template, locale, rendered.body)
        assert "{{" not in rendered.body and "None" not in rendered.body


def test_the_notices_the_rules_require_exist():
    required = {"accepted", "rejected", "transferred", "replied", "extended", "mediation_terminated"}
    assert required | {"callback_invitation"} <= set(CITIZEN_TEMPLATES) <= set(TEXTS)
    zh = render_notice("rejected", "zh-CN", SAMPLE_PARAMS, SHANGHAI).body
    assert "不予受理" in zh and SAMPLE_PARAMS["reason_text"] in zh and "经营性购买" in zh
    en = render_notice("accepted", "en", SAMPLE_PARAMS, SHANGHAI).body
    assert "5 November 2026" in en  # deadlines are shown as local dates
    assert "2026年11月5日" in render_notice("accepted", "fr", SAMPLE_PARAMS, SHANGHAI).body  # fallback zh-CN


def test_sms_goes_to_the_gateway_with_an_idempotency_key(client, org, sms_gateway):
    flow = Flow(client, org)
    assert deliver_due() == {"sent": 1}
    [notice] = notices(template="receipt")
    assert notice.status == "sent" and notice.attempts == 1 and notice.sent_at is not None
    [request] = sms_gateway.requests
    assert request["path"] == "/v1/sms" and request["json"]["to"] == "13800138000"
    assert request["json"]["text"].startswith("【QualityLine】您的诉求已登记，编号" + flow.code)
    assert request["headers"]["Idempotency-Key"] == f"qualityline-notice-{notice.id}" == request["json"]["id"]
    assert request["headers"]["Authorization"] == "Bearer gateway-token"
    assert deliver_due() == {}


def test_failed_sms_is_retried_with_backoff_then_given_up(app, client, org, sms_gateway, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    sms_gateway.fail_for("13800138000", 503)
    start = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    with travel_to(start):
        Flow(client, org)
        assert deliver_due() == {"pending": 1}
    [notice] = notices()
    assert notice.next_attempt_at == start + timedelta(seconds=60) and "503" in notice.last_error
    with travel_to(start + timedelta(seconds=59)):
        assert deliver_due() == {}
    with travel_to(start + timedelta(seconds=61)):
        assert deliver_due() == {"pending": 1}
    [notice] = notices()
    assert notice.attempts == 2 and notice.next_attempt_at == start + timedelta(seconds=61 + 120)
    with travel_to(start + timedelta(seconds=200)):
        assert deliver_due() == {"failed": 1}
    assert len(sms_gateway.requests) == 3
    assert backoff(1, 60) == timedelta(minutes=1) and backoff(20, 60) == timedelta(hours=6)


def test_a_refused_sms_fails_at_once(client, org, sms_gateway):
    sms_gateway.fail_for("13800138000", 400)
    Flow(client, org)
    assert deliver_due() == {"failed": 1}
    assert notices()[0].attempts == 1 and "400" in notices()[0].last_error


def test_email_reaches_a_real_smtp_server(app, client, org, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "NOTICE_LOCALE", "en")
    body = complaint_body(
        kind="inquiry", respondent={}, complainant={"name": "Ann", "email": "ann@example.com"}
    )
    created = client.post("/api/v1/complaints", json=body).json
    assert deliver_due() == {"sent": 1}
    [notice] = notices()
    [message] = smtp_server.messages
    assert notice.channel == "email" and notice.status == "sent"
    assert (
        message["To"] == "ann@example.com"
        and message["Subject"] == f"Request {created['tracking_code']} registered"
    )
    assert message["Message-ID"] == f"<notice-{notice.id}@qualityline.invalid>"
    assert "Your request has been registered" in message.get_content()


def test_smtp_server_down_means_retry(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    body = complaint_body(
        kind="inquiry", respondent={}, complainant={"name": "Ann", "email": "ann@example.com"}
    )
    client.post("/api/v1/complaints", json=body)
    assert deliver_due() == {"pending": 1}
    assert "SMTP unavailable" in notices()[0].last_error


def test_without_a_gateway_sms_is_only_logged(client, org):
    Flow(client, org)
    assert deliver_due() == {"logged": 1}
    assert notices()[0].status == "logged"


def test_in_app_notices_reach_the_right_inbox(client, org):
    flow = Flow(client, org)
    case = db.session.scalar(select(Case).where(Case.tracking_code == flow.code))
    queue_staff_notice(
        case, "sla_urge", "role:dispatcher", {"stage": "registered", "due_at": utcnow().isoformat()}
    )
    queue_staff_notice(
        case, "sla_urge", "department:TJ-SCJG", {"stage": "assigned", "due_at": utcnow().isoformat()}
    )
    db.session.commit()
    assert deliver_due() == {"sent": 2, "logged": 1}
    users = {u.username: u for u in db.session.scalars(select(User))}
    [dispatcher_notice] = list_inbox(users["dispatcher"])
    assert dispatcher_notice.template == "sla_urge" and dispatcher_notice.recipient == "role:dispatcher"
    assert [n.recipient for n in list_inbox(users["other_handler"])] == ["department:TJ-SCJG"]
    assert list_inbox(users["handler"]) == []


def test_every_notice_of_a_lifecycle_renders(client, org):
    flow = Flow(client, org).to_in_progress()
    flow.act("extend", "handler", {"days": 5, "reason": "需要检测"})
    flow.act("approve_extension", "supervisor")
    flow.act("reply", "handler", {"outcome": "resolved", "reply": "已退款", "loss_recovered": "299.00"})
    flow.act("reopen", "supervisor", {"reason": "复核"})
    Flow(client, org).act("reject", "dispatcher", {"reason_code": 5, "reason": "缺少信息"})
    Flow(client, org).act("transfer", "dispatcher", {"to": "福州市交通运输局", "reason": "职责"})
    result = deliver_due()
    assert set(result) == {"logged"}
    assert {"receipt", "accepted", "extended", "replied", "reopened", "rejected", "transferred"} == {
        n.template for n in notices()
    }


def run_python(code: str, app) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter against the test database."""
    env = {
        **os.environ,
        "QUALITYLINE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


KILLED_AFTER_COMMIT = """
import os, signal
from complaints.services import intake
from core.app import create_app
from tests.conftest import complaint_body
app = create_app({"SECRET_KEY": "test-secret"})
with app.app_context():
    result = intake.submit_complaint(complaint_body(complainant={"name": "王五", "mobile": "13700137000"}))
    print(result.case.tracking_code, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # dies between the commit and any delivery
"""

KILLED_AFTER_CLAIM = """
import os, signal
from complaints.notifications.delivery import claim_due
from core.app import create_app
from core.db import utcnow
app = create_app()
with app.app_context():
    print(claim_due(utcnow(), 10), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # the claim is committed, nothing was sent
"""


def test_a_notice_committed_by_a_killed_process_is_delivered_exactly_once(app, ctx, sms_gateway):
    db.session.commit()
    killed = run_python(KILLED_AFTER_COMMIT, app)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    code = killed.stdout.strip()
    [notice] = notices(recipient="13700137000")
    assert notice.status == "pending" and notice.params["tracking_code"] == code
    assert deliver_due() == {"sent": 1}
    assert deliver_due() == {}
    assert len(sms_gateway.texts_to("13700137000")) == 1


def test_a_claim_left_by_a_killed_deliverer_is_sent_once_after_its_lease(app, client, org, sms_gateway):
    Flow(client, org)
    db.session.commit()
    killed = run_python(KILLED_AFTER_CLAIM, app)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    [notice] = notices()
    assert killed.stdout.strip() == f"[{notice.id}]" and notice.status == "sending" and notice.attempts == 1
    assert deliver_due() == {}  # still leased to the dead process
    with travel_to(utcnow() + timedelta(minutes=6)):
        assert deliver_due() == {"sent": 1}
        assert deliver_due() == {}
    assert len(sms_gateway.requests) == 1 and notices()[0].attempts == 2


def test_a_link_with_a_token_leaves_the_outbox_once_delivered(client, org, sms_gateway):
    flow = Flow(client, org)
    case = db.session.scalar(select(Case).where(Case.tracking_code == flow.code))
    secret = "http://127.0.0.1:8000/s/hotline-callback?t=SECRET-TOKEN-123"
    queue_notice(case, "callback_invitation", {"link": secret})
    db.session.commit()
    assert deliver_due() == {"sent": 2}
    assert any("SECRET-TOKEN-123" in text for text in sms_gateway.texts_to("13800138000"))
    [invitation] = notices(template="callback_invitation")
    assert invitation.status == "sent" and invitation.params["link"] == REDACTED
