"""Quality criteria of a fitted PLS path model: path inference, unidimensionality, GoF, HTMT.

plspm's unidimensionality table (standardised Cronbach alpha, Dillon-Goldstein rho, eigenvalues of
the block correlation matrix), Dijkstra-Henseler rho_A, Tenenhaus et al. (2005) GoF, and the OLS
standard errors R's lm reports for each structural regression.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._validate import FloatArray, IntArray, StatsInputError
from .reliability import composite_reliability, cronbach_alpha, first_component_loadings, htmt, rho_a


def path_inference(y: FloatArray, adj: FloatArray) -> tuple[FloatArray, FloatArray]:
    """OLS standard errors and two-sided p-values of the paths, as R's lm with an intercept."""
    n, n_lv = y.shape
    se, p = np.zeros((n_lv, n_lv)), np.ones((n_lv, n_lv))
    for j in range(n_lv):
        pred = np.flatnonzero(adj[:, j])
        if not pred.size:
            continue
        xa = np.column_stack([np.ones(n), y[:, pred]])
        coef, *_ = np.linalg.lstsq(xa, y[:, j], rcond=None)
        resid = y[:, j] - xa @ coef
        dof = n - xa.shape[1]
        cov = (resid @ resid / dof) * np.linalg.inv(xa.T @ xa)
        s = np.sqrt(np.diag(cov))[1:]
        se[pred, j] = s
        p[pred, j] = 2 * stats.t.sf(np.abs(coef[1:] / s), dof)
    return se, p


def unidimensionality(
    lv_names: tuple[str, ...], blk: IntArray, x: FloatArray, w: FloatArray
) -> tuple[dict, dict, dict, dict]:
    """Standardised alpha, DG rho, rho_A and the first two eigenvalues per block (plspm's table)."""
    alpha, rho, ra, eig = {}, {}, {}, {}
    sd = x.std(axis=0)
    for j, lv in enumerate(lv_names):
        idx = np.flatnonzero(blk == j)
        if idx.size == 1:  # a single item is its own perfectly reliable measure (plspm reports 1)
            alpha[lv] = rho[lv] = ra[lv] = 1.0
            eig[lv] = (1.0, 0.0)
            continue
        lam, vals = first_component_loadings(x[:, idx])
        alpha[lv] = cronbach_alpha(x[:, idx], standardized=True)
        rho[lv] = composite_reliability(lam)
        ra[lv] = rho_a(x[:, idx], w[idx] * sd[idx])
        eig[lv] = (float(vals[0]), float(vals[1]))
    return alpha, rho, ra, eig


def gof(comm: FloatArray, blk: IntArray, r2: dict[str, float]) -> float | None:
    """GoF = sqrt(mean communality of items in multi-item blocks x mean R^2); None when undefined."""
    multi = np.bincount(blk)[blk] > 1
    if not multi.any() or not r2:
        return None
    return float(np.sqrt(comm[multi].mean() * np.mean(list(r2.values()))))


def htmt_or_none(x: FloatArray, blocks: list[IntArray]) -> FloatArray | None:
    """HTMT matrix, or None when a block has one item or negatively correlated items."""
    try:
        return htmt(x, blocks)
    except StatsInputError:
        return None
