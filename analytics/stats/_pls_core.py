"""PLS path modelling kernels (Wold 1982; Lohmoeller 1989), written to reproduce R plspm 0.4.x.

Kept free of result formatting so the bootstrap can call them hundreds of times cheaply.
Outer weights start at 1 and are rescaled so each score has variance 1 (divisor n); each cycle:
Y = standardised X W; inner proxies Z = Y E with E from the scheme; Mode A w_j = X_j' Z_j / n,
Mode B w_j = (X_j' X_j)^-1 X_j' Z_j; stop when sum (|w_old| - |w_new|)^2 < tol (plspm's rule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class Structure:
    """Model structure: item -> block map, adjacency adj[i, j] = 1 for LV i -> LV j, modes, scheme."""

    blk: IntArray
    n_lv: int
    adj: FloatArray
    mode_b: tuple[int, ...]
    scheme: str
    tol: float
    max_iter: int

    @property
    def neighbours(self) -> FloatArray:
        """Symmetric adjacency (either direction)."""
        return self.adj + self.adj.T


def standardise_scores(y: FloatArray) -> FloatArray:
    """Centre and scale columns to variance 1 with divisor n (plspm's scale(Y) * sqrt((n-1)/n))."""
    y = y - y.mean(axis=0)
    return y / np.sqrt((y * y).mean(axis=0))


def _inner_weights(y: FloatArray, s: Structure) -> FloatArray:
    """Inner weights E[i, j] of LV i in the proxy of LV j (centroid, factorial or path scheme)."""
    c = (y.T @ y) / y.shape[0]
    if s.scheme == "centroid":
        return np.sign(c) * s.neighbours
    if s.scheme == "factorial":
        return c * s.neighbours
    e = np.zeros_like(c)
    for j in range(s.n_lv):
        pred = np.flatnonzero(s.adj[:, j])
        if pred.size:  # predecessors: multiple-regression coefficients of Y_j on them
            e[pred, j] = np.linalg.solve(c[np.ix_(pred, pred)], c[pred, j])
        succ = np.flatnonzero(s.adj[j, :])
        e[succ, j] = c[j, succ]  # successors: correlations
    return e


def weight_matrix(w: FloatArray, s: Structure) -> FloatArray:
    """Place item weights (p,) into the p x L outer weight matrix."""
    m = np.zeros((w.shape[0], s.n_lv))
    m[np.arange(w.shape[0]), s.blk] = w
    return m


def outer_weights(x: FloatArray, s: Structure, pinv: dict[int, FloatArray]) -> tuple[FloatArray, int, bool]:
    """Iterate the PLS outer/inner estimation; returns (weights p-vector, iterations, converged).

    ``x`` is the centred (and, if scaled, standardised) data; ``pinv`` holds (X_j'X_j)^-1 X_j' for
    Mode B blocks.  Final weights give scores with variance 1 (divisor n).
    """
    n = x.shape[0]
    w = np.ones(x.shape[1])
    w /= np.sqrt(((x @ weight_matrix(w, s)) ** 2).mean(axis=0))[s.blk]
    w_old = w
    converged = False
    it = 0
    for it in range(1, s.max_iter + 1):  # noqa: B007 - iterations are reported
        y = standardise_scores(x @ weight_matrix(w_old, s))
        z = y @ _inner_weights(y, s)
        w = np.einsum("ij,ij->j", x, z[:, s.blk]) / n
        for j in s.mode_b:
            idx = np.flatnonzero(s.blk == j)
            w[idx] = pinv[j] @ z[:, j]
        if np.sum((np.abs(w_old) - np.abs(w)) ** 2) < s.tol:
            converged = True
            break
        w_old = w
    sd = np.sqrt(((x @ weight_matrix(w, s)) ** 2).mean(axis=0))
    return w / sd[s.blk], it, converged


def fix_signs(x: FloatArray, w: FloatArray, s: Structure, reference: FloatArray | None = None) -> FloatArray:
    """Orient each block: with a reference, agree with it (w_j . ref_j >= 0); else loadings sum >= 0."""
    w = w.copy()
    if reference is not None:
        dots = np.bincount(s.blk, weights=w * reference, minlength=s.n_lv)
    else:
        y = x @ weight_matrix(w, s)
        dots = np.bincount(s.blk, weights=np.einsum("ij,ij->j", x, y[:, s.blk]), minlength=s.n_lv)
    flip = dots < 0
    w[flip[s.blk]] *= -1
    return w


def inner_model(y: FloatArray, adj: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Path coefficients B[i, j] (OLS of Y_j on its predecessors) and R^2 per LV (0 if exogenous).

    Scores are standardised, so OLS reduces to the normal equations on their correlation matrix
    C: beta = C_pp^-1 C_pj and R^2 = beta' C_pj (an L x L solve instead of an n-row lstsq).
    """
    n_lv = adj.shape[0]
    c = (y.T @ y) / y.shape[0]
    b = np.zeros((n_lv, n_lv))
    r2 = np.zeros(n_lv)
    for j in range(n_lv):
        pred = np.flatnonzero(adj[:, j])
        if pred.size:
            coef = np.linalg.solve(c[np.ix_(pred, pred)], c[pred, j])
            b[pred, j] = coef
            r2[j] = coef @ c[pred, j]
    return b, r2


def total_effects(b: FloatArray) -> FloatArray:
    """Total effects T = (I - B)^-1 - I = B + B^2 + ... for a recursive (acyclic) model."""
    eye = np.eye(b.shape[0])
    return np.linalg.inv(eye - b) - eye


def loadings(x: FloatArray, y: FloatArray) -> FloatArray:
    """Correlations of every item with every LV score (p x L cross-loadings)."""
    xs = x / np.sqrt((x * x).mean(axis=0))
    return (xs.T @ y) / x.shape[0]
