"""Complaint gauges for /metrics: open cases by state, overdue cases, SLA marks, outbox backlog."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from complaints.models import Case, Notification, Rectification, SlaFlag
from complaints.notifications.delivery import BACKLOG
from complaints.states import OPEN_STATUSES
from core.db import db, utcnow

CHANNELS = ("sms", "email", "in_app")


def _counts(query) -> dict[str, int]:
    return {key: count for key, count in db.session.execute(query).all()}


def complaint_metrics() -> Iterator[Metric]:
    """Read at scrape time; the overdue count comes from the deadlines themselves, so it is true even
    when the scheduler is down (compare with the SLA marks to see a stalled scan)."""
    now = utcnow()
    statuses = sorted(OPEN_STATUSES)
    open_cases = GaugeMetricFamily("qualityline_cases_open", "Open cases by status", labels=["status"])
    counts = _counts(select(Case.status, func.count()).where(Case.status.in_(statuses)).group_by(Case.status))
    for status in statuses:
        open_cases.add_metric([status], counts.get(status, 0))
    yield open_cases

    overdue = GaugeMetricFamily(
        "qualityline_cases_overdue", "Open cases past their current deadline, by status", labels=["status"]
    )
    counts = _counts(
        select(Case.status, func.count())
        .where(Case.status.in_(statuses), Case.next_due_at < now)
        .group_by(Case.status)
    )
    for status in statuses:
        overdue.add_metric([status], counts.get(status, 0))
    yield overdue

    marks = GaugeMetricFamily("qualityline_cases_sla", "Cases by the SLA scan's mark", labels=["flag"])
    counts = _counts(
        select(Case.sla_flag, func.count()).where(Case.sla_flag.is_not(None)).group_by(Case.sla_flag)
    )
    for flag in SlaFlag:
        marks.add_metric([flag.value], counts.get(flag.value, 0))
    yield marks

    backlog = GaugeMetricFamily(
        "qualityline_outbox_backlog", "Notices not yet delivered (pending or in flight)", labels=["channel"]
    )
    failed = GaugeMetricFamily(
        "qualityline_outbox_failed", "Notices given up after retries", labels=["channel"]
    )
    rows = db.session.execute(
        select(Notification.channel, Notification.status, func.count())
        .where(Notification.status.in_((*BACKLOG, "failed")))
        .group_by(Notification.channel, Notification.status)
    ).all()
    for channel in CHANNELS:
        backlog.add_metric([channel], sum(n for c, s, n in rows if c == channel and s in BACKLOG))
        failed.add_metric([channel], sum(n for c, s, n in rows if c == channel and s == "failed"))
    yield backlog
    yield failed

    oldest = db.session.scalar(
        select(func.min(Notification.created_at)).where(Notification.status.in_(BACKLOG))
    )
    age = GaugeMetricFamily("qualityline_outbox_oldest_age_seconds", "Age of the oldest undelivered notice")
    age.add_metric([], 0 if oldest is None else (now - oldest).total_seconds())
    yield age

    rectifications = GaugeMetricFamily(
        "qualityline_rectifications_overdue", "Open rectification tasks past their report-back deadline"
    )
    rectifications.add_metric(
        [],
        db.session.scalar(
            select(func.count())
            .select_from(Rectification)
            .where(Rectification.status == "open", Rectification.due_at < now)
        ),
    )
    yield rectifications
