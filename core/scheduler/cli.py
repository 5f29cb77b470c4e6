"""`flask scheduler run | jobs | run-job <id> | status`."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import db, utcnow
from core.scheduler.heartbeat import current_heartbeat, job_stats
from core.scheduler.leader import leader_lock_for
from core.scheduler.registry import scheduled_jobs
from core.scheduler.runner import SchedulerProcess

scheduler_cli = AppGroup("scheduler", help="Background jobs: SLA scan, notifications, rollups.")


@scheduler_cli.command("run")
def run_command() -> None:
    """Run the scheduler in the foreground; a second process stands by until the leader stops."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # APScheduler logs every run at INFO; our job_run already logs each run with its duration.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
    SchedulerProcess(app, scheduled_jobs(app), leader_lock_for(db.engine, app.instance_path)).run()


@scheduler_cli.command("jobs")
def jobs_command() -> None:
    """List the scheduled jobs and when they run."""
    for spec in scheduled_jobs(current_app):
        when = f"every {current_app.config[spec.every]} s" if spec.every else f"cron {spec.cron}"
        click.echo(f"{spec.id:<32} {when}")


@scheduler_cli.command("run-job")
@click.argument("job_id")
def run_job_command(job_id: str) -> None:
    """Run one job now, in this process (does not take the leader lock; jobs are idempotent)."""
    specs = {spec.id: spec for spec in scheduled_jobs(current_app)}
    if job_id not in specs:
        raise click.BadParameter(f"unknown job; one of: {', '.join(sorted(specs))}", param_hint="JOB_ID")
    specs[job_id].func()
    click.echo(f"{job_id}: done")


@scheduler_cli.command("status")
def status_command() -> None:
    """Show the leader's heartbeat and each job's run counters."""
    heartbeat = current_heartbeat()
    if heartbeat is None:
        click.echo("no scheduler has ever run against this database")
    else:
        age = (utcnow() - heartbeat.beat_at).total_seconds()
        since = f"{heartbeat.leader_since:%Y-%m-%d %H:%M:%S}Z"
        click.echo(f"leader {heartbeat.holder} since {since}, last heartbeat {age:.0f} s ago")
    for stat in job_stats():
        last = f"{stat.last_success_at:%Y-%m-%d %H:%M:%S}Z" if stat.last_success_at else "never"
        click.echo(f"{stat.job_id:<32} runs {stat.runs:>6}  failures {stat.failures:>4}  last success {last}")
