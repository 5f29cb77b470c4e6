"""The period of a hot-spot analysis, its baseline windows, and the SQL of which cases count.

A period is [start, end) in local days (app TIMEZONE): a calendar month, or any from/to range.  Its
baseline is the K periods before it: the K previous calendar months, or K back-to-back windows of the
same length.  Each window's exposure is the number of days it actually observed: days before the first
counted case in the database (the service was not live yet) and days after now (a month in progress)
are not part of it, so a partial window compares fairly at its rate per day.

A case counts once, in the window holding its `received_at` (when the citizen raised it), if it is a
problem (complaint, report, help request or suggestion: not an inquiry or praise) and not a merged
duplicate (duplicate_of set): a duplicate is the same demand again, and its original already counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from complaints.models import Case
from complaints.states import Kind
from core.db import db, utcnow
from core.errors import InvalidInput

COUNTED_KINDS = (Kind.COMPLAINT.value, Kind.REPORT.value, Kind.HELP.value, Kind.SUGGESTION.value)
MIN_BASELINE_WINDOWS = 2  # the dispersion of a baseline needs two periods at least
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Window:
    """[start, end) as aware local instants, and the days of it that had data (see module doc)."""

    start: datetime
    end: datetime
    exposure_days: float


@dataclass(frozen=True)
class HotspotPeriod:
    """The analysed period (last window) after its baseline windows (oldest first, exposure > 0)."""

    start: date
    end: date
    monthly: bool
    target: Window
    baseline: tuple[Window, ...]
    requested_baseline: int

    @property
    def windows(self) -> tuple[Window, ...]:
        """Baseline windows then the target: the columns of every count matrix."""
        return (*self.baseline, self.target)

    @property
    def testable(self) -> bool:
        """Enough baseline to test against (MIN_BASELINE_WINDOWS windows with data)."""
        return len(self.baseline) >= MIN_BASELINE_WINDOWS


def local_zone() -> ZoneInfo:
    """The app's TIMEZONE."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after day's month (day is a first of month)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def current_month() -> tuple[date, date]:
    """[first of this local month, first of next)."""
    today = utcnow().astimezone(local_zone()).date()
    first = today.replace(day=1)
    return first, add_months(first, 1)


def local_midnight(day: date) -> datetime:
    """Local midnight at the start of `day`."""
    return datetime.combine(day, time(0), tzinfo=local_zone())


def _window(start: date, end: date, data_start: datetime, now: datetime) -> Window:
    lo, hi = local_midnight(start), local_midnight(end)
    seen = (min(hi, now) - max(lo, data_start)).total_seconds() / SECONDS_PER_DAY
    return Window(lo, hi, max(seen, 0.0))


def _first_counted_case() -> datetime | None:
    return db.session.scalar(select(func.min(Case.received_at)).where(counted_condition()))


def resolve_period(start: date, end: date, monthly: bool, baseline_periods: int) -> HotspotPeriod:
    """The period [start, end) with its `baseline_periods` previous windows; 422 if it has not begun."""
    if start >= end:
        raise InvalidInput("to", "must be after from")
    now = utcnow()
    data_start = _first_counted_case() or local_midnight(start)
    if monthly:
        bounds = [(add_months(start, -i), add_months(start, -i + 1)) for i in range(baseline_periods, 0, -1)]
    else:
        length = end - start
        bounds = [(start - i * length, start - (i - 1) * length) for i in range(baseline_periods, 0, -1)]
    target = _window(start, end, data_start, now)
    field = "month" if monthly else "from"
    if target.start >= now:
        raise InvalidInput(field, "the period has not begun yet")
    if target.exposure_days <= 0:
        raise InvalidInput(field, "the period ends before the first case on record")
    baseline = tuple(w for w in (_window(a, b, data_start, now) for a, b in bounds) if w.exposure_days > 0)
    return HotspotPeriod(start, end, monthly, target, baseline, baseline_periods)


def counted_condition(entity: type[Case] = Case) -> ColumnElement[bool]:
    """Cases (of `entity`, Case or an alias of it) that count: problem kinds, not merged duplicates."""
    return and_(entity.kind.in_(COUNTED_KINDS), entity.duplicate_of_id.is_(None))


def in_windows(period: HotspotPeriod) -> ColumnElement[bool]:
    """Counted cases received from the first window's start to the period's end."""
    first = period.windows[0].start
    return and_(counted_condition(), Case.received_at >= first, Case.received_at < period.target.end)


def in_target(period: HotspotPeriod) -> ColumnElement[bool]:
    """Counted cases received in the analysed period."""
    return and_(
        counted_condition(), Case.received_at >= period.target.start, Case.received_at < period.target.end
    )


def window_index(period: HotspotPeriod) -> ColumnElement[int]:
    """The column (0 = oldest baseline window, last = the period) of a case's received_at.

    Windows are contiguous, so one CASE of upper bounds buckets every case in SQL on both databases.
    """
    return case(*((Case.received_at < w.end, i) for i, w in enumerate(period.windows)), else_=None)


def month_windows(last_month_start: date, months: int) -> list[tuple[datetime, datetime]]:
    """The `months` local calendar months ending with the one starting last_month_start, oldest first."""
    firsts = [add_months(last_month_start, -i) for i in range(months - 1, -1, -1)]
    return [(local_midnight(first), local_midnight(add_months(first, 1))) for first in firsts]


def last_month_of(period: HotspotPeriod) -> date:
    """The first day of the month holding the period's last day."""
    return (period.end - timedelta(days=1)).replace(day=1)


def count_if(condition: ColumnElement) -> ColumnElement:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END): the same SQL on SQLite and PostgreSQL."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def earlier_case_by_same_complainant(*same: str) -> ColumnElement[bool]:
    """EXISTS an earlier counted case of this case's complainant (mobile) agreeing on the `same` columns."""
    prior = aliased(Case)
    return exists().where(
        prior.complainant_mobile == Case.complainant_mobile,
        *(getattr(prior, column) == getattr(Case, column) for column in same),
        counted_condition(prior),
        or_(
            prior.received_at < Case.received_at,
            and_(prior.received_at == Case.received_at, prior.id < Case.id),
        ),
    )
