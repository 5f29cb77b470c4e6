"""Nothing lost: citizens keep submitting complaints and survey answers through a real gunicorn
(deploy/gunicorn.conf.py, several workers) while workers are SIGKILLed and, on PostgreSQL, the database
server itself is restarted. Every client retries on a dropped connection or a 5xx with the SAME
Idempotency-Key, as the API asks. Afterwards every submission that got a 201 is in the database exactly
once, under the key it was sent with, with its complete audit chain and outbox row, and sending it again
returns the same case (or survey response).

Also here: Idempotency-Key on survey answers (open link and invitation), and the 503 a request gets
while the database is unreachable.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from complaints.models import Case, CaseEvent, IdempotencyKey, Notification
from complaints.services.audit import verify_audit_chain
from core.app import create_app
from core.db import db, utcnow
from surveys.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from surveys.services import definitions
from surveys.services.invitations import new_invitation
from tests.conftest import complaint_body

ROOT = Path(__file__).resolve().parents[2]
SLUG = "durability-check"
SURVEY = {
    "title": {"zh-CN": "满意度", "en": "Satisfaction"},
    "sector": "public_services",
    "languages": ["zh-CN"],
    "questions": [
        {"code": "sat", "type": "likert5", "required": True, "text": {"zh-CN": "满意吗"},
         "construct": "satisfaction", "indicator": "SAT"},
        {"code": "why", "type": "text", "required": False, "text": {"zh-CN": "原因"}},
    ],
}  # fmt: skip
THREADS = 8
WORKERS = 3
INVITATIONS = 40
# The load runs until the chaos is over and MIN_SUBMISSIONS logical submissions are done, or MAX_SECONDS
# (a busy machine boots respawned workers slowly); fewer than FLOOR would not be a load test.
MIN_SUBMISSIONS = 120
FLOOR = 40
PROGRESS = 10  # submissions done before the first blow and after each
MAX_SECONDS = 40
REPLAY_SAMPLE = 40  # submissions answered at the first attempt sent again afterwards
RETRY_FOR_SECONDS = 40  # how long one client keeps retrying one submission


# --- a client that retries like the API asks ---------------------------------------------------------
@dataclass
class Submission:
    """One logical submission and what its client saw."""

    kind: str  # complaint, open (survey link), invited (survey invitation)
    key: str
    path: str
    body: dict[str, Any]
    mobile: str | None = None
    status: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    failures: Counter = field(default_factory=Counter)  # what made the client retry
    echo: dict[str, Any] | None = None  # an immediate resend's answer (a double click)


def post(port: int, path: str, body: dict[str, Any], key: str, timeout: float = 15) -> tuple[int, dict]:
    """One POST on a fresh connection; raises OSError / HTTPException when the connection breaks or no
    answer comes within `timeout` (the server may still be storing it: the retry must not store it twice)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        connection.request("POST", path, payload, headers)
        response = connection.getresponse()
        text = response.read()
        return response.status, json.loads(text) if text else {}
    finally:
        connection.close()


def deliver(port: int, sub: Submission) -> None:
    """Send until a definite answer (2xx or 4xx), retrying connection errors and 5xx with the same key."""
    give_up = time.monotonic() + RETRY_FOR_SECONDS
    while time.monotonic() < give_up:
        sub.attempts += 1
        try:
            status, data = post(port, sub.path, sub.body, sub.key)
        except (OSError, http.client.HTTPException) as exc:
            sub.failures[type(exc).__name__] += 1
        else:
            if status < 500:
                sub.status, sub.result = status, data
                return
            sub.failures[f"{status}:{data.get('message', '')[:40]}"] += 1
            assert set(data) == {"code", "status", "message", "errors"}, data  # the one error body
        time.sleep(random.uniform(0.05, 0.3))


def result_id(sub: Submission, data: dict[str, Any]) -> tuple:
    """What must be equal between a submission's answers: the case (and its key) or the response."""
    if sub.kind == "complaint":
        return data.get("tracking_code"), data.get("access_key")
    return (data.get("id"),)


