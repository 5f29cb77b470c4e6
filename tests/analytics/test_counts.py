"""Excess-count tests and BH q-values against exact hand computations, a published example and simulation."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from analytics.stats import (
    StatsInputError,
    bh_qvalues,
    conditional_nb_sf,
    excess_count_test,
    excess_count_tests,
)


def binomial_upper_tail(y: int, n: int, p: Fraction) -> Fraction:
    """P(Bin(n, p) >= y), exactly."""
    return sum((math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(y, n + 1)), Fraction(0))


def test_poisson_branch_is_the_exact_conditional_binomial_tail():
    # Two cases in a period whose single baseline period had none: P(Bin(2, 1/2) >= 2) = 1/4.
    assert excess_count_test(2, [0]).p_value == pytest.approx(0.25, rel=1e-12)
    # A steady baseline of 2 a month for a year, then 10: P(Bin(34, 1/13) >= 10).
    res = excess_count_test(10, [2] * 12)
    assert res.method == "poisson" and res.expected == 2 and res.ratio == 5
    assert res.p_value == pytest.approx(float(binomial_upper_tail(10, 34, Fraction(1, 13))), rel=1e-10)
    # Exposures: 5 cases in 2 days against 6 in 6 baseline days -> P(Bin(11, 2/8) >= 5).
    res = excess_count_test(5, [1, 1, 1, 1, 1, 1], exposure=2)
    assert res.expected == 2
    assert res.p_value == pytest.approx(float(binomial_upper_tail(5, 11, Fraction(1, 4))), rel=1e-10)
    # Nothing observed is never evidence of a rise.
    assert excess_count_test(0, [3, 4, 5]).p_value == 1.0


def test_exposures_in_any_unit_give_the_same_test():
    baseline = [9, 11, 8, 12, 10, 9, 13, 7, 10, 11, 9, 10]
    by_month = excess_count_test(21, baseline)
    by_day = excess_count_test(21, baseline, exposure=30, baseline_exposure=[30] * 12)
    assert by_day.p_value == pytest.approx(by_month.p_value, rel=1e-12)
    # A half-covered first baseline period (data start mid-month) counts with half the exposure.
    partial = excess_count_test(21, [5, *baseline[1:]], baseline_exposure=[0.5] + [1] * 11)
    total = 5 + sum(baseline[1:])
    assert partial.expected == pytest.approx(total / 11.5)
    exact = binomial_upper_tail(21, 21 + total, Fraction(1) / (1 + Fraction(23, 2)))
    assert partial.p_value == pytest.approx(float(exact), rel=1e-10)


def chi2_5_sf(x: float) -> float:
    """P(chi^2_5 >= x) in closed form: 2 (1 - Phi(sqrt x)) + sqrt(2x / pi) exp(-x / 2) (1 + x / 3)."""
    return math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2) * (1 + x / 3)


def test_dispersion_index_and_its_chi_square_test():
    # mean 4, sample variance 10.8: X^2 = (K - 1) s^2 / m = 13.5, phi = s^2 / m = 2.7.
    res = excess_count_test(4, [1, 7, 1, 7, 1, 7])
    assert res.dispersion == pytest.approx(2.7)
    assert res.dispersion_p == pytest.approx(chi2_5_sf(13.5), rel=1e-9)
    assert res.dispersion_p == pytest.approx(0.019118, abs=1e-6)
    assert res.method == "negative_binomial"
    # Under-dispersed or all-zero baselines stay Poisson; all zero has no dispersion to speak of.
    assert excess_count_test(4, [4, 4, 5, 4, 3, 4]).method == "poisson"
    zero = excess_count_test(3, [0, 0, 0])
    assert zero.method == "poisson" and zero.dispersion is None and zero.dispersion_p is None
    # A sparse baseline stays Poisson: two cases in one month of twelve give phi = 2 by arithmetic alone.
    sparse = excess_count_test(10, [0] * 11 + [2])
    assert sparse.dispersion == pytest.approx(2.0) and sparse.method == "poisson"
    # So does a short one: four periods cannot tell over-dispersion from chance.
    short = excess_count_test(10, [1, 7, 1, 7])
    assert short.dispersion == pytest.approx(3.0) and short.method == "poisson"
    # Over-dispersed means variance above the mean, significant or not (X^2 = 6 on 5 df: p = 0.306).
    mild = excess_count_test(4, [2, 6, 2, 6, 2, 6])
    assert mild.method == "negative_binomial" and mild.dispersion == pytest.approx(1.2)
    assert mild.dispersion_p > 0.3


def nb_conditional_tail_exact(y: int, total: int, a: int, b: int) -> Fraction:
    """P(Y >= y | Y + S = total) for Y ~ NB(a, p), S ~ NB(b, p) with integer sizes, by the NB pmfs."""

    def weight(k: int, size: int) -> int:  # NB pmf without the p^size (1 - p)^k factors, which cancel
        return math.comb(k + size - 1, k)

    denominator = weight(total, a + b)
    return sum(
        (Fraction(weight(k, a) * weight(total - k, b), denominator) for k in range(y, total + 1)), Fraction(0)
    )


def test_conditional_nb_tail_is_the_ratio_of_nb_probabilities():
    for y, s, a, b in [(10, 16, 2, 6), (3, 0, 1, 4), (7, 30, 5, 60), (0, 5, 2, 2)]:
        expected = float(nb_conditional_tail_exact(y, y + s, a, b))
        assert conditional_nb_sf(y, s, a, b) == pytest.approx(expected, rel=1e-9)


def betabinom_upper_tail_by_lgamma(y: int, n: int, a: float, b: float) -> float:
    """P(BetaBin(n, a, b) >= y) term by term with math.lgamma and math.fsum."""

    def log_pmf(k: int) -> float:
        return (
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + math.lgamma(k + a) + math.lgamma(n - k + b) - math.lgamma(n + a + b)
            - math.lgamma(a) - math.lgamma(b) + math.lgamma(a + b)
        )  # fmt: skip

    return math.fsum(math.exp(log_pmf(k)) for k in range(y, n + 1))


def test_conditional_nb_tail_keeps_small_tails_and_long_sums():
    rng = np.random.default_rng(11)
    y = rng.integers(0, 120, 300)
    s = rng.integers(0, 1500, 300)
    a = rng.uniform(0.02, 20, 300)
    b = a * rng.uniform(1, 40, 300)
    got = conditional_nb_sf(y, s, a, b)
    for i in range(300):
        expected = betabinom_upper_tail_by_lgamma(int(y[i]), int(y[i] + s[i]), float(a[i]), float(b[i]))
        assert got[i] == pytest.approx(expected, rel=1e-9, abs=1e-300), (y[i], s[i], a[i], b[i])
    assert (got < 1e-20).sum() > 10  # the far tails are there, not rounded to zero


def nb_branch_by_hand(y: int, baseline: list[int], draws: int = 16) -> float:
    """The documented NB-branch p, recomputed with log-gamma NB pmfs instead of scipy's beta-binomial."""
    k, total = len(baseline), sum(baseline)
    mean = total / k
    pearson = sum((x - mean) ** 2 for x in baseline) / mean
    n = y + total

    def log_nb(count: int, size: float) -> float:
        return math.lgamma(count + size) - math.lgamma(size) - math.lgamma(count + 1)

    poisson = float(binomial_upper_tail(y, n, Fraction(1, k + 1)))
    tails = []
    for j in range(draws):
        phi = pearson / stats.chi2.ppf((j + 0.5) / draws, k - 1)
        if phi <= 1:
            tails.append(poisson)
            continue
        rho = mean / (phi - 1)
        a, b = rho, rho * k
        tail = sum(math.exp(log_nb(c, a) + log_nb(n - c, b) - log_nb(n, a + b)) for c in range(y, n + 1))
        tails.append(max(tail, poisson))
    return sum(tails) / draws


