"""Sampling design (strata, PSUs, fpc) and Taylor-linearisation variance of estimating scores.

V = sum_h (1 - f_h) n_h / (n_h - 1) sum_{j in h} (e_hj - ebar_h)^2 with e_hj the PSU totals of
the scores (Wolter 2007, *Introduction to Variance Estimation*, ch. 6; Lumley 2010, sec. 2.2 and
appendix C; R ``survey::svyrecvar``).  After calibration the scores are replaced by residuals
from the calibration cells (Deville & Saerndal 1992; Lumley 2010 sec. 7.4), computed exactly as
R's ``svyrecvar`` and ``svy`` do so the standard errors agree.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._cells import build_cells
from ._validate import FloatArray, IntArray, StatsInputError, as_vector, check_choice, factorize, fmt
from .weighting import CalibrationInfo

# R's svyrecvar sweeps raking margins a fixed 10 times (not to convergence); svy copies that.
RAKE_SWEEPS = 10


@dataclass(frozen=True, eq=False)
class Design:
    """Coded design: stratum and PSU of each respondent, PSUs per stratum, fpc factors, df."""

    n: int
    strata: IntArray
    strata_levels: list[Hashable]
    psu: IntArray
    psu_stratum: IntArray
    psu_per_stratum: IntArray
    fpc_factor: FloatArray  # (1 - f_h) per stratum; 1 without fpc
    singleton: str
    has_fpc: bool

    @property
    def n_psu(self) -> int:
        """Number of PSUs P (each respondent is its own PSU when none are given)."""
        return int(self.psu_stratum.shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R ``degf``)."""
        return self.n_psu - int(self.psu_per_stratum.shape[0])


def build_design(
    n: int,
    strata: ArrayLike | None = None,
    psu: ArrayLike | None = None,
    fpc: ArrayLike | None = None,
    singleton: str = "error",
) -> Design:
    """Code strata and PSUs (PSU labels are nested within strata) and resolve the fpc.

    ``fpc`` is per respondent, constant within a stratum: the population number of PSUs N_h, or
    the sampling fraction f_h when every value is <= 1 (as in R's svydesign).  ``singleton``
    decides what a stratum with one PSU does: "error" (default), "center" (deviation from the
    grand mean of PSU totals, R's lonely.psu="adjust") or "skip" (contributes nothing).
    """
    check_choice(singleton, "singleton", ("error", "center", "skip"))
    if strata is None:
        s_codes, s_levels = np.zeros(n, dtype=np.intp), [None]
    else:
        s_codes, s_levels = factorize(strata, "strata", n)
    if psu is None:
        p_codes = np.arange(n, dtype=np.intp)
        psu_stratum = s_codes.copy()
    else:
        raw, raw_levels = factorize(psu, "psu", n)
        cells = build_cells([s_codes, raw], [len(s_levels), len(raw_levels)])
        p_codes, psu_stratum = cells.cells, cells.cell_margins[:, 0]
    n_h = np.bincount(psu_stratum, minlength=len(s_levels))
    fpc_factor = np.ones(len(s_levels))
    if fpc is not None:
        fpc_factor = _fpc_factor(as_vector(fpc, "fpc", n), s_codes, s_levels, n_h)
    lonely = np.flatnonzero(n_h == 1)
    if lonely.size and singleton == "error":
        names = ", ".join(fmt(s_levels[h]) for h in lonely[:10])
        raise StatsInputError(
            f"strata {names} have a single PSU, so their variance cannot be estimated; "
            "merge strata or pass singleton='center' or 'skip'"
        )
    return Design(n, s_codes, s_levels, p_codes, psu_stratum, n_h, fpc_factor, singleton, fpc is not None)


def _fpc_factor(fpc: FloatArray, s_codes: IntArray, s_levels: list, n_h: IntArray) -> FloatArray:
    first = np.zeros(len(s_levels))
    first[s_codes[::-1]] = fpc[::-1]  # any row's value; checked constant below
    varying = np.flatnonzero(
        np.bincount(s_codes, weights=np.abs(fpc - first[s_codes]), minlength=len(s_levels))
    )
    if varying.size:
        raise StatsInputError(f"fpc varies within strata {', '.join(fmt(s_levels[h]) for h in varying[:10])}")
    if (first <= 0).any():
        raise StatsInputError("fpc must be positive")
    if (first <= 1).all():
        return 1.0 - first
    small = np.flatnonzero(first < n_h)
    if small.size:
        h = small[0]
        raise StatsInputError(
            f"fpc for stratum {fmt(s_levels[h])} is {first[h]:g}, below its {n_h[h]} sampled PSUs"
        )
    return 1.0 - n_h / first


def psu_totals(design: Design, scores: FloatArray) -> FloatArray:
    """Sum scores (n,) or (n, k) within PSUs: (P,) or (P, k), via np.bincount (no dummy matrices)."""
    if scores.ndim == 1:
        return np.bincount(design.psu, weights=scores, minlength=design.n_psu)
    return np.column_stack([psu_totals(design, scores[:, j]) for j in range(scores.shape[1])])


