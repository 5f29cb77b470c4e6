"""Indicator weights: AHP (eigenvector, consistency ratio), entropy weights and their combination.

Saaty (1977) J. Math. Psych. 15:234-281 and Saaty (2008) Int. J. Services Sciences 1:83-98
(principal eigenvector, CI = (lambda_max - n)/(n - 1), CR = CI / RI, accept CR < 0.1);
entropy weights: Shannon entropy of each indicator's distribution over the alternatives
(Zeleny 1982; Hwang & Yoon 1981 sec. 4.3).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._validate import FloatArray, StatsInputError, as_matrix, check_choice, fmt

# Saaty's random consistency index RI by matrix order (Saaty 1980/2008; n = 11..15 from Saaty 2012).
SAATY_RI = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}


@dataclass(frozen=True, eq=False)
class AHPResult:
    """Priority weights (sum 1) with lambda_max, CI, RI and CR."""

    labels: tuple[Hashable, ...]
    weights: FloatArray
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float

    def as_dict(self) -> dict[Hashable, float]:
        """Weights keyed by label."""
        return {k: float(v) for k, v in zip(self.labels, self.weights, strict=True)}


def _comparison_matrix(judgments, labels) -> tuple[FloatArray, tuple]:
    """Build the reciprocal matrix from a square array or {(a, b): a_over_b} judgments."""
    if isinstance(judgments, Mapping):
        names = list(labels) if labels is not None else list(dict.fromkeys(k for p in judgments for k in p))
        pos = {k: i for i, k in enumerate(names)}
        a = np.full((len(names), len(names)), np.nan)
        np.fill_diagonal(a, 1.0)
        for (x, y), v in judgments.items():
            if x not in pos or y not in pos:
                raise StatsInputError(f"judgment ({fmt(x)}, {fmt(y)}) names an unknown element")
            a[pos[x], pos[y]], a[pos[y], pos[x]] = float(v), 1.0 / float(v)
        if np.isnan(a).any():
            i, j = np.argwhere(np.isnan(a))[0]
            raise StatsInputError(f"missing judgment for pair ({fmt(names[i])}, {fmt(names[j])})")
        return a, tuple(names)
    a = as_matrix(judgments, "comparison matrix")
    n = a.shape[0]
    names = tuple(labels) if labels is not None else tuple(range(n))
    if a.shape != (n, n) or len(names) != n:
        raise StatsInputError(f"comparison matrix must be square with one label per row, got {a.shape}")
    return a, names


def ahp_weights(
    judgments: ArrayLike | Mapping[tuple[Hashable, Hashable], float],
    labels: Sequence[Hashable] | None = None,
    *,
    max_cr: float = 0.1,
    reciprocal_tol: float = 0.01,
) -> AHPResult:
    """AHP priorities: the principal (Perron) eigenvector of the pairwise comparison matrix.

    A w = lambda_max w, w normalised to sum 1; CI = (lambda_max - n)/(n - 1); CR = CI / RI(n) with
    Saaty's RI table.  Raises StatsInputError when CR >= ``max_cr`` (default 0.1, Saaty's rule),
    naming the judgment that deviates most from the derived weights, and for non-positive or
    non-reciprocal matrices (a_ji must equal 1/a_ij within ``reciprocal_tol``, relative).
    References: Saaty (1977) J. Math. Psych. 15:234-281; Saaty (2008) Int. J. Services Sciences 1:83-98.
    """
    a, names = _comparison_matrix(judgments, labels)
    n = a.shape[0]
    if (a <= 0).any():
        raise StatsInputError("pairwise comparisons must be positive")
    if not np.allclose(np.diag(a), 1.0):
        raise StatsInputError("the diagonal of a comparison matrix must be 1")
    bad = np.abs(a * a.T - 1.0) > reciprocal_tol
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise StatsInputError(
            f"comparison matrix is not reciprocal: a[{fmt(names[i])}, {fmt(names[j])}] = {a[i, j]:g} but "
            f"a[{fmt(names[j])}, {fmt(names[i])}] = {a[j, i]:g}"
        )
    if n not in SAATY_RI:
        raise StatsInputError(f"Saaty's random index is tabulated for 1 to 15 elements, got {n}")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n]
    cr = ci / ri if ri > 0 else 0.0
    if cr >= max_cr:
        dev = np.abs(np.log(a) - np.log(np.outer(w, 1 / w)))
        i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
        raise StatsInputError(
            f"consistency ratio CR = {cr:.3f} >= {max_cr:g}: the judgments are too inconsistent to use; "
            f"revise them, starting with ({fmt(names[i])} vs {fmt(names[j])}) = {a[i, j]:g}, which the "
            f"other judgments put near {w[i] / w[j]:.3g}"
        )
    return AHPResult(names, w, lam, float(ci), ri, float(cr))


@dataclass(frozen=True, eq=False)
class AHPNode:
    """One level of an AHP hierarchy: a comparison of ``labels``; children refine some of them."""

    judgments: ArrayLike | Mapping[tuple[Hashable, Hashable], float]
    labels: Sequence[Hashable] | None = None
    children: Mapping[Hashable, AHPNode] = field(default_factory=dict)


def ahp_hierarchy(root: AHPNode, *, max_cr: float = 0.1) -> dict[tuple[Hashable, ...], float]:
    """Global weights of the leaves: product of local AHP weights along the path from the root.

    Keys are label paths, e.g. ("service", "waiting time"); the global weights sum to 1.
    """
    res = ahp_weights(root.judgments, root.labels, max_cr=max_cr)
    unknown = [fmt(k) for k in root.children if k not in res.labels]
    if unknown:
        raise StatsInputError(f"children {', '.join(unknown)} are not compared at this level")
    out: dict[tuple[Hashable, ...], float] = {}
    for label, w in zip(res.labels, res.weights, strict=True):
        if label in root.children:
            for path, g in ahp_hierarchy(root.children[label], max_cr=max_cr).items():
                out[(label, *path)] = float(w) * g
        else:
            out[(label,)] = float(w)
    return out


def entropy_weights(
    matrix: ArrayLike, *, benefit: Sequence[bool] | None = None, normalize: str = "minmax"
) -> FloatArray:
    """Entropy weights of indicators (columns) over alternatives (rows).

    p_ij = x'_ij / sum_i x'_ij with x' min-max normalised (cost indicators reversed) or raw
    (``normalize="sum"``, x >= 0); e_j = -sum_i p_ij ln p_ij / ln m; w_j = (1 - e_j) / sum (1 - e).
    Constant indicators carry no information and raise StatsInputError.
    References: Hwang & Yoon (1981) sec. 4.3; Zeleny (1982) *Multiple Criteria Decision Making*.
    """
    check_choice(normalize, "normalize", ("minmax", "sum"))
    x = as_matrix(matrix, "indicator matrix")
    m, k = x.shape
    if m < 2:
        raise StatsInputError("entropy weights need at least two alternatives (rows)")
    ben = np.ones(k, bool) if benefit is None else np.asarray(benefit, bool)
    if ben.shape != (k,):
        raise StatsInputError(f"benefit must have one flag per indicator ({k})")
    span = x.max(axis=0) - x.min(axis=0)
    const = np.flatnonzero(span == 0)
    if const.size:
        raise StatsInputError(
            f"indicator(s) {const.tolist()} are constant; their entropy weight is undefined"
        )
    if normalize == "minmax":
        z = np.where(ben, x - x.min(axis=0), x.max(axis=0) - x) / span
    else:
        if (x < 0).any():
            raise StatsInputError("normalize='sum' needs non-negative indicator values")
        z = np.where(ben, x, 1.0 / np.where(x > 0, x, np.nan))
        if np.isnan(z).any():
            raise StatsInputError("a cost indicator has a zero value; use normalize='minmax'")
    p = z / z.sum(axis=0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    d = 1.0 - e
    return d / d.sum()


def combine_weights(
    subjective: ArrayLike, objective: ArrayLike, *, method: str = "multiplicative", alpha: float = 0.5
) -> FloatArray:
    """Combine subjective (AHP) and objective (entropy) weights.

    multiplicative: w_j = a_j b_j / sum a b; linear: w_j = alpha a_j + (1 - alpha) b_j (both sum 1).
    """
    check_choice(method, "method", ("multiplicative", "linear"))
    a = np.asarray(subjective, float)
    b = np.asarray(objective, float)
    if a.shape != b.shape or a.ndim != 1 or (a < 0).any() or (b < 0).any():
        raise StatsInputError("weights must be two non-negative vectors of the same length")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise StatsInputError("weights must be finite")
    a, b = a / a.sum(), b / b.sum()
    if method == "linear":
        if not 0 <= alpha <= 1:
            raise StatsInputError("alpha must lie in [0, 1]")
        return alpha * a + (1 - alpha) * b
    prod = a * b
    if prod.sum() == 0:
        raise StatsInputError("the two weight vectors share no positive weight")
    return prod / prod.sum()
