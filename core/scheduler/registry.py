"""What a scheduled job is (JobSpec) and how a job body runs (job_run: app context, bookkeeping)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, has_app_context

from core.db import db, utcnow
from core.scheduler.heartbeat import record_job_run

log = logging.getLogger("qualityline.scheduler")

# The app the scheduler process runs jobs for; set once by the runner (jobs run in pool threads).
_bound_app: Flask | None = None


@dataclass(frozen=True)
class JobSpec:
    """A module-level job function and when it runs.

    `every` names the config key holding the interval in seconds; `cron` holds APScheduler cron fields
    in QUALITYLINE_TIMEZONE. `at_start` also runs the job as soon as a scheduler becomes leader (the
    catch-up for anything that came due while no scheduler was running).
    """

    id: str
    func: Callable[[], Any]
    every: str | None = None
    cron: dict[str, Any] = field(default_factory=dict)
    at_start: bool = True


def bind_app(app: Flask | None) -> None:
    """Tell job_run which app to push a context for (the scheduler process calls this once)."""
    global _bound_app
    _bound_app = app


@dataclass
class JobRun:
    """Handle a job body gets from job_run; set `result` to have it logged."""

    job_id: str
    result: Any = None


@contextmanager
def _recorded(job_id: str) -> Iterator[JobRun]:
    started, clock = utcnow(), time.perf_counter()
    run = JobRun(job_id)
    try:
        yield run
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed after %.2f s", job_id, time.perf_counter() - clock)
        record_job_run(job_id, started, utcnow(), f"{type(exc).__name__}: {exc}")
        raise
    if isinstance(run.result, dict):  # counts by kind: keep the kinds that happened
        run.result = {key: value for key, value in run.result.items() if value}
    # Quiet when there was nothing to do: the outbox job alone runs 8,640 times a day.
    level = logging.INFO if run.result else logging.DEBUG
    log.log(level, "job %s done in %.2f s: %s", job_id, time.perf_counter() - clock, run.result)
    record_job_run(job_id, started, utcnow(), None)


@contextmanager
def job_run(job_id: str) -> Iterator[JobRun]:
    """Run a job body in an app context (the caller's, or the bound app's) and count the run."""
    if has_app_context():
        with _recorded(job_id) as run:
            yield run
        return
    if _bound_app is None:
        raise RuntimeError("no app bound for jobs: run them with `flask scheduler run` or in an app context")
    with _bound_app.app_context():
        try:
            with _recorded(job_id) as run:
                yield run
        finally:
            db.session.remove()


JOBS_EXTENSION = "qualityline.scheduler_jobs"


def register_jobs(app: Flask, specs: tuple[JobSpec, ...]) -> None:
    """Make the composition root's job list available to `flask scheduler ...`."""
    ids = [spec.id for spec in specs]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate job ids in {ids}")
    app.extensions[JOBS_EXTENSION] = specs


def scheduled_jobs(app: Flask) -> tuple[JobSpec, ...]:
    """The jobs registered on the app."""
    return app.extensions.get(JOBS_EXTENSION, ())
