"""Weight trimming: cap extreme weights, redistribute the excess, optionally re-rake.

Potter (1990) "A study of procedures to identify and trim extreme sampling weights", Proc. ASA
SRMS 225-230; Valliant, Dever & Kreuter (2018) *Practical Tools for Designing and Weighting Survey
Samples* sec. 14.4.  Matches ``svy``'s ``trim`` / ``rake(trimming=...)`` in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from ._validate import FloatArray, StatsInputError, as_weights, check_choice, vdot
from .weighting import CalibrationInfo, CalibrationReport, MarginSpec, rake


@dataclass(frozen=True, eq=False)
class TrimResult:
    """Trimmed (and, with margins, re-raked) weights plus what happened."""

    weights: FloatArray
    upper: float | None  # resolved cap of the last cycle (None when caps are per-unit)
    lower: float | None
    n_trimmed_upper: int
    n_trimmed_lower: int
    cycles: int
    converged: bool
    effective_n_before: float
    effective_n_after: float
    calibration: CalibrationInfo | None
    report: CalibrationReport | None


def _bounds(
    w: FloatArray, base: FloatArray | None, upper: float | None, lower: float | None, relative_to: str
) -> tuple[Any, Any]:
    """Resolve relative bounds to values: k x median(positive w), k x base_i, or absolute."""
    pos = w[w > 0]
    if relative_to == "median":
        ref: float | FloatArray = float(np.median(pos))
    elif relative_to == "mean":
        ref = float(pos.mean())
    elif relative_to == "base":
        ref = base
    else:
        ref = 1.0
    hi = None if upper is None else upper * ref
    lo = None if lower is None else lower * ref
    return hi, lo


def _clip_redistribute(w: FloatArray, hi: Any, lo: Any) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """Solve w'_i = clip(k w_i, lo_i, hi_i) with sum w' = sum w (the excess goes to untrimmed units).

    This is the fixed point of the usual "cap, spread the excess pro rata, repeat" loop, found
    exactly: bracket k by root finding, then recompute it in closed form on the final active set.
    """
    n = w.shape[0]
    hi_a = np.full(n, np.inf) if hi is None else np.broadcast_to(np.asarray(hi, float), (n,))
    lo_a = np.zeros(n) if lo is None else np.broadcast_to(np.asarray(lo, float), (n,))
    active = w > 0
    hi_a, lo_a = np.where(active, hi_a, 0.0), np.where(active, lo_a, 0.0)
    total = w.sum()
    if hi_a.sum() < total * (1 - 1e-12):
        raise StatsInputError(
            f"the upper cap is too low: capped weights sum to at most {hi_a.sum():g} < total {total:g}"
        )
    if lo_a.sum() > total * (1 + 1e-12):
        raise StatsInputError(f"the lower bound is too high: weights would sum to at least {lo_a.sum():g}")
    if (lo_a > hi_a).any():
        raise StatsInputError("the lower bound exceeds the upper cap")

    def gap(k: float) -> float:
        return float(np.clip(k * w, lo_a, hi_a).sum() - total)

    k_lo, k_hi = 1.0, 1.0
    while gap(k_lo) > 0:
        k_lo /= 2
    while gap(k_hi) < 0:
        k_hi *= 2
    k = brentq(gap, k_lo, k_hi, xtol=1e-15, rtol=4 * np.finfo(float).eps) if k_lo < k_hi else 1.0
    at_hi = active & (k * w >= hi_a)
    at_lo = active & ~at_hi & (k * w <= lo_a)
    free = active & ~at_hi & ~at_lo
    if free.any():  # exact k on the final active set: sum(hi) + sum(lo) + k sum(free w) = total
        k = (total - hi_a[at_hi].sum() - lo_a[at_lo].sum()) / w[free].sum()
    out = np.where(at_hi, hi_a, np.where(at_lo, lo_a, k * w))
    out[~active] = 0.0
    return out, active & (w > hi_a), active & (w < lo_a)


def trim_weights(
    weights: ArrayLike,
    *,
    upper: float | None = None,
    lower: float | None = None,
    relative_to: str = "median",
    base_weights: ArrayLike | None = None,
    margins: Mapping[str, MarginSpec] | None = None,
    max_cycles: int = 50,
    tol: float = 1e-6,
    rake_tol: float = 1e-10,
) -> TrimResult:
    """Cap weights at ``upper`` x reference (and floor at ``lower`` x reference), keeping the total.

    reference: the median (default) or mean of the positive weights, each unit's base weight
    (``relative_to="base"``), or 1 (``"absolute"``).  Trimmed mass is redistributed pro rata,
    w'_i = clip(k w_i, lo, hi) with k chosen so sum w' = sum w.  With ``margins`` the trimmed
    weights are re-raked and the trim-rake cycle repeats (bounds re-resolved on each cycle's
    weights, as in svy) until the raked weights respect the bounds within relative ``tol``.
    References: Potter (1990); Valliant, Dever & Kreuter (2018) sec. 14.4.
    """
    check_choice(relative_to, "relative_to", ("median", "mean", "base", "absolute"))
    if upper is None and lower is None:
        raise StatsInputError("give an upper cap, a lower bound, or both")
    if upper is not None and not upper > 0:
        raise StatsInputError(f"upper must be positive, got {upper}")
    w = as_weights(weights)
    base = None
    if relative_to == "base":
        if base_weights is None:
            raise StatsInputError("relative_to='base' needs base_weights")
        base = as_weights(base_weights, "base_weights", w.shape[0])
    ess0 = float(w.sum() ** 2 / vdot(w, w))
    w, cycle = _trim_rake_cycle(w, base, upper, lower, relative_to, margins, max_cycles, tol, rake_tol)
    hi, lo = cycle["bounds"]
    result = cycle["raked"]
    return TrimResult(
        weights=w,
        upper=hi if isinstance(hi, float) else None,
        lower=lo if isinstance(lo, float) else None,
        n_trimmed_upper=int(cycle["up"].sum()),
        n_trimmed_lower=int(cycle["down"].sum()),
        cycles=cycle["cycles"],
        converged=cycle["converged"],
        effective_n_before=ess0,
        effective_n_after=float(w.sum() ** 2 / vdot(w, w)),
        calibration=None if result is None else result.calibration,
        report=None if result is None else result.report,
    )


def _trim_rake_cycle(
    w: FloatArray,
    base: FloatArray | None,
    upper: float | None,
    lower: float | None,
    relative_to: str,
    margins: Mapping[str, MarginSpec] | None,
    max_cycles: int,
    tol: float,
    rake_tol: float,
) -> tuple[FloatArray, dict[str, Any]]:
    """Trim (and re-rake) until the bounds hold; counts each unit trimmed in any cycle once."""
    up = np.zeros(w.shape[0], dtype=bool)
    down = np.zeros(w.shape[0], dtype=bool)
    raked = None
    cycles, converged = 0, False
    hi, lo = _bounds(w, base, upper, lower, relative_to)
    while cycles < max_cycles:
        hi, lo = _bounds(w, base, upper, lower, relative_to)
        if cycles > 0 and _within(w, hi, lo, tol):
            converged = True
            break
        cycles += 1
        w, cut_up, cut_down = _clip_redistribute(w, hi, lo)
        up |= cut_up
        down |= cut_down
        if margins is None:
            converged = True
            break
        raked = rake(w, margins, tol=rake_tol)
        w = raked.weights
    if margins is not None and not converged:
        hi, lo = _bounds(w, base, upper, lower, relative_to)
        converged = _within(w, hi, lo, tol)
    return w, {
        "bounds": (hi, lo),
        "raked": raked,
        "up": up,
        "down": down,
        "cycles": cycles,
        "converged": converged,
    }


def _within(w: FloatArray, hi: Any, lo: Any, tol: float) -> bool:
    """True when no positive weight exceeds hi (1 + tol) or falls below lo (1 - tol)."""
    pos = w > 0
    if hi is not None and (w[pos] > (np.broadcast_to(hi, w.shape)[pos] * (1 + tol))).any():
        return False
    return not (lo is not None and (w[pos] < (np.broadcast_to(lo, w.shape)[pos] * (1 - tol))).any())
