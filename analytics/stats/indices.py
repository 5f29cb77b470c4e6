"""0-100 construct indices, composite indicators, target tests, importance-performance quadrants,
and small-cell suppression.

ACSI index (Fornell, Johnson, Anderson, Cha & Bryant 1996, J. Marketing 60:7-18): normalise the
unstandardised outer weights v_k = w_k / sum w, apply them to the (survey-weighted) item means,
rescale with the questionnaire's own ends: I = 100 (sum_k v_k xbar_k - lo) / (hi - lo).  With v
fixed, I is a linear function of the weighted mean of s_i = sum_k v_k x_ik, so its linearised SE is
100 / (hi - lo) times that mean's SE.  Composite indicators: C = sum a_j I_j with
Var C = a' Sigma a (OECD/JRC 2008, *Handbook on Constructing Composite Indicators*).
IPA: Martilla & James (1977), J. Marketing 41:77-79, importance = total effects.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._validate import (
    FloatArray,
    StatsInputError,
    as_matrix,
    check_choice,
    check_probability,
    factorize,
    fmt,
)
from .estimation import Estimate, Suppressed, weighted_mean
from .intervals import critical_value


@dataclass(frozen=True)
class IndexEstimate:
    """A 0-100 index with its SE and CI (CI clipped to [0, 100]) and the item weights used."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    df: int
    n: int
    effective_n: float
    deff: float | None
    item_weights: tuple[float, ...]
    item_means: tuple[float, ...]
    scale: tuple[float, float]
    domain: Hashable | None = None


def _index_from(est: Estimate, v: FloatArray, means: FloatArray, lo: float, hi: float) -> IndexEstimate:
    k = 100.0 / (hi - lo)
    return IndexEstimate(
        estimate=float(np.clip(k * (est.estimate - lo), 0.0, 100.0)),
        se=k * est.se,
        ci_low=float(np.clip(k * (est.ci_low - lo), 0.0, 100.0)),
        ci_high=float(np.clip(k * (est.ci_high - lo), 0.0, 100.0)),
        confidence=est.confidence,
        ci_method=est.ci_method,
        df=est.df,
        n=est.n,
        effective_n=est.effective_n,
        deff=est.deff,
        item_weights=tuple(v.tolist()),
        item_means=tuple(means.tolist()),
        scale=(lo, hi),
        domain=est.domain,
    )


def construct_index(
    items: ArrayLike,
    item_weights: ArrayLike | None = None,
    *,
    scale: tuple[float, float],
    survey_weights: Any = None,
    **options: Any,
) -> IndexEstimate | Suppressed | dict:
    """ACSI-style 0-100 index of a construct from its items (respondents x items).

    ``item_weights``: unstandardised outer weights (e.g. ``PLSResult.raw_weights`` of the block),
    normalised here to sum 1; equal weights when omitted.  ``scale`` = the questionnaire's ends
    (lo, hi), e.g. (1, 5) or (0, 10), not the observed range.  ``survey_weights`` and the other
    ``options`` (strata, psu, fpc, calibration, by, domain, confidence, min_n ...) go to
    ``weighted_mean``; a ``by`` gives a dict of indices per domain.
    I = 100 (sum_k v_k xbar_k - lo) / (hi - lo), SE(I) = 100 SE(mean of s_i = sum_k v_k x_ik) / (hi - lo)
    (Fornell et al. 1996, ACSI methodology).
    """
    x = as_matrix(items, "items")
    lo, hi = float(scale[0]), float(scale[1])
    if not hi > lo:
        raise StatsInputError(f"scale must be (low, high) with low < high, got {scale}")
    if x.min() < lo or x.max() > hi:
        raise StatsInputError(f"item values fall outside the scale ends ({lo:g}, {hi:g})")
    w = np.ones(x.shape[1]) if item_weights is None else np.asarray(item_weights, dtype=float)
    if w.shape != (x.shape[1],) or not np.isfinite(w).all():
        raise StatsInputError(f"item_weights must be {x.shape[1]} finite numbers")
    if (w < 0).any() or w.sum() <= 0:
        raise StatsInputError("item weights must be non-negative with a positive sum (ACSI normalisation)")
    v = w / w.sum()
    sw = np.ones(x.shape[0]) if survey_weights is None else survey_weights
    result = weighted_mean(x @ v, sw, **options)
    ws = np.asarray(sw.weights if hasattr(sw, "weights") else sw, dtype=float)

    base = np.ones(x.shape[0], bool)
    if options.get("domain") is not None:
        base &= np.asarray(options["domain"], dtype=bool)
    wb = np.where(base, ws, 0.0)

    def make(est: Estimate | Suppressed, means: FloatArray) -> IndexEstimate | Suppressed:
        return est if isinstance(est, Suppressed) else _index_from(est, v, means, lo, hi)

    if not isinstance(result, dict):
        return make(result, (wb @ x) / wb.sum())
    # item means of every by-group in one pass per item (no per-group copies of the item matrix)
    codes, levels = factorize(options["by"], "by", x.shape[0])
    den = np.bincount(codes, weights=wb, minlength=len(levels))
    sums = np.column_stack(
        [np.bincount(codes, weights=wb * x[:, k], minlength=len(levels)) for k in range(x.shape[1])]
    )
    return {lv: make(result[lv], sums[i] / den[i]) for i, lv in enumerate(levels)}


