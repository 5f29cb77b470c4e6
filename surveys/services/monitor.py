"""Fieldwork monitor: responses by day, by quota cell and by channel, response and completion rates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from core.db import db, utcnow
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services.definitions import get_survey
from surveys.vocab import ResponseStatus


@dataclass
class QuotaRow:
    """One quota cell: its values, the target and the complete non-duplicate responses so far."""

    cell: dict[str, str]
    key: str
    target: int
    complete: int

    @property
    def share(self) -> float:
        return min(1.0, self.complete / self.target) if self.target else 1.0


@dataclass
class Monitor:
    """What the response monitor page and GET /surveys/<slug>/monitor show."""

    complete: int = 0
    partial: int = 0
    duplicates: int = 0
    invitations: int = 0
    invitations_sent: int = 0
    invitations_answered: int = 0
    by_day: list[tuple[date, int, int]] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    quotas: list[QuotaRow] = field(default_factory=list)
    other_cells: int = 0

    @property
    def response_rate(self) -> float | None:
        """Invitations answered (completely) / invitations sent."""
        return self.invitations_answered / self.invitations_sent if self.invitations_sent else None

    @property
    def completion_rate(self) -> float | None:
        """Complete / started (complete + partial) responses."""
        started = self.complete + self.partial
        return self.complete / started if started else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "partial": self.partial,
            "duplicates": self.duplicates,
            "invitations": self.invitations,
            "invitations_sent": self.invitations_sent,
            "invitations_answered": self.invitations_answered,
            "response_rate": self.response_rate,
            "completion_rate": self.completion_rate,
            "by_day": [{"day": d.isoformat(), "complete": c, "partial": p} for d, c, p in self.by_day],
            "by_channel": self.by_channel,
            "quotas": [
                {"cell": row.cell, "target": row.target, "complete": row.complete} for row in self.quotas
            ],
        }


def survey_monitor(slug: str, days: int = 30, now: datetime | None = None) -> Monitor:
    """Counts for the last `days` local days plus totals; duplicates are counted, and kept out of quotas."""
    survey = get_survey(slug)
    now = now or utcnow()
    report = Monitor()
    counts = db.session.execute(
        select(SurveyResponse.status, SurveyResponse.is_duplicate, SurveyResponse.channel, func.count())
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.status, SurveyResponse.is_duplicate, SurveyResponse.channel)
    ).all()
    channels: Counter[str] = Counter()
    for status, duplicate, channel, n in counts:
        if status == ResponseStatus.COMPLETE:
            report.complete += n
            channels[channel] += n
            report.duplicates += n if duplicate else 0
        else:
            report.partial += n
    report.by_channel = dict(channels)
    report.invitations, report.invitations_sent = db.session.execute(
        select(func.count(), func.count(SurveyInvitation.sent_at)).where(
            SurveyInvitation.survey_id == survey.id
        )
    ).one()
    report.invitations_answered = (
        db.session.scalar(
            select(func.count())
            .select_from(SurveyInvitation)
            .where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.sent_at.is_not(None),
                SurveyInvitation.used_at.is_not(None),
            )
        )
        or 0
    )
    report.by_day = _by_day(survey.id, days, now)
    report.quotas, report.other_cells = _quota_rows(survey)
    return report


def _by_day(survey_id: int, days: int, now: datetime) -> list[tuple[date, int, int]]:
    # Grouped here, not in SQL: local calendar days are spelt differently by SQLite and PostgreSQL.
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tz)
    rows = db.session.execute(
        select(SurveyResponse.status, SurveyResponse.submitted_at, SurveyResponse.updated_at).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.updated_at >= since
        )
    ).all()
    complete: Counter[date] = Counter()
    partial: Counter[date] = Counter()
    for status, submitted_at, updated_at in rows:
        if status == ResponseStatus.COMPLETE and submitted_at is not None:
            complete[submitted_at.astimezone(tz).date()] += 1
        elif status == ResponseStatus.PARTIAL:
            partial[updated_at.astimezone(tz).date()] += 1
    return [
        (first + timedelta(days=i), complete[first + timedelta(days=i)], partial[first + timedelta(days=i)])
        for i in range(days)
    ]


def _quota_rows(survey) -> tuple[list[QuotaRow], int]:
    version = survey.published
    quotas = (version.definition.get("quotas") if version else None) or {}
    if not quotas:
        return [], 0
    dims = quotas["dimensions"]
    counts = dict(
        db.session.execute(
            select(SurveyResponse.quota_cell, func.count())
            .where(
                SurveyResponse.survey_id == survey.id,
                SurveyResponse.status == ResponseStatus.COMPLETE,
                SurveyResponse.is_duplicate.is_(False),
                SurveyResponse.quota_cell.is_not(None),
            )
            .group_by(SurveyResponse.quota_cell)
        ).all()
    )
    rows = []
    for cell in quotas["cells"]:
        key = "|".join(f"{d}={cell[d]}" for d in dims)
        rows.append(QuotaRow({d: cell[d] for d in dims}, key, cell["target"], counts.pop(key, 0)))
    # Responses in cells the quota table does not list (no limit there).
    return rows, sum(counts.values())
