"""Scheduled jobs of the complaints package. Each pushes an app context (job_run), calls one service and
is idempotent: running it twice, late, or after a crash does the work once (marks and flags in the same
transaction as the change make a repeat a no-op). The runner coalesces missed runs and never starts a job
while its previous run is still going."""

from __future__ import annotations

from complaints.notifications.delivery import deliver_due
from complaints.services import followup, mediation, retention, rollups, sla
from core.scheduler import JobSpec, job_run


def sla_scan() -> None:
    """Mark due-soon and overdue cases; urge (督办) each case the day after its missed deadline."""
    with job_run("complaints.sla_scan") as run:
        run.result = sla.scan_deadlines()


def sla_escalation() -> None:
    """Escalate to the supervisors the urged cases still overdue some working days later."""
    with job_run("complaints.sla_escalation") as run:
        run.result = sla.escalate_overdue()


def mediation_termination() -> None:
    """End the mediation of complaints past their statutory limit and tell the complainant."""
    with job_run("complaints.mediation_termination") as run:
        run.result = mediation.terminate_expired_mediations()


def feedback_watchdog() -> None:
    """Record delivered result notices as the citizen's feedback on replied/rejected/transferred cases."""
    with job_run("complaints.feedback_watchdog") as run:
        run.result = followup.record_delivered_feedback()


def callback_invitations() -> None:
    """Invite citizens to rate the reply (回访) callback_delay_hours after it."""
    with job_run("complaints.callback_invitations") as run:
        run.result = followup.send_callback_invitations()


def rectification_watch() -> None:
    """Flag bad-rating rectification tasks past their report-back deadline."""
    with job_run("complaints.rectification_watch") as run:
        run.result = followup.flag_overdue_rectifications()


def kpi_rollup() -> None:
    """Roll up the KPI counts of every complete day not rolled up yet."""
    with job_run("complaints.kpi_rollup") as run:
        run.result = rollups.roll_up_pending()


def erase_expired() -> None:
    """Erase the personal data of finished cases past QUALITYLINE_RETENTION_DAYS (statistics stay)."""
    with job_run("complaints.erase_expired") as run:
        report = retention.erase_expired()
        run.result = {"erased": report.erased, "skipped": len(report.skipped)}


def outbox_delivery() -> None:
    """Deliver due notices (SMS, e-mail, in-app) with retry and backoff."""
    with job_run("complaints.outbox_delivery") as run:
        run.result = deliver_due()


JOBS = (
    JobSpec("complaints.sla_scan", sla_scan, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.sla_escalation", sla_escalation, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.mediation_termination", mediation_termination, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.feedback_watchdog", feedback_watchdog, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.callback_invitations", callback_invitations, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.rectification_watch", rectification_watch, every="SCHEDULER_SCAN_SECONDS"),
    JobSpec("complaints.kpi_rollup", kpi_rollup, cron={"hour": 1, "minute": 30}),
    JobSpec("complaints.outbox_delivery", outbox_delivery, every="SCHEDULER_OUTBOX_SECONDS"),
    JobSpec("complaints.erase_expired", erase_expired, cron={"hour": 3, "minute": 15}),
)