@pytest.mark.parametrize(
    "y, baseline",
    [
        (10, [1, 7, 1, 7, 1, 7]),
        (30, [0, 25, 2, 20, 1, 22, 3, 18, 0, 24, 2, 23]),
        (15, [3, 9, 4, 12, 2, 10, 5, 11]),
    ],
)
def test_negative_binomial_branch_matches_an_independent_recomputation(y, baseline):
    res = excess_count_test(y, baseline)
    assert res.method == "negative_binomial"
    assert res.p_value == pytest.approx(nb_branch_by_hand(y, baseline), rel=1e-8)
    # Over-dispersion weakens the evidence: never below the Poisson p of the same counts.
    poisson = binomial_upper_tail(y, y + sum(baseline), Fraction(1, len(baseline) + 1))
    assert res.p_value >= float(poisson)


def test_same_rise_on_a_noisy_baseline_is_not_significant():
    steady = excess_count_test(30, [8, 9, 7, 10, 8, 6, 9, 8, 7, 11, 8, 9])
    noisy = excess_count_test(30, [0, 25, 2, 20, 1, 22, 3, 18, 0, 24, 2, 23])
    assert steady.method == "poisson" and steady.p_value < 1e-6
    assert noisy.method == "negative_binomial" and noisy.p_value > 0.05


def test_vectorised_results_equal_one_at_a_time():
    rng = np.random.default_rng(5)
    baseline = rng.negative_binomial(2, 0.2, size=(25, 12))
    observed = rng.poisson(12, size=25)
    many = excess_count_tests(observed, baseline)
    for i in range(25):
        one = excess_count_test(int(observed[i]), baseline[i])
        assert many.p_value[i] == pytest.approx(one.p_value, rel=1e-12)
        assert many.method[i] == one.method


