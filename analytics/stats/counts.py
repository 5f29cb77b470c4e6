"""Excess counts: is a unit's count in a period significantly above its own baseline?  And BH q-values.

A unit has baseline counts x_1..x_K over periods of exposure d_1..d_K (days, say) and an observed count
y over exposure d_0.  Its baseline rate is mu = S / D with S = sum x_k and D = sum d_k; the expected
count is e = mu d_0.

1. Dispersion of the baseline: Pearson X^2 = sum (x_k - mu d_k)^2 / (mu d_k) and phi = X^2 / (K - 1),
   the variance-to-mean ratio (Fisher's index of dispersion; X^2 ~ chi^2_{K-1} for Poisson counts,
   Cochran 1954, Biometrics 10:417-451; its p-value is reported).  The baseline counts as over-dispersed
   when phi > 1, it has at least one case per period on average and K >= 6.  No significance pre-test
   decides the branch: with 12 periods such a test misses much real over-dispersion, and the Poisson
   test then flags noise (docs/hotspots.md has the simulation).  A sparser baseline stays Poisson: its
   phi says which periods happened to hold the few cases (all S cases in one period give phi = S), not
   that the counts vary more than Poisson ones.  So does a shorter one: phi from fewer than 5 degrees of
   freedom is so uncertain that step 3 would flag nothing at all.
2. Not over-dispersed: the exact conditional Poisson test (Przyborowski & Wilenski 1940,
   Biometrika 31:313-323; R's poisson.test(c(y, S), c(d_0, D), alternative = "greater")).  Under equal
   rates y | y + S ~ Binomial(y + S, d_0 / (d_0 + D)) and p = P(Bin >= y).  Conditioning removes the
   unknown rate, so a short baseline is accounted for and an all-zero baseline is no degenerate case.
3. Over-dispersed: the conditional negative-binomial test.  Counts are NB with mean mu d_k and size
   rho d_k, so Var = phi x mean with phi = 1 + mu / rho (quasi-Poisson form; the method-of-moments
   rho = mu / (phi - 1) is the textbook m^2 / (s^2 - m) for equal exposures, Anscombe 1949, Biometrics
   5:165-173).  Given the total, y | y + S ~ BetaBinomial(y + S, rho d_0, rho D) (the NB analogue of
   step 2).  phi from K periods is uncertain (X^2 / phi ~ chi^2_{K-1}), and a plug-in phi makes the
   test flag noise, so p averages the tail over phi_j = X^2 / chi^2_{K-1}(u_j), u_j = (j - 1/2) / J
   (J = 16 quantiles; phi_j <= 1 uses the Poisson tail), and is never below the Poisson p: extra
   variability can only weaken the evidence for a rise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats

from ._validate import FloatArray, IntArray, StatsInputError, as_vector

POISSON = "poisson"
NEGATIVE_BINOMIAL = "negative_binomial"
DISPERSION_DRAWS = 16
MIN_NB_MEAN = 1.0  # cases per baseline period on average before over-dispersion is considered
MIN_NB_PERIODS = 6  # baseline periods before over-dispersion is considered


@dataclass(frozen=True, eq=False)
class ExcessCounts:
    """Per-unit results of excess_count_tests (arrays of one value per unit)."""

    observed: FloatArray
    expected: FloatArray  # baseline rate x the period's exposure
    ratio: FloatArray  # observed / expected; nan where expected is 0
    p_value: FloatArray  # one-sided, upper tail
    method: np.ndarray  # "poisson" or "negative_binomial"
    dispersion: FloatArray  # phi = X^2 / (K - 1); nan when the baseline is all zero or K < 2
    dispersion_p: FloatArray  # P(chi^2_{K-1} >= X^2); nan when it cannot be run


@dataclass(frozen=True)
class ExcessCount:
    """One unit's excess-count test (see excess_count_tests)."""

    observed: int
    expected: float
    ratio: float | None
    p_value: float
    method: str
    dispersion: float | None
    dispersion_p: float | None


