"""Weighted means, totals and proportions with design-based standard errors, overall or by domain.

Mean: ybar = sum w y / sum w with linearisation variable u_i = (y_i - ybar) / sum w; total:
Y = sum w y with u_i = y_i (Woodruff 1971; Lumley 2010 ch. 2-3).  Domains keep the full design:
u is zero outside the domain (Lumley 2010 sec. 2.3.1).  Variance by ``design.variance`` (strata,
PSUs, fpc, calibration residuals) or replicate weights (``replicates``).  Verified against the
published R survey output and the ``svy`` package in the tests.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import replicates as _rep
from ._validate import (
    FloatArray,
    StatsInputError,
    as_weights,
    check_choice,
    check_probability,
    factorize,
    fmt,
    vdot,
)
from .design import (
    CalibrationSweep,
    Design,
    build_design,
    calibration_sweep,
    score_psu_totals,
    variance_of_totals,
)
from .intervals import CI_METHODS, interval
from .weighting import CalibrationInfo


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate with its standard error and confidence interval.

    ``n`` respondents with positive weight in the domain, ``weight_sum`` their estimated
    population, ``deff`` the design effect against simple random sampling without replacement
    (None when y has no variance), ``effective_n`` = n / deff, ``df`` the degrees of freedom
    used by t-based intervals.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    ci_method: str
    df: int
    n: int
    weight_sum: float
    effective_n: float
    deff: float | None
    variance_method: str
    calibrated: bool
    domain: Hashable | None = None

    @property
    def cv(self) -> float | None:
        """Coefficient of variation se / |estimate| (None at estimate 0)."""
        return None if self.estimate == 0 else self.se / abs(self.estimate)


@dataclass(frozen=True)
class Suppressed:
    """A small cell: no estimate is published because n < min_n."""

    domain: Hashable | None
    n: int
    min_n: int
    reason: str


@dataclass(frozen=True, eq=False)
class _Inputs:
    y: FloatArray
    w: FloatArray
    valid: np.ndarray
    design: Design
    calibration: CalibrationInfo | None
    sweep: CalibrationSweep | None


def _resolve_weights(
    weights: Any, calibration: CalibrationInfo | None
) -> tuple[FloatArray, CalibrationInfo | None]:
    """Accept plain weights or a WeightingResult / TrimResult (which carry their calibration)."""
    if hasattr(weights, "weights") and hasattr(weights, "calibration"):
        calibration = calibration if calibration is not None else weights.calibration
        weights = weights.weights
    w = as_weights(weights)
    if calibration is not None and (
        calibration.weights.shape != w.shape or not np.allclose(calibration.weights, w, rtol=1e-12, atol=0)
    ):
        raise StatsInputError(
            "the calibration record does not describe these weights (were they changed after calibration?)"
        )
    return w, calibration


def _inputs(
    y: ArrayLike,
    weights: Any,
    calibration: CalibrationInfo | None,
    strata: ArrayLike | None,
    psu: ArrayLike | None,
    fpc: ArrayLike | None,
    singleton: str,
    missing: str,
) -> _Inputs:
    check_choice(missing, "missing", ("raise", "exclude"))
    w, calibration = _resolve_weights(weights, calibration)
    yy = np.asarray(y, dtype=np.float64)
    if yy.ndim != 1 or yy.shape[0] != w.shape[0]:
        raise StatsInputError(f"y must be one-dimensional with {w.shape[0]} values, got shape {yy.shape}")
    valid = np.isfinite(yy)
    if not valid.all():
        if missing == "raise":
            raise StatsInputError(
                f"y has {int((~valid).sum())} missing values; pass missing='exclude' to leave them out of "
                "the estimate while keeping the design"
            )
        yy = np.where(valid, yy, 0.0)
    design = build_design(w.shape[0], strata, psu, fpc, singleton)
    return _Inputs(yy, w, valid, design, calibration, calibration_sweep(design, calibration))


def _point(kind: str, w: FloatArray, y: FloatArray) -> tuple[float, FloatArray, float]:
    """Point estimate and linearisation variable u on the domain's rows (zero where w = 0, as R)."""
    n_hat = float(w.sum())
    if kind == "total":
        return float(vdot(w, y)), np.where(w > 0, y, 0.0), n_hat
    est = float(vdot(w, y) / n_hat)
    return est, np.where(w > 0, (y - est) / n_hat, 0.0), n_hat