def test_bad_input_is_refused_by_name():
    with pytest.raises(StatsInputError, match="observed"):
        excess_count_tests([-1], [[1, 2]])
    with pytest.raises(StatsInputError, match="baseline"):
        excess_count_tests([1, 2], [[1, 2]])
    with pytest.raises(StatsInputError, match="whole counts"):
        excess_count_tests([1], [[1.5, 2]])
    with pytest.raises(StatsInputError, match="baseline_exposure"):
        excess_count_tests([1], [[1, 2]], baseline_exposure=[1, 0])
    with pytest.raises(StatsInputError, match="p_values"):
        bh_qvalues([0.2, 1.5])


# Benjamini & Hochberg (1995), sec. 4.1: 15 p-values of the myocardial infarction trial; at q* = 0.05
# the procedure rejects the four hypotheses with the smallest p (Bonferroni only three).
BH_1995 = [
    0.0201, 0.7590, 0.0344, 0.0095, 0.0278, 0.0298, 0.0001, 0.0004,
    0.3240, 0.0459, 0.6528, 0.0019, 0.4262, 1.0000, 0.5719,
]  # fmt: skip


def test_bh_reproduces_the_published_example_and_hand_values():
    q = bh_qvalues(BH_1995)
    rejected = sorted(p for p, qv in zip(BH_1995, q, strict=True) if qv < 0.05)
    assert rejected == [0.0001, 0.0004, 0.0019, 0.0095]
    assert sum(p < 0.05 / 15 for p in BH_1995) == 3
    # q_(i) = min_{j >= i} m p_(j) / j: sorted 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04.
    assert bh_qvalues([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert bh_qvalues([]).size == 0


def _false_discovery_proportions(p: np.ndarray, null: np.ndarray, alpha: float) -> np.ndarray:
    """V / max(R, 1) of each replicate (rows) when flagging q < alpha."""
    q = np.vstack([bh_qvalues(row) for row in p])
    flagged = q < alpha
    return (flagged & null).sum(axis=1) / np.maximum(flagged.sum(axis=1), 1)


def test_bh_keeps_the_fdr_at_m0_over_m_alpha_for_uniform_nulls():
    rng = np.random.default_rng(20261)
    reps, m, m0, alpha = 2000, 50, 40, 0.1
    p = rng.uniform(size=(reps, m))
    p[:, m0:] = rng.uniform(0, 1e-4, size=(reps, m - m0))  # strong true signals
    null = np.arange(m) < m0
    fdr = _false_discovery_proportions(p, null, alpha).mean()
    expected = alpha * m0 / m  # BH's FDR is exactly m0/m alpha for independent continuous p-values
    assert abs(fdr - expected) < 0.015, fdr


def _simulate_units(rng, reps: int, units: int, k: int, size_range: tuple[float, float] | None):
    """(observed, baseline) arrays per replicate: Poisson (size_range None) or NB counts, no change."""
    for _ in range(reps):
        mean = rng.uniform(2, 30, units)
        if size_range is None:
            counts = rng.poisson(mean[:, None], size=(units, k + 1))
        else:
            size = rng.uniform(*size_range, units)
            counts = rng.negative_binomial(size[:, None], (size / (size + mean))[:, None], (units, k + 1))
        yield counts[:, -1], counts[:, :-1]


def test_fdr_under_poisson_nulls_stays_below_alpha():
    rng, alpha, reps = np.random.default_rng(20262), 0.05, 200
    rows = [excess_count_tests(y, x).p_value for y, x in _simulate_units(rng, reps, 40, 12, None)]
    # Every unit is null, so the FDR is the chance of any flag; the exact test is conservative.
    fdr = _false_discovery_proportions(np.vstack(rows), np.ones(40, bool), alpha).mean()
    assert fdr <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps), fdr


def test_negative_binomial_branch_keeps_overdispersed_nulls_near_alpha():
    rng, alpha, reps = np.random.default_rng(20263), 0.05, 300
    ours, poisson_only = [], []
    for y, x in _simulate_units(rng, reps, 40, 12, (1.0, 5.0)):  # variance/mean ratio 1.4 to 31
        ours.append(excess_count_tests(y, x).p_value)
        poisson_only.append(stats.binom.sf(y - 1, y + x.sum(axis=1), 1 / (x.shape[1] + 1)))
    null = np.ones(40, bool)
    fdr = _false_discovery_proportions(np.vstack(ours), null, alpha).mean()
    naive = _false_discovery_proportions(np.vstack(poisson_only), null, alpha).mean()
    # A Poisson test flags noise in nearly every replicate; the NB branch brings it back near alpha
    # (about 0.07 with 12 baseline periods, see docs/hotspots.md).
    assert naive > 0.8, naive
    assert fdr < 2 * alpha, fdr
