"""Scheduled jobs of the surveys package (idempotent, like complaints/jobs.py): reminders, the survey
outbox, one-click call-back ratings left alone, and uploaded data files. The call-back invitations
themselves are made by complaints' callback_invitations job through the hook surveys registers."""

from __future__ import annotations

from core.scheduler import JobSpec, job_run
from surveys.services import delivery, importing, invitations, responses


def invitation_reminders() -> None:
    """Remind people who have not answered their invitation."""
    with job_run("surveys.invitation_reminders") as run:
        run.result = invitations.queue_reminders()


def message_delivery() -> None:
    """Send due invitations and reminders (SMS, e-mail) with retry and backoff."""
    with job_run("surveys.message_delivery") as run:
        run.result = delivery.deliver_due_messages()


def callback_ratings() -> None:
    """Hand one-click call-back ratings, left alone for the grace period, to their cases."""
    with job_run("surveys.callback_ratings") as run:
        run.result = responses.finalize_idle_callbacks()


def data_imports() -> None:
    """Check and import uploaded third-party data files."""
    with job_run("surveys.data_imports") as run:
        run.result = importing.run_pending_imports()


JOBS = (
    JobSpec("surveys.invitation_reminders", invitation_reminders, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("surveys.message_delivery", message_delivery, every="SCHEDULER_OUTBOX_SECONDS"),
    JobSpec("surveys.callback_ratings", callback_ratings, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("surveys.data_imports", data_imports, every="SURVEY_IMPORT_SECONDS"),
)