def _deff(kind: str, w: FloatArray, y: FloatArray, n_hat: float, var: float, n: int) -> float | None:
    """Design effect vs SRS without replacement, as R's svymean/svytotal(deff=TRUE)."""
    if n < 2:
        return None
    ybar = float(vdot(w, y) / n_hat)
    s2 = float(vdot(w, (y - ybar) ** 2) / n_hat * n / (n - 1))
    v_srs = s2 / n * max(0.0, (n_hat - n) / n_hat)
    if kind == "total":
        v_srs *= n_hat**2
    return None if v_srs <= 0 else float(var / v_srs)


def _domain_df(design: Design, rows: np.ndarray) -> int:
    """PSUs holding domain members minus strata holding them (svy's domain degrees of freedom)."""
    has = np.bincount(design.psu[rows], minlength=design.n_psu) > 0  # O(n), no sort
    strata = np.bincount(design.psu_stratum[has], minlength=design.psu_per_stratum.shape[0]) > 0
    return int(has.sum() - strata.sum())


def _variance(kind: str, inp: _Inputs, rows: np.ndarray, est: float, u: FloatArray, opts: _Options) -> float:
    if opts.variance == "linearization":
        return float(
            variance_of_totals(inp.design, score_psu_totals(inp.design, inp.sweep, rows, inp.w[rows], u))
        )
    mask = np.zeros(inp.w.shape[0], dtype=bool)
    mask[rows] = True
    return _rep.replicate_variance(
        kind,
        inp.y,
        inp.w,
        mask,
        inp.design,
        inp.calibration,
        est,
        method=opts.variance,
        n_replicates=opts.replicates,
        seed=opts.seed,
        mse=opts.mse,
    )


def _one(
    kind: str, inp: _Inputs, rows: np.ndarray, opts: _Options, domain: Hashable | None
) -> Estimate | Suppressed:
    w, y = inp.w[rows], inp.y[rows]
    n = int(np.count_nonzero(w > 0))
    if opts.min_n is not None and n < opts.min_n:
        return Suppressed(domain, n, opts.min_n, f"n={n} is below the minimum of {opts.min_n}")
    if n == 0:
        where = "" if domain is None else f" {fmt(domain)}"
        raise StatsInputError(f"domain{where} has no respondents with a positive weight")
    est, u, n_hat = _point(kind, w, y)
    se = float(np.sqrt(max(_variance(kind, inp, rows, est, u, opts), 0.0)))
    df = inp.design.df if rows.shape[0] == inp.w.shape[0] else _domain_df(inp.design, rows)
    low, high, used = interval(opts.ci, est, se, opts.confidence, None if opts.ci == "normal" else df, n)
    deff = _deff(kind, w, y, n_hat, se**2, n)
    return Estimate(
        estimate=est,
        se=se,
        ci_low=float(low),
        ci_high=float(high),
        confidence=opts.confidence,
        ci_method=used,
        df=df,
        n=n,
        weight_sum=n_hat,
        effective_n=float(n if deff is None or deff == 0 else n / deff),
        deff=deff,
        variance_method=opts.variance,
        calibrated=inp.calibration is not None,
        domain=domain,
    )


@dataclass(frozen=True)
class _Options:
    confidence: float
    ci: str
    variance: str
    replicates: int
    seed: int | None
    mse: bool
    min_n: int | None


def _estimate(
    kind: str,
    y: ArrayLike,
    weights: Any,
    design: dict[str, Any],
    by: ArrayLike | None,
    domain: ArrayLike | None,
    opts: dict[str, Any],
) -> Estimate | Suppressed | dict[Hashable, Estimate | Suppressed]:
    check_probability(opts["confidence"], "confidence")
    check_choice(opts["ci"], "ci", CI_METHODS)
    check_choice(opts["variance"], "variance", _rep.VARIANCE_METHODS)
    if kind == "total" and opts["ci"] in ("logit", "wilson"):
        raise StatsInputError("logit and Wilson intervals are for proportions; use ci='t' or 'normal'")
    if opts["min_n"] is not None and opts["min_n"] < 1:
        raise StatsInputError("min_n must be at least 1")
    options = _Options(**opts)
    inp = _inputs(y, weights, **design)
    base = inp.valid.copy()
    if domain is not None:
        dm = np.asarray(domain)
        if dm.dtype != bool or dm.shape != base.shape:
            raise StatsInputError(f"domain must be a boolean mask with {base.shape[0]} values")
        base &= dm
    if by is None:
        return _one(kind, inp, np.flatnonzero(base), options, None)
    codes, levels = factorize(by, "by", inp.w.shape[0])
    return {
        lv: _one(kind, inp, np.flatnonzero(base & (codes == i)), options, lv) for i, lv in enumerate(levels)
    }