@dataclass(frozen=True)
class CompositeEstimate:
    """A weighted composite of indicators with its propagated SE and normal CI."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    weights: tuple[float, ...]


def composite_indicator(
    values: Sequence[float | Estimate | IndexEstimate],
    weights: ArrayLike,
    *,
    se: ArrayLike | None = None,
    covariance: ArrayLike | None = None,
    confidence: float = 0.95,
    normalise: bool = True,
) -> CompositeEstimate:
    """Composite C = sum_j a_j I_j with Var C = a' Sigma a.

    Sigma is ``covariance`` when given, else diag(se^2) (indicators treated as independent, e.g.
    from separate surveys); estimates passed as Estimate/IndexEstimate supply their own SE.
    Weights are normalised to sum 1 unless ``normalise=False``.
    """
    check_probability(confidence, "confidence")
    est = np.array([getattr(v, "estimate", v) for v in values], dtype=float)
    a = np.asarray(weights, dtype=float)
    if a.shape != est.shape or not np.isfinite(a).all() or not np.isfinite(est).all():
        raise StatsInputError("values and weights must be finite and of equal length")
    if normalise:
        if a.sum() == 0:
            raise StatsInputError("weights sum to zero")
        a = a / a.sum()
    if covariance is not None:
        cov = np.asarray(covariance, dtype=float)
        if cov.shape != (est.size, est.size):
            raise StatsInputError(f"covariance must be {est.size} x {est.size}")
    else:
        s = (
            np.array([getattr(v, "se", np.nan) for v in values], dtype=float)
            if se is None
            else np.asarray(se, float)
        )
        if s.shape != est.shape or not np.isfinite(s).all():
            raise StatsInputError("give an SE for every indicator (or pass Estimate objects or a covariance)")
        cov = np.diag(s**2)
    var = float(a @ cov @ a)
    if var < 0:
        raise StatsInputError("the covariance matrix is not positive semi-definite")
    c = float(a @ est)
    z = critical_value(confidence, None)
    sd = float(np.sqrt(var))
    return CompositeEstimate(c, sd, c - z * sd, c + z * sd, confidence, tuple(a.tolist()))


@dataclass(frozen=True)
class TargetTest:
    """Is the target met (point estimate) and is that conclusive (CI excludes the target)?"""

    estimate: float
    target: float
    met: bool
    ci_low: float
    ci_high: float
    ci_excludes_target: bool
    conclusion: str  # "significantly above", "significantly below" or "not significantly different"
    p_value: float  # one-sided, H0: the true value does not meet the target


def target_test(
    estimate: Estimate | IndexEstimate | CompositeEstimate | float,
    target: float,
    *,
    se: float | None = None,
    df: float | None = None,
    confidence: float = 0.95,
    direction: str = "at_least",
) -> TargetTest:
    """Compare an estimate with a target such as "satisfaction index >= 80".

    met = estimate >= target ("at_least") or <= target ("at_most"); the two-sided CI
    estimate -/+ c se (t with ``df``, else normal) decides whether the difference is conclusive;
    p_value is the one-sided p of H0 "target not met": t = (estimate - target)/se.
    """
    check_choice(direction, "direction", ("at_least", "at_most"))
    value = float(getattr(estimate, "estimate", estimate))
    s = float(getattr(estimate, "se", se) if se is None else se)
    if df is None:
        df = getattr(estimate, "df", None)
    if s is None or not np.isfinite(s) or s < 0:
        raise StatsInputError("target_test needs a finite standard error")
    c = critical_value(confidence, df)
    lo, hi = value - c * s, value + c * s
    excludes = bool(lo > target or hi < target)
    conclusion = (
        "significantly above"
        if lo > target
        else "significantly below"
        if hi < target
        else ("not significantly different")
    )
    sign = 1.0 if direction == "at_least" else -1.0
    if s == 0:
        p = 0.0 if sign * (value - target) > 0 else 1.0
    else:
        t = sign * (value - target) / s
        p = float(stats.norm.sf(t) if df is None else stats.t.sf(t, df))
    met = value >= target if direction == "at_least" else value <= target
    return TargetTest(value, float(target), bool(met), lo, hi, excludes, conclusion, p)


@dataclass(frozen=True)
class IPAPoint:
    """One construct in the importance-performance map."""

    name: str
    importance: float
    performance: float
    quadrant: str


QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}


def ipa_quadrants(
    importance: Mapping[str, float],
    performance: Mapping[str, float],
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> list[IPAPoint]:
    """Importance-performance quadrants; cuts default to the means of the plotted constructs.

    High importance + low performance = "concentrate here" (Martilla & James 1977).
    """
    names = [k for k in importance if k in performance]
    missing = sorted(set(importance) ^ set(performance))
    if missing:
        raise StatsInputError(f"constructs {', '.join(map(fmt, missing))} lack importance or performance")
    if not names:
        raise StatsInputError("no constructs to plot")
    imp = np.array([importance[k] for k in names], float)
    perf = np.array([performance[k] for k in names], float)
    ic = float(imp.mean()) if importance_cut is None else float(importance_cut)
    pc = float(perf.mean()) if performance_cut is None else float(performance_cut)
    return [
        IPAPoint(k, float(i), float(p), QUADRANTS[(bool(i >= ic), bool(p >= pc))])
        for k, i, p in zip(names, imp, perf, strict=True)
    ]


def importance_from_pls(result: Any, target: str) -> dict[str, float]:
    """Importance of each construct for ``target``: its total effect in a fitted PLS model."""
    if target not in result.lv_names:
        raise StatsInputError(f"{target!r} is not a latent variable of the model")
    out = {a: e for (a, b), e in result.total_effects.items() if b == target}
    if not out:
        raise StatsInputError(f"no construct has an effect on {target!r}")
    return out


def suppress(estimates: Any, min_n: int) -> Any:
    """Small-cell suppression: replace estimates with n < min_n by ``Suppressed`` (dicts too)."""
    if min_n < 1:
        raise StatsInputError("min_n must be at least 1")
    if isinstance(estimates, Mapping):
        return {k: suppress(v, min_n) for k, v in estimates.items()}
    if isinstance(estimates, Suppressed) or estimates.n >= min_n:
        return estimates
    return Suppressed(
        getattr(estimates, "domain", None),
        estimates.n,
        min_n,
        f"n={estimates.n} is below the minimum of {min_n}",
    )