def variance_of_totals(design: Design, totals: FloatArray) -> FloatArray:
    """sum_h (1 - f_h) n_h/(n_h - 1) sum_j (t_hj - tbar_h)(t_hj - tbar_h)' from PSU totals (P,) or (P, k)."""
    t2 = totals if totals.ndim == 2 else totals[:, None]
    n_h = design.psu_per_stratum
    h = design.psu_stratum
    sums = np.column_stack(
        [np.bincount(h, weights=t2[:, j], minlength=n_h.shape[0]) for j in range(t2.shape[1])]
    )
    dev = t2 - (sums / np.maximum(n_h, 1)[:, None])[h]
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(n_h > 1, design.fpc_factor * n_h / (n_h - 1), 0.0)
    lonely = n_h == 1
    if lonely.any() and design.singleton == "center":  # R's lonely.psu = "adjust"
        dev = np.where(lonely[h][:, None], t2 - t2.sum(axis=0) / t2.shape[0], dev)
        coef = np.where(lonely, design.fpc_factor, coef)
    v = (dev * coef[h][:, None]).T @ dev
    return v[0, 0] if totals.ndim == 1 else v


def variance(design: Design, scores: FloatArray) -> FloatArray:
    """Linearised (co)variance of sum_i scores_i: scalar array for (n,), (k, k) for (n, k)."""
    return variance_of_totals(design, psu_totals(design, scores))


@dataclass(frozen=True, eq=False)
class CalibrationSweep:
    """Calibration residuals e_i = w_i (u_i - b_c(i)) with the cell effects b computed on the cell table.

    Post-stratification: b_c = sum_{i in c} w0_i u_i / sum_{i in c} w0_i with the weights w0
    before calibration.  Raking: R's backfitting, 10 sweeps over the margins of
    b += unweighted mean of (u - b) within each margin category (as R's svyrecvar and svy).
    Domain scores touch only the domain's rows; the w-weighted effects reach the PSU totals
    through a PSU x cell table of weights, so a domain costs O(n_domain + P J), not O(n).
    """

    calibration: CalibrationInfo
    den: FloatArray  # per cell: sum of w0 (post-stratification) or respondent count (raking)
    psu_cell: FloatArray | None  # P x J sums of the calibrated weights, when small enough

    def effects(self, rows: IntArray, u_rows: FloatArray) -> FloatArray:
        """Cell effects b (J,) for a score u that is zero outside ``rows``."""
        cal = self.calibration
        n_cells = cal.cell_margins.shape[0]
        cells = cal.cells[rows]
        if cal.kind == "poststratification":
            num = np.bincount(cells, weights=cal.prev_weights[rows] * u_rows, minlength=n_cells)
            return np.divide(num, self.den, out=np.zeros(n_cells), where=self.den != 0)
        s = np.bincount(cells, weights=u_rows, minlength=n_cells)
        b = np.zeros(n_cells)
        for _ in range(RAKE_SWEEPS):
            for m, k in enumerate(cal.n_categories):
                idx = cal.cell_margins[:, m]
                num = np.bincount(idx, weights=s - self.den * b, minlength=k)
                den = np.bincount(idx, weights=self.den, minlength=k)
                b += np.divide(num, den, out=np.zeros(k), where=den != 0)[idx]
        return b


_MAX_PSU_CELL = 20_000_000


def _cell_sizes(calibration: CalibrationInfo) -> FloatArray:
    """Denominators of the cell effects: sum of w0 per cell (post-stratification), counts (raking)."""
    n_cells = calibration.cell_margins.shape[0]
    if calibration.kind == "poststratification":
        return np.bincount(calibration.cells, weights=calibration.prev_weights, minlength=n_cells)
    return np.bincount(calibration.cells, minlength=n_cells).astype(float)


def calibration_sweep(design: Design, calibration: CalibrationInfo | None) -> CalibrationSweep | None:
    """Precompute what every score's calibration residuals share (cell sizes, PSU x cell weights)."""
    if calibration is None:
        return None
    cells, n_cells = calibration.cells, calibration.cell_margins.shape[0]
    den = _cell_sizes(calibration)
    psu_cell = None
    if design.n_psu * n_cells <= _MAX_PSU_CELL:
        key = design.psu * n_cells + cells
        psu_cell = np.bincount(key, weights=calibration.weights, minlength=design.n_psu * n_cells)
        psu_cell = psu_cell.reshape(design.n_psu, n_cells)
    return CalibrationSweep(calibration, den, psu_cell)


def score_psu_totals(
    design: Design, sweep: CalibrationSweep | None, rows: IntArray, w_rows: FloatArray, u_rows: FloatArray
) -> FloatArray:
    """PSU totals of the (calibration-residual) scores w_i u_i of a domain given by ``rows``."""
    t = np.bincount(design.psu[rows], weights=w_rows * u_rows, minlength=design.n_psu)
    if sweep is None:
        return t
    b = sweep.effects(rows, u_rows)
    if sweep.psu_cell is not None:
        return t - sweep.psu_cell @ b
    cal = sweep.calibration
    return t - np.bincount(design.psu, weights=cal.weights * b[cal.cells], minlength=design.n_psu)


def calibrated_residuals(u: FloatArray, w: FloatArray, calibration: CalibrationInfo | None) -> FloatArray:
    """Per-respondent scores w_i u_i, or calibration residuals w_i (u_i - b_c(i)) (see CalibrationSweep)."""
    if calibration is None:
        return w * u
    sweep = CalibrationSweep(calibration, _cell_sizes(calibration), None)
    return w * (u - sweep.effects(np.arange(u.shape[0]), u)[calibration.cells])
