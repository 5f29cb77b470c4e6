"""The scheduler: job bookkeeping, the leader lock, and two real `flask scheduler run` processes of which
only one runs jobs (on the suite's database: a file SQLite database, or PostgreSQL)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints.models import Case, CaseEvent, Notification
from complaints.services.audit import verify_audit_chain
from core.clock import travel_to
from core.db import db, utcnow
from core.scheduler import job_run
from core.scheduler.heartbeat import current_heartbeat
from core.scheduler.leader import AdvisoryLock, FileLock, leader_lock_for
from core.scheduler.models import SchedulerJobStat
from core.scheduler.registry import scheduled_jobs
from tests.complaints.test_lifecycle_api import Flow

ROOT = Path(__file__).resolve().parents[2]


def failing_job() -> None:
    with job_run("test.failing"):
        raise RuntimeError("gateway exploded")


def test_job_runs_and_failures_are_counted(ctx):
    with job_run("test.ok") as run:
        run.result = {"done": 1}
    with pytest.raises(RuntimeError):
        failing_job()
    stats = {s.job_id: s for s in db.session.scalars(select(SchedulerJobStat))}
    assert (stats["test.ok"].runs, stats["test.ok"].failures) == (1, 0)
    failed = stats["test.failing"]
    assert (failed.runs, failed.failures, failed.last_success_at) == (1, 1, None)
    assert failed.last_error == "RuntimeError: gateway exploded"


def test_every_job_is_registered_once_with_a_schedule(app):
    specs = scheduled_jobs(app)
    assert len({s.id for s in specs}) == len(specs) >= 8
    for spec in specs:
        assert spec.every in app.config or spec.cron, spec.id
        assert spec.func.__module__.endswith(".jobs") and spec.func.__doc__


def test_only_one_holder_of_the_leader_lock(ctx, tmp_path):
    first, second = leader_lock_for(db.engine, str(tmp_path)), leader_lock_for(db.engine, str(tmp_path))
    expected = AdvisoryLock if db.engine.dialect.name == "postgresql" else FileLock
    assert isinstance(first, expected)
    assert first.acquire() and first.still_held()
    assert not second.acquire()
    first.release()
    assert not first.still_held()
    assert second.acquire()
    second.release()


def test_cli_lists_and_runs_jobs(ctx):
    runner = ctx.test_cli_runner()
    listed = runner.invoke(args=["scheduler", "jobs"])
    assert "complaints.sla_scan" in listed.output and "cron" in listed.output
    assert runner.invoke(args=["scheduler", "run-job", "complaints.sla_scan"]).exit_code == 0
    assert runner.invoke(args=["scheduler", "run-job", "nope"]).exit_code == 2
    assert "complaints.sla_scan" in runner.invoke(args=["scheduler", "status"]).output


# --- two real scheduler processes -----------------------------------------------------------------


class Scheduler:
    """A `flask scheduler run` subprocess with fast intervals, logging to a file."""

    def __init__(self, app, log: Path):
        env = {
            **os.environ,
            "FLASK_APP": "core.app:create_app",
            "PYTHONPATH": str(ROOT),
            "QUALITYLINE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "QUALITYLINE_SCHEDULER_SCAN_SECONDS": "0.5",
            "QUALITYLINE_SCHEDULER_OUTBOX_SECONDS": "0.5",
            "QUALITYLINE_SCHEDULER_HEARTBEAT_SECONDS": "0.5",
            "QUALITYLINE_SCHEDULER_STANDBY_SECONDS": "0.3",
            "QUALITYLINE_SMS_GATEWAY_URL": "",
            "QUALITYLINE_LOG_LEVEL": "INFO",
        }
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    @property
    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def wait_for(check: Callable[[], object], what: str, timeout: float = 30) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see the other processes' commits
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def leader_pid() -> int | None:
    heartbeat = current_heartbeat()
    return int(heartbeat.holder.rsplit(":", 1)[1]) if heartbeat else None


def count(query) -> int:
    db.session.rollback()
    return db.session.scalar(query)


def urges_of(code: str):
    return (
        select(func.count())
        .select_from(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(Case.tracking_code == code, CaseEvent.action == "urge")
    )


def urge_notices_of(code: str, status: str = "sent"):
    return (
        select(func.count())
        .select_from(Notification)
        .join(Case, Case.id == Notification.case_id)
        .where(Case.tracking_code == code, Notification.template == "sla_urge", Notification.status == status)
    )


def test_two_scheduler_processes_urge_an_overdue_case_exactly_once(app, client, org, tmp_path):
    with travel_to(utcnow() - timedelta(days=30)):
        first = Flow(client, org)  # acceptance deadline (7 WD) long past
    db.session.commit()
    a = Scheduler(app, tmp_path / "a.log")
    b = None
    try:
        wait_for(lambda: leader_pid() == a.process.pid, "A to lead")
        b = Scheduler(app, tmp_path / "b.log")
        wait_for(lambda: "stands by" in b.output, "B to stand by")
        wait_for(lambda: count(urge_notices_of(first.code)) == 1, "the urge notice to be delivered")
        time.sleep(2)  # several more scan and delivery rounds in both processes
        assert count(urges_of(first.code)) == 1 and count(urge_notices_of(first.code)) == 1
        assert "is the leader" not in b.output and leader_pid() == a.process.pid

        a.process.send_signal(signal.SIGKILL)  # no clean shutdown: the lock must die with the process
        a.process.wait(10)
        wait_for(lambda: leader_pid() == b.process.pid, "B to take over")
        assert "is the leader" in b.output
        with travel_to(utcnow() - timedelta(days=30)):
            second = Flow(client, org)
        db.session.commit()
        wait_for(lambda: count(urge_notices_of(second.code)) == 1, "B to urge the new case")
        time.sleep(1.5)
        assert count(urges_of(first.code)) == 1 and count(urges_of(second.code)) == 1
        assert count(urge_notices_of(first.code)) + count(urge_notices_of(second.code)) == 2

        b.process.send_signal(signal.SIGTERM)  # systemd's stop: finish running jobs, release, exit 0
        assert b.process.wait(15) == 0
        assert "stopped" in b.output
    finally:
        for scheduler in (a, b):
            if scheduler is not None:
                scheduler.stop()
    db.session.rollback()
    assert verify_audit_chain()[1] == []
