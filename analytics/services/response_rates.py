"""Response rates of invitation and call-back surveys: completed / invitations sent in the period.

The invitations sent in [from, to) are the cohort; completed counts those of them whose response is
complete (whenever it came in). An open-link survey sends no invitations, so it has no response rate
(null with the reason). Groups use what the invitation knew about the person: the district, age group
and sex of the contact list or of the case (call-backs), and the local month or quarter it was sent.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select

from analytics.services.complaint_kpis import period_bounds
from analytics.services.periods import period_of_day
from core.db import db
from surveys.models import Survey, SurveyInvitation, SurveyResponse
from surveys.vocab import ResponseStatus

OPEN_LINK = "open link: no invitations were sent, so there is no response rate"
NONE_SENT = "no invitations were sent in this period"
NOT_KNOWN = "invitations do not record this grouping"


def _rate(completed: int, sent: int, reason: str | None = None) -> dict[str, Any]:
    if sent == 0:
        return {"value": None, "completed": completed, "sent": 0, "reason": reason or NONE_SENT}
    return {"value": completed / sent, "completed": completed, "sent": sent, "reason": None}


def _key(row: Any, group_by: str, tz: ZoneInfo) -> str:
    if group_by == "none":
        return "all"
    if group_by in ("month", "quarter"):
        return period_of_day(row.sent_at.astimezone(tz).date(), group_by)
    name = "district" if group_by == "region" else group_by
    return (row.attributes or {}).get(name) or "unknown"


def response_rates(survey: Survey, start: date, end: date, group_by: str) -> dict[str, dict[str, Any]]:
    """{group label: {value, completed, sent, reason}}; "*" is the answer for labels not listed."""
    has_invitations = db.session.scalar(
        select(func.count()).select_from(SurveyInvitation).where(SurveyInvitation.survey_id == survey.id)
    )
    if not has_invitations:
        return {"*": {"value": None, "completed": 0, "sent": 0, "reason": OPEN_LINK}}
    if group_by == "version":
        return {"*": {"value": None, "completed": None, "sent": None, "reason": NOT_KNOWN}}
    lo, hi = period_bounds(start, end)
    rows = db.session.execute(
        select(SurveyInvitation.sent_at, SurveyInvitation.attributes, SurveyResponse.id.label("completed"))
        .outerjoin(
            SurveyResponse,
            and_(
                SurveyResponse.invitation_id == SurveyInvitation.id,
                SurveyResponse.status == ResponseStatus.COMPLETE.value,
            ),
        )
        .where(
            SurveyInvitation.survey_id == survey.id,
            SurveyInvitation.sent_at >= lo,
            SurveyInvitation.sent_at < hi,
        )
    ).all()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    sent: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    for row in rows:
        key = _key(row, group_by, tz)
        sent[key] += 1
        completed[key] += row.completed is not None
    rates = {key: _rate(completed[key], sent[key]) for key in sent}
    if group_by == "none":
        rates.setdefault("all", _rate(0, 0))
    rates["*"] = _rate(0, 0)
    return rates
