"""Rising units: categories, respondents and districts whose count in a period is significantly above
their own baseline (analytics.stats.excess_count_tests, BH q-values within one dimension).

Counting is one GROUP BY (unit, window) query over `cases` (see hotspot_periods for what counts and
when); Python only sees one row per unit and window.  A respondent is its unified social credit code
when the case has one, else its name normalised (NFKC, no white space, case-folded), so "某某商行" and
"某某商行 " are one unit; names without any code are never merged into a code.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select

from analytics.services.hotspot_periods import HotspotPeriod, in_windows, window_index
from analytics.stats import bh_qvalues, excess_count_tests
from complaints.models import Case, Category
from core.db import db
from core.regions import Region

DIMENSIONS = {"category": "类别", "respondent": "被投诉方", "region": "区域"}


@dataclass(frozen=True)
class UnitTest:
    """One unit's count in the period against its baseline (None when the baseline is too short)."""

    observed: int
    baseline_mean: float | None  # baseline rate per day x the period's days
    ratio: float | None
    p_value: float | None
    q_value: float | None
    method: str | None
    dispersion: float | None


@dataclass(frozen=True)
class RisingUnit:
    """A unit of a dimension with its test and whether it is flagged as a hot spot."""

    key: str
    name: str | None
    test: UnitTest
    flagged: bool


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def assess_units(counts: dict[Hashable, np.ndarray], period: HotspotPeriod) -> dict[Hashable, UnitTest]:
    """Excess-count test of every unit's last column against its baseline columns, BH over all units."""
    keys = list(counts)
    if not keys:
        return {}
    matrix = np.vstack([counts[k] for k in keys])
    observed = matrix[:, -1]
    if not period.testable:
        return {
            k: UnitTest(int(y), None, None, None, None, None, None)
            for k, y in zip(keys, observed, strict=True)
        }
    res = excess_count_tests(
        observed,
        matrix[:, :-1],
        exposure=period.target.exposure_days,
        baseline_exposure=[w.exposure_days for w in period.baseline],
    )
    q = bh_qvalues(res.p_value)
    return {
        key: UnitTest(
            observed=int(observed[i]),
            baseline_mean=round(float(res.expected[i]), 6),
            ratio=_optional(res.ratio[i]),
            p_value=float(res.p_value[i]),
            q_value=float(q[i]),
            method=str(res.method[i]),
            dispersion=_optional(res.dispersion[i]),
        )
        for i, key in enumerate(keys)
    }


def count_by_window(period: HotspotPeriod, *keys: ColumnElement, where: ColumnElement | None = None) -> dict:
    """{(key values): counts per window} for counted cases, by one GROUP BY (keys, window) query."""
    index = window_index(period).label("window")
    query = (
        select(*keys, index, func.count(Case.id).label("n")).where(in_windows(period)).group_by(*keys, index)
    )
    if where is not None:
        query = query.where(where)
    counts: dict = defaultdict(lambda: np.zeros(len(period.windows)))
    for row in db.session.execute(query):
        counts[tuple(row[: len(keys)])][row.window] += row.n
    return counts


def normalize_respondent_name(name: str) -> str:
    """NFKC (full-width to half-width), white space removed, case-folded."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def most_common_spelling(spellings: Counter) -> str | None:
    """The most frequent name (ties: the first in code-point order), None when there is none."""
    return min(spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0] if spellings else None


def _respondent_counts(period: HotspotPeriod) -> tuple[dict, dict[str, str]]:
    """Counts per respondent key and each key's display name (its most frequent spelling)."""
    raw = count_by_window(
        period,
        Case.respondent_credit_code,
        Case.respondent_name,
        where=or_(Case.respondent_credit_code.is_not(None), Case.respondent_name.is_not(None)),
    )
    counts: dict = defaultdict(lambda: np.zeros(len(period.windows)))
    spellings: dict[str, Counter] = defaultdict(Counter)
    for (code, name), row in raw.items():
        key = code or normalize_respondent_name(name)
        if not key:
            continue
        counts[key] += row
        if name:
            spellings[key][name] += int(row.sum())
    names = {key: most_common_spelling(c) for key, c in spellings.items()}
    return counts, names


def category_names(codes: Iterable[str]) -> dict[str, str]:
    """{category code: name} for these codes."""
    return dict(
        db.session.execute(select(Category.code, Category.name).where(Category.code.in_(set(codes)))).all()
    )


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """{region code: name} for these codes."""
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(set(codes)))).all())


def unit_counts(period: HotspotPeriod, dimension: str) -> tuple[dict, dict[str, str]]:
    """({unit key: counts per window}, {unit key: display name}) of one dimension."""
    if dimension == "respondent":
        return _respondent_counts(period)
    column = Case.category_code if dimension == "category" else Case.region_code
    counts = {key[0]: row for key, row in count_by_window(period, column).items()}
    names = category_names(counts) if dimension == "category" else region_names(counts)
    return counts, names


def is_flagged(test: UnitTest, alpha: float, min_count: int) -> bool:
    """q < alpha and at least min_count cases in the period."""
    return test.q_value is not None and test.q_value < alpha and test.observed >= min_count


def find_rising_units(
    period: HotspotPeriod, dimension: str, alpha: float, min_count: int
) -> list[RisingUnit]:
    """Every unit of `dimension` with cases in the period or its baseline, tested, sorted by q then p."""
    counts, names = unit_counts(period, dimension)
    tests = assess_units(counts, period)
    units = [RisingUnit(key, names.get(key), t, is_flagged(t, alpha, min_count)) for key, t in tests.items()]
    units.sort(
        key=lambda u: (
            1.0 if u.test.q_value is None else u.test.q_value,
            1.0 if u.test.p_value is None else u.test.p_value,
            -u.test.observed,
            u.key,
        )
    )
    return units
