"""The most complained-about businesses (by unified social credit code) of a period, with repeat rates.

Definitions (counted cases only, see hotspot_periods):
- cases: the business's cases received in the period;
- complainants: distinct complainants among them, a complainant being a stored (normalised) mobile
  number; cases without a mobile (anonymous reports, e-mail only) are cases but no complainant;
- repeat case: a case whose complainant had already raised a counted case about the same credit code
  before it (earlier received_at, or the same instant and a lower id), at any time, also before the
  period; repeat rate = repeat cases / cases;
- active months: local calendar months, of the 12 ending with the period's last month, in which the
  business had at least one case;
- satisfaction: rated cases of the period whose rating is among their policy's satisfied ratings,
  over rated cases.
Complainants are compared inside the database, in the EXISTS of one GROUP BY query: no mobile number
or other complainant field is ever selected, so none can reach the output.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select

from analytics.services.hotspot_periods import (
    HotspotPeriod,
    count_if,
    counted_condition,
    earlier_case_by_same_complainant,
    in_target,
    last_month_of,
    month_windows,
)
from analytics.services.hotspots import most_common_spelling
from analytics.services.kpi_sql import satisfied_condition
from complaints.models import Case
from core.db import db

ACTIVE_MONTHS = 12


@dataclass(frozen=True)
class Business:
    """One business's complaint profile in the period (no complainant data)."""

    credit_code: str
    name: str | None
    cases: int
    complainants: int
    repeat_cases: int
    repeat_rate: float
    active_months: int
    rated: int
    satisfied: int
    satisfaction_rate: float | None


def _month_buckets(period: HotspotPeriod) -> tuple[ColumnElement, tuple]:
    months = month_windows(last_month_of(period), ACTIVE_MONTHS)
    bucket = case(*((Case.received_at < end, i) for i, (_, end) in enumerate(months)), else_=None)
    return bucket, (months[0][0], months[-1][1])


def rank_businesses(period: HotspotPeriod, limit: int) -> list[Business]:
    """The `limit` credit codes with the most cases in the period (ties by code), with their profile."""
    code = Case.respondent_credit_code
    top = db.session.execute(
        select(
            code,
            func.count(Case.id).label("cases"),
            func.count(func.distinct(Case.complainant_mobile)).label("complainants"),
            count_if(earlier_case_by_same_complainant("respondent_credit_code")).label("repeats"),
            count_if(Case.rating.is_not(None)).label("rated"),
            count_if(satisfied_condition()).label("satisfied"),
        )
        .where(in_target(period), code.is_not(None))
        .group_by(code)
        .order_by(func.count(Case.id).desc(), code)
        .limit(limit)
    ).all()
    codes = [row.respondent_credit_code for row in top]
    if not codes:
        return []
    bucket, (lo, hi) = _month_buckets(period)
    active = dict(
        db.session.execute(
            select(code, func.count(func.distinct(bucket)))
            .where(counted_condition(), code.in_(codes), Case.received_at >= lo, Case.received_at < hi)
            .group_by(code)
        ).all()
    )
    spellings: dict[str, Counter] = defaultdict(Counter)
    for row in db.session.execute(
        select(code, Case.respondent_name, func.count(Case.id).label("n"))
        .where(in_target(period), code.in_(codes), Case.respondent_name.is_not(None))
        .group_by(code, Case.respondent_name)
    ):
        spellings[row.respondent_credit_code][row.respondent_name] += row.n
    return [
        Business(
            credit_code=row.respondent_credit_code,
            name=most_common_spelling(spellings[row.respondent_credit_code]),
            cases=row.cases,
            complainants=row.complainants,
            repeat_cases=int(row.repeats),
            repeat_rate=round(int(row.repeats) / row.cases, 6),
            active_months=int(active.get(row.respondent_credit_code, 0)),
            rated=int(row.rated),
            satisfied=int(row.satisfied),
            satisfaction_rate=round(int(row.satisfied) / int(row.rated), 6) if row.rated else None,
        )
        for row in top
    ]
