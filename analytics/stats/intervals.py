"""Confidence intervals: normal, Student t, logit and Wilson (score) for survey estimates.

For proportions the Wilson and logit intervals stay inside [0, 1] near the boundaries; with survey
data they use the effective sample size n* = p(1 - p) / se^2 with Korn & Graubard's (1998)
degrees-of-freedom adjustment, as ``svy`` does (Korn & Graubard 1998, Survey Methodology
24:193-201; Franco, Little, Louis & Slud 2019, JSSAM 7:334-364).
"""

from __future__ import annotations

import math

from scipy import stats

from ._validate import StatsInputError, check_choice, check_probability

CI_METHODS = ("t", "normal", "logit", "wilson")


def critical_value(confidence: float, df: float | None) -> float:
    """Two-sided critical value: Student t with ``df`` degrees of freedom, or normal when df is None/inf."""
    check_probability(confidence, "confidence")
    q = 0.5 + confidence / 2
    if df is None or math.isinf(df):
        return float(stats.norm.ppf(q))
    if df <= 0:
        raise StatsInputError(
            f"no degrees of freedom left for a t interval (df={df}); use ci='normal' or suppress small cells"
        )
    return float(stats.t.ppf(q, df))


def wald_interval(estimate: float, se: float, confidence: float, df: float | None) -> tuple[float, float]:
    """estimate -/+ c se with c the t (df) or normal critical value."""
    c = critical_value(confidence, df)
    return estimate - c * se, estimate + c * se


def logit_interval(p: float, se: float, confidence: float, df: float | None) -> tuple[float, float]:
    """Logit interval: expit(logit p -/+ c se / (p (1 - p))); needs 0 < p < 1 (R svyciprop 'logit')."""
    if not 0.0 < p < 1.0:
        raise StatsInputError(f"the logit interval is undefined at p={p:g}; use the Wilson interval")
    if se == 0:
        return p, p
    c = critical_value(confidence, df)
    half = c * se / (p * (1 - p))
    lp = math.log(p / (1 - p))
    return 1 / (1 + math.exp(-(lp - half))), 1 / (1 + math.exp(-(lp + half)))


def wilson_interval(p: float, se: float, n: int, confidence: float, df: float | None) -> tuple[float, float]:
    """Wilson score interval with the design's effective sample size.

    n* = p(1 - p)/se^2, times (t_{n-1} / t_df)^2 when df is finite (Korn & Graubard 1998); at
    p = 0 or 1 (or se = 0) the design carries no variance information, so n* = n (deff 1).
    centre = (p + c^2 / 2n*) / (1 + c^2/n*), half = c / (1 + c^2/n*) sqrt(p(1-p)/n* + c^2/4n*^2).
    """
    if not 0.0 <= p <= 1.0:
        raise StatsInputError(f"a proportion must lie in [0, 1], got {p:g}")
    if n < 1:
        raise StatsInputError("the Wilson interval needs at least one respondent")
    c = critical_value(confidence, df)
    if 0.0 < p < 1.0 and se > 0:
        n_eff = p * (1 - p) / se**2
        if df is not None and not math.isinf(df) and n > 1:
            n_eff *= (stats.t.ppf(0.5 + confidence / 2, n - 1) / c) ** 2
    else:
        n_eff = float(n)
    c2 = c * c
    denom = 1 + c2 / n_eff
    centre = (p + c2 / (2 * n_eff)) / denom
    half = (c / denom) * math.sqrt(p * (1 - p) / n_eff + c2 / (4 * n_eff * n_eff))
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(
    method: str, estimate: float, se: float, confidence: float, df: float | None, n: int
) -> tuple[float, float, str]:
    """Dispatch to an interval method; returns (low, high, method actually used).

    A logit interval at p = 0 or 1 is undefined, so it falls back to Wilson and says so in the
    returned method name.
    """
    check_choice(method, "ci", CI_METHODS)
    if method == "t":
        return (*wald_interval(estimate, se, confidence, df), "t")
    if method == "normal":
        return (*wald_interval(estimate, se, confidence, None), "normal")
    if method == "logit" and 0.0 < estimate < 1.0:
        return (*logit_interval(estimate, se, confidence, df), "logit")
    return (*wilson_interval(estimate, se, n, confidence, df), "wilson")
