"""Reliability and validity: plspm's unidimensionality table and closed-form population checks."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats import (
    StatsInputError,
    ave,
    composite_reliability,
    cronbach_alpha,
    dillon_goldstein_rho,
    fornell_larcker,
    htmt,
    rho_a,
)


def exact_sample(corr: np.ndarray, n: int = 400, seed: int = 0) -> np.ndarray:
    """Data whose sample correlation matrix equals ``corr`` exactly (whitened noise x Cholesky factor)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(corr).T * np.arange(1, corr.shape[0] + 1) + 5.0


def test_alpha_and_dg_rho_match_plspm(satisfaction_model, ecsi_dir, read_table):
    data, blocks, _ = satisfaction_model
    ref = read_table(ecsi_dir / "satisfaction_unidim.csv")
    for lv, row in ref.items():
        x = np.column_stack([data[k] for k in blocks[lv]])
        assert cronbach_alpha(x, standardized=True) == pytest.approx(float(row["cronbach_alpha"]), abs=1e-4)
        assert dillon_goldstein_rho(x) == pytest.approx(float(row["dillon_goldstein_rho"]), abs=1e-4)


def test_ave_from_plspm_loadings(ecsi_dir, read_table):
    loadings = read_table(ecsi_dir / "satisfaction.outer-model.csv")
    summary = read_table(ecsi_dir / "satisfaction.inner-summary.csv")
    for lv, row in summary.items():
        lam = [float(r["loading"]) for r in loadings.values() if r["block"] == lv]
        assert ave(lam) == pytest.approx(float(row["ave"]), abs=1e-9)


def test_alpha_closed_forms():
    r = 0.45
    x = exact_sample(np.array([[1, r], [r, 1]]))
    assert cronbach_alpha(x, standardized=True) == pytest.approx(2 * r / (1 + r), rel=1e-10)
    items = np.array([[1, 2, 3], [2, 3, 4], [3, 5, 4], [4, 4, 6], [5, 6, 7.0]])
    k = 3
    expected = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(items) == pytest.approx(expected, rel=1e-12)


def test_rho_a_equals_reliability_of_the_weighted_composite():
    """Congeneric items S = ll' + Theta with weights proportional to l: rho_A is the composite's
    reliability (l'l)^2 / ((l'l)^2 + sum l^2 theta) (Dijkstra & Henseler 2015)."""
    lam = np.array([0.9, 0.8, 0.7, 0.6])
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1.0)
    x = exact_sample(corr)
    theta = 1 - lam**2
    expected = (lam @ lam) ** 2 / ((lam @ lam) ** 2 + np.sum(lam**2 * theta))
    assert rho_a(x, 3.0 * lam) == pytest.approx(expected, rel=1e-9)
    cr = composite_reliability(lam)
    assert cr == pytest.approx(lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum()))


def test_htmt_closed_form():
    a, b = 0.6, 0.3  # within-block and between-block correlations
    corr = np.full((5, 5), b)
    corr[:2, :2] = a
    corr[2:, 2:] = a
    np.fill_diagonal(corr, 1.0)
    x = exact_sample(corr)
    m = htmt(x, [[0, 1], [2, 3, 4]])
    assert m[0, 1] == pytest.approx(b / a, rel=1e-9)
    assert m[1, 0] == m[0, 1] and m[0, 0] == 1.0
    with pytest.raises(StatsInputError, match="at least two items"):
        htmt(x, [[0], [1, 2]])


def test_fornell_larcker(ecsi_dir, read_table, pls_centroid):
    scores = np.loadtxt(ecsi_dir / "satisfaction.scores.csv", delimiter=",", skiprows=1)
    summary = read_table(ecsi_dir / "satisfaction.inner-summary.csv")
    aves = {lv: float(r["ave"]) for lv, r in summary.items()}
    fl = fornell_larcker(scores, aves)
    corr = np.corrcoef(scores, rowvar=False)
    for j, lv in enumerate(fl.names):
        assert fl.matrix[j, j] == pytest.approx(np.sqrt(aves[lv]))
        others = np.abs(np.delete(corr[j], j))
        assert fl.passed[lv] == bool(np.sqrt(aves[lv]) > others.max())
    assert pls_centroid.fornell_larcker.passed == fl.passed


def test_constant_items_are_refused():
    x = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    with pytest.raises(StatsInputError, match="constant"):
        cronbach_alpha(x, standardized=True)
    with pytest.raises(StatsInputError, match="constant"):
        cronbach_alpha(x)
    with pytest.raises(StatsInputError, match="at least 2 items"):
        cronbach_alpha(np.arange(10.0)[:, None])