# --- the server under test ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py on a free loopback port, as a subprocess."""

    def __init__(self, database_url: str, secret: str, log: Path):
        self.port = free_port()
        env = {
            **os.environ,
            "QUALITYLINE_DATABASE_URL": database_url,
            "QUALITYLINE_SECRET_KEY": secret,
            "QUALITYLINE_BIND": f"127.0.0.1:{self.port}",
            "QUALITYLINE_WORKERS": str(WORKERS),
            "QUALITYLINE_LOG_LEVEL": "WARNING",
            # One loopback address sends everything: lift the per-address limits (tested elsewhere).
            "QUALITYLINE_SURVEY_RESPONSE_RATE_LIMIT": "100000 per minute",
            "QUALITYLINE_INTAKE_RATE_LIMIT": "100000 per minute",
            "PROMETHEUS_MULTIPROC_DIR": str(log.parent / "metrics"),
        }
        self.log = log
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--config", "deploy/gunicorn.conf.py",
             "core.app:create_app()"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not come up\n" + self.tail())

    def workers(self) -> list[int]:
        """The master's worker processes (read from /proc)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def kill_workers(self, count: int = 1) -> str:
        """SIGKILL `count` workers mid-load (gunicorn's master forks new ones)."""
        pids = random.sample(self.workers(), count)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return f"SIGKILLed worker{'s' if count > 1 else ''} {', '.join(map(str, pids))}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight any more
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


# --- PostgreSQL restart ---------------------------------------------------------------------------------
def pg_ready(host: str, port: str) -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], check=False).returncode == 0


def restart_postgresql(database_url: str) -> float:
    """Restart the machine's PostgreSQL cluster (fast shutdown) and wait until it accepts connections;
    returns the seconds it took. Whatever happens, the cluster is running again afterwards."""
    url = make_url(database_url)
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    assert versions and os.geteuid() == 0, "restarting PostgreSQL needs root and a local Debian cluster"
    host, port = url.host or "127.0.0.1", str(url.port or 5432)
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]
    # A checkpoint first: a shutdown otherwise waits for a slow spread checkpoint to finish writing.
    subprocess.run(
        ["psql", "-h", host, "-p", port, "-U", url.username or "postgres", "-d", "postgres",
         "-qc", "CHECKPOINT"],
        check=False, capture_output=True, timeout=120,
    )  # fmt: skip
    started = time.monotonic()
    try:
        subprocess.run([*cluster, "restart", "--mode=fast"], check=True, capture_output=True, timeout=180)
    finally:
        # Never leave the machine's database down, even if the restart failed half-way.
        if not pg_ready(host, port):
            subprocess.run([*cluster, "start"], check=False, capture_output=True, timeout=180)
        while not pg_ready(host, port):
            assert time.monotonic() - started < 240, "PostgreSQL did not come back"
            time.sleep(0.2)
    return time.monotonic() - started


# --- the load --------------------------------------------------------------------------------------------
class Load:
    """THREADS clients submitting complaints and survey answers until told to stop."""

    def __init__(self, port: int, tokens: list[str]):
        self.port, self.tokens = port, tokens
        self.done: list[Submission] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counter = 0

    def next_submission(self) -> Submission:
        with self.lock:
            self.counter += 1
            n = self.counter
            token = self.tokens.pop() if n % 6 == 1 and self.tokens else None
        key = uuid.uuid4().hex
        answers = {"sat": n % 5 + 1, "why": f"回答 {n}"}
        if token is not None:
            body = {"answers": answers, "token": token}
            return Submission("invited", key, f"/api/v1/surveys/{SLUG}/responses", body)
        if n % 4 == 0:
            return Submission("open", key, f"/api/v1/surveys/{SLUG}/responses", {"answers": answers})
        # The mobile number says which logical submission a case came from.
        mobile = f"139{n:08d}"
        body = complaint_body(complainant={"name": "张三", "mobile": mobile, "email": None})
        return Submission("complaint", key, "/api/v1/complaints", body, mobile=mobile)

    def client(self) -> None:
        while not self.stop.is_set():
            sub = self.next_submission()
            deliver(self.port, sub)
            if sub.status == 201 and random.random() < 0.25:
                # A double click: the same submission again at once must name the same case.
                again = Submission(sub.kind, sub.key, sub.path, sub.body)
                deliver(self.port, again)
                sub.echo = {**again.result, "http_status": again.status}
                sub.failures.update(again.failures)
            with self.lock:
                self.done.append(sub)

    def await_progress(self, count: int, seconds: float = 30) -> int:
        """Wait until `count` more submissions are done (at most `seconds`); returns how many are done."""
        target, deadline = len(self.done) + count, time.monotonic() + seconds
        while len(self.done) < target and time.monotonic() < deadline:
            time.sleep(0.1)
        return len(self.done)

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.client, daemon=True) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        return threads


