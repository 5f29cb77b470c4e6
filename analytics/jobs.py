"""Scheduled jobs of the analytics package (run by `flask scheduler run`, never in web workers)."""

from __future__ import annotations

from analytics.services import kpi_rollups
from core.scheduler import JobSpec, job_run


def kpi_due_rollup() -> None:
    """Rebuild the KPI rollups by deadline day that the dashboard reads (idempotent: a full rebuild)."""
    with job_run("analytics.kpi_due_rollup") as run:
        run.result = {"rows": kpi_rollups.rebuild_kpi_rollups()}


JOBS = (JobSpec("analytics.kpi_due_rollup", kpi_due_rollup, cron={"hour": 2, "minute": 0}),)
