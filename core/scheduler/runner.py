"""`flask scheduler run`: one BlockingScheduler that runs the jobs only while it holds the leader lock."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from core.db import db, utcnow
from core.scheduler.heartbeat import beat
from core.scheduler.leader import LeaderLock
from core.scheduler.registry import JobSpec, bind_app

log = logging.getLogger("qualityline.scheduler")

# A run that could not start on time still starts within this window (coalesced into one run).
MISFIRE_GRACE_SECONDS = 300


def _trigger(spec: JobSpec, config: dict, tz: ZoneInfo) -> IntervalTrigger | CronTrigger:
    if spec.every:
        return IntervalTrigger(seconds=float(config[spec.every]), timezone=tz)
    return CronTrigger(timezone=tz, **spec.cron)


class SchedulerProcess:
    """Stand by until the leader lock is ours, then run the jobs until a signal or the lock is lost."""

    def __init__(self, app: Flask, jobs: tuple[JobSpec, ...], lock: LeaderLock, holder: str | None = None):
        self.app, self.jobs, self.lock = app, jobs, lock
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._scheduler: BlockingScheduler | None = None
        self._leader_since: datetime | None = None

    def run(self) -> None:
        """Block until SIGTERM/SIGINT; lead whenever the lock can be had."""
        bind_app(self.app)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        poll = float(self.app.config["SCHEDULER_STANDBY_SECONDS"])
        waiting_logged = False
        log.info("scheduler %s starting with %d jobs", self.holder, len(self.jobs))
        while not self._stop.is_set():
            if self.lock.acquire():
                log.info("scheduler %s is the leader (%s)", self.holder, self.lock.description)
                try:
                    self._lead()
                finally:
                    self.lock.release()
                log.info("scheduler %s no longer leads", self.holder)
                waiting_logged = False
            elif not waiting_logged:
                log.info(
                    "scheduler %s stands by: another process holds the %s", self.holder, self.lock.description
                )
                waiting_logged = True
            self._stop.wait(poll)
        log.info("scheduler %s stopped", self.holder)

    def _lead(self) -> None:
        config = self.app.config
        tz = ZoneInfo(config["TIMEZONE"])
        # SQLite serialises writers anyway; one worker avoids jobs queueing on the database lock.
        workers = 1 if db.engine.dialect.name == "sqlite" else 4
        jobs_pool, beat_pool = ThreadPoolExecutor(workers), ThreadPoolExecutor(1)
        scheduler = BlockingScheduler(
            timezone=tz,
            executors={"default": jobs_pool, "heartbeat": beat_pool},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        now = datetime.now(tz)
        for spec in self.jobs:
            extra = {"next_run_time": now} if spec.at_start else {}
            scheduler.add_job(spec.func, _trigger(spec, config, tz), id=spec.id, name=spec.id, **extra)
        scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=float(config["SCHEDULER_HEARTBEAT_SECONDS"]), timezone=tz),
            id="_heartbeat",
            executor="heartbeat",
            next_run_time=now,
        )
        self._leader_since = utcnow()
        self._scheduler = scheduler
        if self._stop.is_set():
            return
        try:
            scheduler.start()  # blocks until shutdown()
        finally:
            self._scheduler = None
            # Running jobs finish before the lock is released, so no job ever runs in two processes.
            jobs_pool.shutdown(wait=True)
            beat_pool.shutdown(wait=True)

    def _heartbeat(self) -> None:
        """Prove leadership (the lock is still ours) and write the heartbeat /readyz looks at."""
        if self._stop.is_set() or not self.lock.still_held():
            if not self._stop.is_set():
                log.error("scheduler %s lost the %s; stopping jobs", self.holder, self.lock.description)
            self._shutdown()
            return
        with self.app.app_context():
            try:
                beat(self.holder, self._leader_since or utcnow())
            except SQLAlchemyError as exc:
                db.session.rollback()
                log.warning("heartbeat not written: %s", exc)
            finally:
                db.session.remove()

    def _shutdown(self) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            with suppress(SchedulerNotRunningError):  # the other stop path got there first
                scheduler.shutdown(wait=False)

    def _on_signal(self, signum: int, _frame) -> None:
        log.info("scheduler %s got signal %s: finishing running jobs", self.holder, signum)
        self._stop.set()
        self._shutdown()