def _counts(x: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise StatsInputError(f"{name} has missing or non-finite values")
    if (arr < 0).any() or (arr != np.round(arr)).any():
        raise StatsInputError(f"{name} must be non-negative whole counts")
    return arr


def _exposures(value: ArrayLike | None, n: int, name: str) -> FloatArray:
    if value is None:
        return np.ones(n)
    arr = as_vector(np.atleast_1d(np.asarray(value, dtype=np.float64)), name)
    if arr.size not in (1, n):
        raise StatsInputError(f"{name} has {arr.size} values, expected 1 or {n}")
    if (arr <= 0).any():
        raise StatsInputError(f"{name} must be positive")
    return np.broadcast_to(arr, (n,)).astype(np.float64)


def _log_betabinom_pmf(k: FloatArray, n: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    return (
        special.gammaln(n + 1)
        - special.gammaln(k + 1)
        - special.gammaln(n - k + 1)
        + special.betaln(k + a, n - k + b)
        - special.betaln(a, b)
    )


def _pmf_run_sums(
    first: FloatArray, count: IntArray, n: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """sum_{k = first_i}^{first_i + count_i - 1} BetaBinomial(n_i, a_i, b_i) pmf(k), every count_i >= 1.

    One log pmf per run, then the ratio pmf(k + 1) / pmf(k) = (n - k)(k + a) / ((k + 1)(n - k - 1 + b))
    accumulated along the run: all runs at once in flat arrays.
    """
    offsets = np.cumsum(count) - count
    run = np.repeat(np.arange(count.size), count)
    k = first[run] + (np.arange(run.size) - offsets[run])
    nr, ar, br = n[run], a[run], b[run]
    last = np.zeros(run.size, dtype=bool)
    last[offsets + count - 1] = True
    with np.errstate(divide="ignore", invalid="ignore"):  # the unused step after a run's last k
        step = np.where(last, 0.0, np.log(nr - k) + np.log(k + ar) - np.log(k + 1) - np.log(nr - k - 1 + br))
    before = np.concatenate(([0.0], np.cumsum(step)[:-1]))  # sum of the steps before each element
    log_pmf = _log_betabinom_pmf(first, n, a, b)[run] + before - before[offsets][run]
    return np.add.reduceat(np.exp(log_pmf), offsets)


def conditional_nb_sf(
    observed: ArrayLike, baseline_total: ArrayLike, size_observed: ArrayLike, size_baseline: ArrayLike
) -> FloatArray:
    """P(Y >= y | Y + S = y + s) for independent Y ~ NB(a, p), S ~ NB(b, p): BetaBinomial(y + s, a, b).

    P(Y = k | T) = NB(k; a) NB(T - k; b) / NB(T; a + b) = C(T, k) B(k + a, T - k + b) / B(a, b).
    Summed here rather than by scipy.stats.betabinom.sf, which computes 1 - cdf (tails below ~1e-12
    come out as rounding noise) and takes tens of microseconds per value, too slow for thousands of
    respondents x 16 draws.  Above the mean the upper tail is summed, so small values keep their
    precision; below it, 1 - the lower tail.
    """
    y, s, a, b = (
        np.atleast_1d(np.asarray(v, dtype=np.float64))
        for v in (observed, baseline_total, size_observed, size_baseline)
    )
    y, s, a, b = (np.ascontiguousarray(v) for v in np.broadcast_arrays(y, s, a, b))
    n = y + s
    out = np.ones(y.shape)
    upper = (y > 0) & (y > n * a / (a + b))
    lower = (y > 0) & ~upper
    if upper.any():
        out[upper] = _pmf_run_sums(
            y[upper], (n[upper] - y[upper] + 1).astype(np.intp), n[upper], a[upper], b[upper]
        )
    if lower.any():
        below = _pmf_run_sums(np.zeros(lower.sum()), y[lower].astype(np.intp), n[lower], a[lower], b[lower])
        out[lower] = 1.0 - below
    return np.clip(out, 0.0, 1.0)


def _nb_branch(y, total, d0, total_exposure, rate, pearson, df, draws, p_poisson) -> FloatArray:
    """The NB p averaged over phi_j = X^2 / chi^2_df(u_j); phi_j <= 1 contributes the Poisson p."""
    quantiles = stats.chi2.ppf((np.arange(draws) + 0.5) / draws, df)
    phi = pearson[:, None] / quantiles[None, :]
    tails = np.broadcast_to(p_poisson[:, None], phi.shape).copy()
    over = phi > 1.0
    rows = np.nonzero(over)[0]
    rho = rate[rows] / (phi[over] - 1.0)  # NB size per unit of exposure
    tails[over] = np.maximum(
        conditional_nb_sf(y[rows], total[rows], rho * d0[rows], rho * total_exposure), p_poisson[rows]
    )
    return tails.mean(axis=1)


def excess_count_tests(
    observed: ArrayLike,
    baseline: ArrayLike,
    exposure: ArrayLike | float = 1.0,
    baseline_exposure: ArrayLike | None = None,
    draws: int = DISPERSION_DRAWS,
) -> ExcessCounts:
    """One-sided tests of observed counts y_i against each unit's own baseline row x_i1..x_iK.

    Poisson: p_i = P(Bin(y_i + S_i, d_0 / (d_0 + D)) >= y_i) (Przyborowski & Wilenski 1940).
    When phi = X^2 / (K - 1) > 1 (X^2 = sum (x - mu d)^2 / (mu d), Cochran 1954), S_i / K >= 1 and
    K >= 6, negative binomial:
    p_i = mean_j max(P(BetaBin(y_i + S_i, rho_j d_0, rho_j D) >= y_i), Poisson p_i) with
    rho_j = mu_i / (phi_j - 1), phi_j = X^2 / chi^2_{K-1}((j - 1/2) / J) (Anscombe 1949 moments).
    `observed`: one count per unit; `baseline`: units x K; `exposure` (d_0, scalar or per unit) and
    `baseline_exposure` (d_1..d_K, default 1 each): the lengths the counts were collected over;
    `draws` = J, the number of chi-square quantiles averaged over.
    """
    y = _counts(np.atleast_1d(observed), "observed")
    x = _counts(baseline, "baseline")
    if y.ndim != 1:
        raise StatsInputError(f"observed must be one-dimensional, got shape {y.shape}")
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise StatsInputError(f"baseline must be units x periods with {y.shape[0]} rows, got shape {x.shape}")
    n, k = x.shape
    if k < 1:
        raise StatsInputError("baseline has no periods")
    if draws < 1:
        raise StatsInputError(f"draws must be at least 1, got {draws}")
    d0 = _exposures(exposure, n, "exposure")
    d = _exposures(baseline_exposure, k, "baseline_exposure")

    total, total_exposure = x.sum(axis=1), float(d.sum())
    rate = total / total_exposure
    expected = rate * d0
    p_poisson = np.asarray(stats.binom.sf(y - 1, y + total, d0 / (d0 + total_exposure)), dtype=np.float64)

    testable = (rate > 0) & (k >= 2)
    mean_k = rate[:, None] * d[None, :]  # expected baseline count of each period
    safe = np.where(mean_k > 0, mean_k, 1.0)
    pearson = np.where(testable, ((x - mean_k) ** 2 / safe).sum(axis=1), np.nan)
    df = max(k - 1, 1)
    dispersion = pearson / df
    dispersion_p = np.where(testable, stats.chi2.sf(np.nan_to_num(pearson), df), np.nan)
    over = testable & (np.nan_to_num(dispersion) > 1.0) & (total / k >= MIN_NB_MEAN) & (k >= MIN_NB_PERIODS)

    p_value = p_poisson.copy()
    if over.any():
        idx = np.nonzero(over)[0]
        p_value[idx] = _nb_branch(
            y[idx], total[idx], d0[idx], total_exposure, rate[idx], pearson[idx], df, draws, p_poisson[idx]
        )
    ratio = np.divide(y, expected, out=np.full(n, np.nan), where=expected > 0)
    return ExcessCounts(
        observed=y,
        expected=expected,
        ratio=ratio,
        p_value=np.clip(p_value, 0.0, 1.0),
        method=np.where(over, NEGATIVE_BINOMIAL, POISSON),
        dispersion=dispersion,
        dispersion_p=dispersion_p,
    )


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def excess_count_test(
    observed: int,
    baseline: ArrayLike,
    exposure: float = 1.0,
    baseline_exposure: ArrayLike | None = None,
) -> ExcessCount:
    """excess_count_tests for one unit: p = P(Y >= y) under its baseline, Poisson or NB (see there).

    Poisson p = P(Bin(y + S, d_0 / (d_0 + D)) >= y) (Przyborowski & Wilenski 1940).
    """
    row = np.atleast_2d(np.asarray(baseline, dtype=np.float64))
    res = excess_count_tests([observed], row, exposure, baseline_exposure)
    return ExcessCount(
        observed=int(res.observed[0]),
        expected=float(res.expected[0]),
        ratio=_optional(res.ratio[0]),
        p_value=float(res.p_value[0]),
        method=str(res.method[0]),
        dispersion=_optional(res.dispersion[0]),
        dispersion_p=_optional(res.dispersion_p[0]),
    )


def bh_qvalues(p_values: ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (q-values): q_(i) = min_{j >= i} m p_(j) / j, capped at 1.

    Flagging q < alpha keeps the false discovery rate at or below alpha for independent tests
    (Benjamini & Hochberg 1995, JRSS B 57:289-300); computed by scipy.stats.false_discovery_control.
    """
    p = as_vector(np.atleast_1d(np.asarray(p_values, dtype=np.float64)), "p_values")
    if ((p < 0) | (p > 1)).any():
        raise StatsInputError("p_values must lie between 0 and 1")
    if p.size == 0:
        return p
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=np.float64)
