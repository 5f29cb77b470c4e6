"""Replicate-weight variance: delete-one-PSU jackknife (JKn) and Rao-Wu rescaling bootstrap.

Replicate r multiplies PSU p's weights by a_rp; calibrated weights are re-calibrated in every
replicate (Valliant 1993, JASA 88:1028; Lumley 2010 sec. 7.6).  Everything runs on PSU x cell
tables built with one np.bincount, never on n x R replicate-weight matrices.
JKn: a = 0 for the deleted PSU, n_h/(n_h-1) for the rest of its stratum, 1 elsewhere;
V = sum_r (1 - f_h) (n_h - 1)/n_h (theta_r - c)^2 (Wolter 2007 ch. 4), c = the mean of the
replicate estimates (R's default mse=FALSE, also svy's) or the full-sample estimate (mse=TRUE).
Bootstrap: n_h - 1 PSUs drawn with replacement per stratum, a = m_hj n_h/(n_h-1);
V = sum_r (theta_r - mean theta_r)^2 / (R - 1) (Rao & Wu 1988, JASA 83:231; Rao, Wu & Yue 1992).
"""

from __future__ import annotations

import numpy as np

from ._cells import ipf, margin_sums
from ._validate import FloatArray, StatsInputError
from .design import Design
from .weighting import CalibrationInfo

VARIANCE_METHODS = ("linearization", "jackknife", "bootstrap")
_MAX_TABLE = 50_000_000


def _jackknife(design: Design) -> tuple[FloatArray, FloatArray]:
    """JKn multipliers (P x P) and the variance coefficient of each replicate."""
    h = design.psu_stratum
    n_h = design.psu_per_stratum
    if (n_h < 2).any():
        raise StatsInputError("the jackknife needs at least two PSUs in every stratum")
    same = h[:, None] == h[None, :]
    a = np.where(same, (n_h / (n_h - 1.0))[h][:, None], 1.0)
    np.fill_diagonal(a, 0.0)
    coef = (design.fpc_factor * (n_h - 1.0) / n_h)[h]
    return a, coef


def _bootstrap(design: Design, n_replicates: int, seed) -> FloatArray:
    """Rao-Wu rescaled bootstrap multipliers (R x P)."""
    if design.has_fpc:
        raise StatsInputError(
            "bootstrap replicates ignore the fpc; use variance='jackknife' or linearization"
        )
    if n_replicates < 2:
        raise StatsInputError("bootstrap needs at least 2 replicates")
    rng = np.random.default_rng(seed)
    a = np.zeros((n_replicates, design.n_psu))
    for s, n_h in enumerate(design.psu_per_stratum):
        if n_h < 2:
            raise StatsInputError("the bootstrap needs at least two PSUs in every stratum")
        idx = np.flatnonzero(design.psu_stratum == s)
        draws = rng.multinomial(n_h - 1, np.full(n_h, 1.0 / n_h), size=n_replicates)
        a[:, idx] = draws * (n_h / (n_h - 1.0))
    return a


def _tables(design: Design, cells, n_cells: int, columns: list[FloatArray]) -> list[FloatArray]:
    """PSU x cell sums of each column via one flat np.bincount each."""
    if design.n_psu * n_cells > _MAX_TABLE:
        raise StatsInputError("too many PSUs x calibration cells for replicate variance; use linearization")
    key = design.psu * n_cells + cells
    size = design.n_psu * n_cells
    return [np.bincount(key, weights=c, minlength=size).reshape(design.n_psu, n_cells) for c in columns]


def _factors(a: FloatArray, t0: FloatArray, calibration: CalibrationInfo | None, w: FloatArray) -> FloatArray:
    """Per-replicate calibration factors on the cells (R x J); ones without calibration."""
    if calibration is None:
        return np.ones((a.shape[0], 1))
    rep = a @ t0
    final = np.bincount(calibration.cells, weights=w, minlength=t0.shape[1])
    if calibration.kind == "poststratification":
        if (rep <= 0).any():
            raise StatsInputError("a replicate leaves a post-stratum without respondents; use linearization")
        return final / rep
    targets = margin_sums(final, calibration.cell_margins, calibration.n_categories)
    f, _, err = ipf(rep, calibration.cell_margins, targets, tol=1e-10, max_iter=1000)
    if err > 1e-8:
        raise StatsInputError("raking a replicate did not converge; use linearization")
    return f


def replicate_variance(
    kind: str,
    y: FloatArray,
    w: FloatArray,
    mask: np.ndarray,
    design: Design,
    calibration: CalibrationInfo | None,
    estimate: float,
    *,
    method: str,
    n_replicates: int,
    seed,
    mse: bool = False,
) -> float:
    """Replicate variance of a weighted mean / proportion (ratio) or total in a domain."""
    if method == "jackknife":
        a, coef = _jackknife(design)
    else:
        a, coef = _bootstrap(design, n_replicates, seed), None
    if a.shape[0] * a.shape[1] > _MAX_TABLE:
        raise StatsInputError("too many replicates x PSUs; use linearization")
    if calibration is None:
        w0, cells, n_cells = w, np.zeros(w.shape[0], dtype=np.intp), 1
    else:
        w0, cells, n_cells = calibration.prev_weights, calibration.cells, calibration.cell_margins.shape[0]
    wd = np.where(mask, w0, 0.0)
    t0, ty, tn = _tables(design, cells, n_cells, [w0, wd * y, wd])
    f = _factors(a, t0, calibration, w)
    num = ((a @ ty) * f).sum(axis=1)
    if kind == "total":
        theta = num
    else:
        den = ((a @ tn) * f).sum(axis=1)
        if (den <= 0).any():
            raise StatsInputError("a replicate leaves the domain empty; use linearization")
        theta = num / den
    centre = estimate if mse else theta.mean()
    if coef is not None:
        return float(np.sum(coef * (theta - centre) ** 2))
    return float(np.sum((theta - centre) ** 2) / (theta.shape[0] - 1))
