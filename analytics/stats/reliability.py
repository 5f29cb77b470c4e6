"""Reliability and validity of multi-item constructs.

Cronbach (1951) alpha; Dillon-Goldstein (Werts, Linn & Joereskog 1974) rho / composite
reliability; Fornell & Larcker (1981) AVE criterion; Dijkstra & Henseler (2015, MIS Quarterly
39:297-316) rho_A; Henseler, Ringle & Sarstedt (2015, JAMS 43:115-135) HTMT.  alpha and DG rho
are checked against R plspm's unidimensionality table in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validate import FloatArray, StatsInputError, as_matrix


def _corr(items: FloatArray, name: str = "items") -> FloatArray:
    """Item correlation matrix; constant items raise (their correlation is undefined)."""
    sd = items.std(axis=0)
    const = np.flatnonzero(sd == 0)
    if const.size:
        raise StatsInputError(f"{name}: item(s) {const.tolist()} are constant, so correlations are undefined")
    return np.corrcoef(items, rowvar=False)


def _items(items: ArrayLike, min_items: int = 2) -> FloatArray:
    x = as_matrix(items, "items")
    if x.shape[1] < min_items:
        raise StatsInputError(f"need at least {min_items} items, got {x.shape[1]}")
    if x.shape[0] < 2:
        raise StatsInputError("need at least two respondents")
    return x


def cronbach_alpha(items: ArrayLike, *, standardized: bool = False) -> float:
    """Cronbach's alpha = k/(k-1) (1 - sum var_i / var(sum)); standardized: k rbar / (1 + (k-1) rbar).

    Standardised alpha (on the correlation matrix R) is k/(k-1) (1 - k / sum(R)), as R plspm reports.
    Reference: Cronbach (1951), Psychometrika 16:297-334.
    """
    x = _items(items)
    k = x.shape[1]
    if standardized:
        r = _corr(x)
        return float(k / (k - 1) * (1 - k / r.sum()))
    cov = np.cov(x, rowvar=False)
    if (np.diag(cov) == 0).any():
        raise StatsInputError("constant items give a degenerate alpha; drop them first")
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def composite_reliability(loadings: ArrayLike) -> float:
    """Composite reliability rho_c = (sum l)^2 / ((sum l)^2 + sum (1 - l^2)) for standardised loadings."""
    lam = np.asarray(loadings, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.isfinite(lam).all():
        raise StatsInputError("loadings must be a non-empty finite vector")
    s = lam.sum() ** 2
    return float(s / (s + np.sum(1 - lam**2)))


def first_component_loadings(items: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Loadings on the first principal component of the correlation matrix, and all eigenvalues.

    l = sqrt(eig_1) v_1, oriented so the loadings sum positive; eigenvalues in decreasing order.
    """
    r = _corr(_items(items, 1))
    vals, vecs = np.linalg.eigh(r)
    order = np.argsort(vals)[::-1]
    vals, v1 = vals[order], vecs[:, order[0]]
    lam = np.sqrt(max(vals[0], 0.0)) * v1
    return (lam if lam.sum() >= 0 else -lam), vals


def dillon_goldstein_rho(items: ArrayLike) -> float:
    """Dillon-Goldstein rho: composite reliability of the first-principal-component loadings (plspm)."""
    lam, _ = first_component_loadings(items)
    return composite_reliability(lam)


def ave(loadings: ArrayLike) -> float:
    """Average variance extracted, AVE = sum l^2 / k (Fornell & Larcker 1981) for standardised loadings."""
    lam = np.asarray(loadings, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.isfinite(lam).all():
        raise StatsInputError("loadings must be a non-empty finite vector")
    return float(np.mean(lam**2))


def rho_a(items: ArrayLike, weights: ArrayLike) -> float:
    """Dijkstra-Henseler rho_A = (w'w)^2 w'(S - diag S) w / w'(ww' - diag ww') w.

    S is the item correlation matrix and w the outer weights for standardised items, scaled so
    the composite has unit variance (w'Sw = 1).  Needs at least two items.
    """
    x = _items(items)
    w = np.asarray(weights, dtype=float)
    if w.shape != (x.shape[1],) or not np.isfinite(w).all():
        raise StatsInputError(f"weights must be {x.shape[1]} finite numbers")
    s = _corr(x)
    scale = float(w @ s @ w)
    if scale <= 0:
        raise StatsInputError("the weighted composite has zero variance")
    w = w / np.sqrt(scale)
    ww = np.outer(w, w)
    den = float(w @ (ww - np.diag(np.diag(ww))) @ w)
    if den == 0:
        raise StatsInputError("rho_A is undefined for these weights")
    return float((w @ w) ** 2 * (w @ (s - np.diag(np.diag(s))) @ w) / den)


@dataclass(frozen=True, eq=False)
class FornellLarcker:
    """Latent-variable correlations with sqrt(AVE) on the diagonal; passed[j] when sqrt(AVE_j) > |r_jk|."""

    names: tuple[str, ...]
    matrix: FloatArray
    passed: dict[str, bool]


def fornell_larcker(scores: ArrayLike, ave_values: Mapping[str, float]) -> FornellLarcker:
    """Fornell-Larcker criterion: each construct's sqrt(AVE) must exceed its correlations with the others."""
    y = as_matrix(scores, "scores")
    names = tuple(ave_values)
    if len(names) != y.shape[1]:
        raise StatsInputError(f"got {y.shape[1]} score columns but {len(names)} AVE values")
    m = _corr(y, "scores")
    root = np.sqrt(np.array([ave_values[k] for k in names], dtype=float))
    np.fill_diagonal(m, root)
    off = np.abs(m - np.diag(np.diag(m)))
    passed = {k: bool(root[j] > off[j].max(initial=0.0)) for j, k in enumerate(names)}
    return FornellLarcker(names, m, passed)


def htmt(items: ArrayLike, blocks: Sequence[Sequence[int]]) -> FloatArray:
    """Heterotrait-monotrait ratio for every pair of blocks (column indices of ``items``).

    HTMT_ij = mean r(heterotrait i, j) / sqrt(mean r(monotrait i) mean r(monotrait j)), with the
    monotrait means over distinct item pairs (Henseler, Ringle & Sarstedt 2015, eq. 6).
    """
    x = as_matrix(items, "items")
    r = _corr(x)
    mono = []
    for b, idx in enumerate(blocks):
        idx = list(idx)
        if len(idx) < 2:
            raise StatsInputError(f"HTMT needs at least two items in block {b}")
        sub = r[np.ix_(idx, idx)]
        mono.append((sub.sum() - len(idx)) / (len(idx) * (len(idx) - 1)))
    if min(mono) <= 0:
        raise StatsInputError("a block's items are not positively correlated on average; HTMT is undefined")
    out = np.ones((len(blocks), len(blocks)))
    for i in range(len(blocks)):
        for j in range(i + 1, len(blocks)):
            het = r[np.ix_(list(blocks[i]), list(blocks[j]))].mean()
            out[i, j] = out[j, i] = het / np.sqrt(mono[i] * mono[j])
    return out
