"""The background scheduler: one leader process (APScheduler 3) running each package's jobs.py."""

from core.scheduler.registry import JobSpec, job_run

__all__ = ["JobSpec", "job_run"]