@pytest.fixture()
def survey_invitations(ctx) -> list[str]:
    definitions.create_survey(SLUG, json.loads(json.dumps(SURVEY)), None)
    survey = definitions.publish_draft(SLUG)
    tokens = [new_invitation(survey, utcnow() + timedelta(days=7))[1] for _ in range(INVITATIONS)]
    db.session.commit()
    db.session.remove()  # the pool keeps its idle connection: after the restart only pre-ping saves it
    return tokens


def test_nothing_is_lost_when_workers_are_killed_and_the_database_restarts(ctx, survey_invitations, tmp_path):
    url = ctx.config["SQLALCHEMY_DATABASE_URI"]
    postgres = url.startswith("postgresql")
    server = Gunicorn(url, ctx.config["SECRET_KEY"], tmp_path / "gunicorn.log")
    chaos: list[str] = []
    begun = time.monotonic()
    try:
        server.wait_ready()
        ready_seconds = time.monotonic() - begun
        load = Load(server.port, list(survey_invitations))
        started = time.monotonic()
        threads = load.run()
        # The chaos, while the load runs: SIGKILL a worker, restart PostgreSQL (SQLite: kill two at
        # once), SIGKILL another. Each blow waits until submissions flow again (respawned workers boot
        # slowly on a busy machine), so every one of them hits live traffic.
        blows = [
            server.kill_workers,
            (lambda: f"restarted PostgreSQL in {restart_postgresql(url):.1f} s")
            if postgres
            else (lambda: server.kill_workers(2)),
            server.kill_workers,
        ]
        progress = [load.await_progress(PROGRESS)]
        for blow in blows:
            chaos.append(blow())
            progress.append(load.await_progress(PROGRESS))
        while len(load.done) < MIN_SUBMISSIONS and time.monotonic() - started < MAX_SECONDS:
            time.sleep(0.2)
        load.stop.set()
        for thread in threads:
            thread.join(RETRY_FOR_SECONDS + 20)
        load_seconds = time.monotonic() - started
        subs = load.done
        # Ask again: every submission that needed a retry and a sample of the rest must get the same
        # case, the same response.
        with ThreadPoolExecutor(THREADS) as pool:
            retried = [sub for sub in subs if sub.attempts > 1]
            others = [sub for sub in subs if sub.attempts == 1]
            answered = retried + random.sample(others, min(REPLAY_SAMPLE, len(others)))
            sent = pool.map(lambda sub: post(server.port, sub.path, sub.body, sub.key), answered)
            replays = {sub.key: reply for sub, reply in zip(answered, sent, strict=True)}
        replay_seconds = time.monotonic() - started - load_seconds
        log_tail = server.tail()
    finally:
        server.stop()

    failures = sum((sub.failures for sub in subs), Counter())
    print(
        f"\n[no-loss] {'PostgreSQL' if postgres else 'SQLite'}: {len(subs)} submissions "
        f"({Counter(s.kind for s in subs)}), {sum(s.status == 201 for s in subs)} answered 201, "
        f"{sum(s.echo is not None for s in subs)} double clicks, {len(replays)} sent again afterwards, "
        f"{sum(s.attempts for s in subs)} attempts, retried after {dict(failures)}; chaos: {chaos} "
        f"(done before the first and after each: {progress}); "
        f"gunicorn up in {ready_seconds:.1f} s, load {load_seconds:.1f} s, "
        f"replays {replay_seconds:.1f} s, all {time.monotonic() - begun:.1f} s"
    )
    assert len(subs) >= FLOOR
    assert progress == sorted(set(progress)), progress  # traffic flowed before the first blow and after each
    assert sum(failures.values()) > 0, "the chaos never hit a request: the test proved nothing"
    # Every client got its definite answer (retrying with its key) and it was a success.
    assert Counter(sub.status for sub in subs) == {201: len(subs)}, log_tail
    assert not any(key.startswith("500") for key in failures), failures  # 503, never an unexplained 500

    complaints = [s for s in subs if s.kind == "complaint"]
    answers = [s for s in subs if s.kind != "complaint"]
    for sub in subs:
        if sub.key in replays:
            assert replays[sub.key][0] == 201
            assert result_id(sub, replays[sub.key][1]) == result_id(sub, sub.result), sub.key
        if sub.echo is not None:
            assert sub.echo["http_status"] == 201 and result_id(sub, sub.echo) == result_id(sub, sub.result)

    # Complaints: one case per submission under its key, with its chain and its receipt notice.
    keys = dict(db.session.execute(select(IdempotencyKey.key, IdempotencyKey.case_id)).all())
    cases = {case.id: case for case in db.session.scalars(select(Case))}
    assert len(cases) == len(keys) == len(complaints)  # no case twice, none without its key
    for sub in complaints:
        case = cases[keys[sub.key]]
        assert (case.tracking_code, case.complainant_mobile) == (sub.result["tracking_code"], sub.mobile)
    events = Counter(db.session.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "register")))
    all_events = Counter(db.session.scalars(select(CaseEvent.case_id)))
    receipts = Counter(
        db.session.scalars(select(Notification.case_id).where(Notification.template == "receipt"))
    )
    for case in cases.values():
        assert events[case.id] == all_events[case.id] == case.event_count == 1
        assert receipts[case.id] == 1
    checked, problems = verify_audit_chain()
    assert (checked, problems) == (len(cases), [])

    # Survey answers: one complete response per submission under its key, with every answer.
    responses = {r.idempotency_key: r for r in db.session.scalars(select(SurveyResponse))}
    assert len(responses) == len(answers)
    per_response = Counter(db.session.scalars(select(SurveyAnswer.response_id)))
    for sub in answers:
        response = responses[sub.key]
        assert response.id == sub.result["id"] and response.status == "complete"
        assert per_response[response.id] == 2
        assert (response.invitation_id is not None) == (sub.kind == "invited")
    used = db.session.scalar(select(func.count()).where(SurveyInvitation.used_at.is_not(None)))
    assert used == sum(s.kind == "invited" for s in answers)


