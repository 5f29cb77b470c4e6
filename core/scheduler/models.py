"""Scheduler bookkeeping rows: the leader's heartbeat and per-job run counters (read by /readyz, /metrics)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db


class SchedulerHeartbeat(db.Model):
    """One row per scheduler role ("scheduler"): who leads and when it last proved it is alive."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    leader_since: Mapped[datetime]
    beat_at: Mapped[datetime]


class SchedulerJobStat(db.Model):
    """Run and failure counters of one job, kept in the database so every web worker reports the same."""

    __tablename__ = "scheduler_jobs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_duration_seconds: Mapped[float | None]
    last_error: Mapped[str | None] = mapped_column(Text)
