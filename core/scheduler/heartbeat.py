"""The leader's heartbeat and the job run counters, written with SQL-side increments (no lost updates)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.scheduler.models import SchedulerHeartbeat, SchedulerJobStat

SCHEDULER = "scheduler"


def _update_or_insert(statement, row) -> None:
    """Run `statement` (an UPDATE); insert `row` if it matched nothing; commit."""
    if db.session.execute(statement).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            # Someone inserted the row between our UPDATE and INSERT: update it instead.
            db.session.execute(statement)
    db.session.commit()


def beat(holder: str, leader_since: datetime, now: datetime | None = None) -> None:
    """Record that `holder` leads the scheduler and is alive now."""
    now = now or utcnow()
    statement = (
        update(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.name == SCHEDULER)
        .values(holder=holder, leader_since=leader_since, beat_at=now)
    )
    _update_or_insert(
        statement, SchedulerHeartbeat(name=SCHEDULER, holder=holder, leader_since=leader_since, beat_at=now)
    )


def current_heartbeat() -> SchedulerHeartbeat | None:
    """The last heartbeat written by a scheduler leader, if any."""
    return db.session.scalar(select(SchedulerHeartbeat).where(SchedulerHeartbeat.name == SCHEDULER))


def heartbeat_age(now: datetime | None = None) -> float | None:
    """Seconds since the leader's last heartbeat; None if no scheduler ever ran."""
    row = current_heartbeat()
    return None if row is None else ((now or utcnow()) - row.beat_at).total_seconds()


def record_job_run(job_id: str, started: datetime, finished: datetime, error: str | None) -> None:
    """Count one finished run of a job (a failure if `error`), with its timing."""
    seconds = (finished - started).total_seconds()
    values = {
        "runs": SchedulerJobStat.runs + 1,
        "last_started_at": started,
        "last_finished_at": finished,
        "last_duration_seconds": seconds,
    }
    if error is None:
        values["last_success_at"] = finished
    else:
        values.update(failures=SchedulerJobStat.failures + 1, last_error=error[:2000])
    statement = update(SchedulerJobStat).where(SchedulerJobStat.job_id == job_id).values(**values)
    row = SchedulerJobStat(
        job_id=job_id,
        runs=1,
        failures=0 if error is None else 1,
        last_started_at=started,
        last_finished_at=finished,
        last_success_at=finished if error is None else None,
        last_duration_seconds=seconds,
        last_error=None if error is None else error[:2000],
    )
    _update_or_insert(statement, row)


def job_stats() -> list[SchedulerJobStat]:
    """Every job's counters, by id."""
    return list(db.session.scalars(select(SchedulerJobStat).order_by(SchedulerJobStat.job_id)))