# --- survey answers with an Idempotency-Key ----------------------------------------------------------------
@pytest.fixture()
def survey(ctx):
    definitions.create_survey(SLUG, json.loads(json.dumps(SURVEY)), None)
    return definitions.publish_draft(SLUG)


def count_responses() -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse))


def test_an_open_survey_answer_repeated_with_its_key_is_stored_once(client, survey):
    path = f"/api/v1/surveys/{SLUG}/responses"
    body = {"answers": {"sat": 4, "why": "还行"}}
    first = client.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    other = client.post(path, json=body, headers={"Idempotency-Key": "k-2"})
    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json["id"] == again.json["id"] != other.json["id"]
    assert count_responses() == 2
    # The same key with different answers is refused, and nothing is stored.
    changed = client.post(path, json={"answers": {"sat": 1}}, headers={"Idempotency-Key": "k-1"})
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["errors"]
    assert count_responses() == 2


def test_an_invited_answer_retried_with_its_key_gets_its_response_not_a_409(client, survey):
    token = new_invitation(survey, utcnow() + timedelta(days=7))[1]
    db.session.commit()
    path = f"/api/v1/surveys/{SLUG}/responses"
    body = {"answers": {"sat": 5}, "token": token}
    first = client.post(path, json=body, headers={"Idempotency-Key": "inv-1"})
    retry = client.post(path, json=body, headers={"Idempotency-Key": "inv-1"})
    assert first.status_code == retry.status_code == 201 and first.json["id"] == retry.json["id"]
    # Without the key (or with another) a used invitation is still a conflict, and still one response.
    assert client.post(path, json=body).status_code == 409
    assert client.post(path, json=body, headers={"Idempotency-Key": "inv-2"}).status_code == 409
    assert count_responses() == 1


def test_a_request_while_the_database_is_unreachable_gets_503_with_the_error_body(ctx):
    # A real server that refuses connections: nothing listens on port 1.
    down = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    )
    response = down.test_client().get("/api/v1/categories")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.json == {
        "code": 503,
        "status": "Service Unavailable",
        "message": response.json["message"],
        "errors": {},
    }
    # A page gets the error page, in Chinese by default.
    page = down.test_client().get("/submit/complaint")
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)
    # Open311 partners get it in their own error format.
    assert down.test_client().get("/open311/v2/services.json").status_code == 503