def weighted_mean(
    y: ArrayLike,
    weights: Any,
    *,
    strata: ArrayLike | None = None,
    psu: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    calibration: CalibrationInfo | None = None,
    by: ArrayLike | None = None,
    domain: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: str = "t",
    variance: str = "linearization",
    replicates: int = 200,
    seed: int | None = None,
    mse: bool = False,
    singleton: str = "error",
    missing: str = "raise",
    min_n: int | None = None,
) -> Estimate | Suppressed | dict[Hashable, Estimate | Suppressed]:
    """Weighted mean ybar = sum w_i y_i / sum w_i with a design-based standard error.

    ``weights``: design weights, or a ``rake``/``poststratify``/``trim_weights`` result (which
    supplies ``calibration``).  strata, psu (nested in strata), fpc (N_h per respondent, or
    sampling fractions): the design.  by: domain labels -> dict of estimates; domain: boolean
    subpopulation mask.  ci: "t" (df = PSUs - strata), "normal", "logit", "wilson".  variance:
    "linearization", "jackknife" (JKn) or "bootstrap" (Rao-Wu; ``replicates``, ``seed``); mse
    centres replicates on the estimate instead of their mean.  singleton: "error" / "center" /
    "skip" for one-PSU strata.  missing: "raise" or "exclude" (rows leave the estimate, the design
    stays).  min_n: domains with fewer respondents come back as ``Suppressed``.
    Linearised V = sum_h (1-f_h) n_h/(n_h-1) sum_j (z_hj - zbar_h)^2 with z the PSU totals of
    w_i (y_i - ybar)/sum w (calibration residuals after raking / post-stratification).
    References: Woodruff (1971); Wolter (2007) ch. 6; Lumley (2010) ch. 2-3 and 7 (R survey).
    """
    design = {
        "calibration": calibration,
        "strata": strata,
        "psu": psu,
        "fpc": fpc,
        "singleton": singleton,
        "missing": missing,
    }
    opts = {
        "confidence": confidence,
        "ci": ci,
        "variance": variance,
        "replicates": replicates,
        "seed": seed,
        "mse": mse,
        "min_n": min_n,
    }
    return _estimate("mean", y, weights, design, by, domain, opts)


def weighted_total(
    y: ArrayLike,
    weights: Any,
    *,
    strata: ArrayLike | None = None,
    psu: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    calibration: CalibrationInfo | None = None,
    by: ArrayLike | None = None,
    domain: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: str = "t",
    variance: str = "linearization",
    replicates: int = 200,
    seed: int | None = None,
    mse: bool = False,
    singleton: str = "error",
    missing: str = "raise",
    min_n: int | None = None,
) -> Estimate | Suppressed | dict[Hashable, Estimate | Suppressed]:
    """Weighted total Y = sum w_i y_i with a design-based standard error.

    Options as ``weighted_mean``; the linearisation variable is u_i = y_i, so the scores are
    w_i y_i (Lumley 2010 sec. 2.2; Wolter 2007 ch. 6).
    """
    design = {
        "calibration": calibration,
        "strata": strata,
        "psu": psu,
        "fpc": fpc,
        "singleton": singleton,
        "missing": missing,
    }
    opts = {
        "confidence": confidence,
        "ci": ci,
        "variance": variance,
        "replicates": replicates,
        "seed": seed,
        "mse": mse,
        "min_n": min_n,
    }
    return _estimate("total", y, weights, design, by, domain, opts)


def weighted_proportion(
    y: ArrayLike,
    weights: Any,
    *,
    level: Hashable | None = None,
    ci: str = "wilson",
    **options: Any,
) -> Estimate | Suppressed | dict[Hashable, Estimate | Suppressed]:
    """Weighted proportion p = sum w 1[y = level] / sum w; Wilson interval by default.

    ``y`` is boolean / 0-1, or categorical with ``level`` naming the category counted; missing
    labels (None/NaN) are missing values.  Other options as ``weighted_mean``; ci="logit" gives
    R's svyciprop(method="logit") interval (Korn & Graubard 1998 for the Wilson effective n).
    """
    arr = np.asarray(y)
    if level is not None:
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in arr.tolist()], bool)
        ind = np.where(missing, np.nan, (arr == level).astype(float))
    else:
        ind = arr.astype(float)
        ok = np.isfinite(ind)
        if not np.isin(ind[ok], (0.0, 1.0)).all():
            raise StatsInputError("y must be 0/1 or boolean for a proportion (or pass level=...)")
    return weighted_mean(ind, weights, ci=ci, **options)
