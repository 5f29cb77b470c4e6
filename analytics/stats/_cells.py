"""Joint calibration cells and iterative proportional fitting on the cell table.

Raking factors depend only on a respondent's combination of margin categories, so IPF runs on the
table of base-weight sums per joint cell (16 x 6 x 2 = 192 numbers for a province) instead of on a
million rows: one np.bincount to build the table, one gather to expand the factors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validate import FloatArray, IntArray

_DENSE_KEY_LIMIT = 1 << 24


@dataclass(frozen=True, eq=False)
class CellTable:
    """Respondents' joint cells: codes (n,), and each cell's category in every margin (J, M)."""

    cells: IntArray
    cell_margins: IntArray
    n_categories: tuple[int, ...]

    @property
    def n_cells(self) -> int:
        """Number of non-empty joint cells J."""
        return int(self.cell_margins.shape[0])


def build_cells(codes: Sequence[IntArray], n_categories: Sequence[int]) -> CellTable:
    """Combine per-margin codes into compact joint-cell codes (only cells that hold respondents)."""
    n = codes[0].shape[0]
    key = np.zeros(n, dtype=np.int64)
    stride = 1
    for c, k in zip(reversed(codes), reversed(n_categories), strict=True):
        key += c.astype(np.int64) * stride
        stride *= int(k)
    if stride <= max(_DENSE_KEY_LIMIT, 4 * n):
        present = np.bincount(key, minlength=stride) > 0
        lookup = np.cumsum(present, dtype=np.intp) - 1
        cells = lookup[key]
        keys = np.flatnonzero(present)
    else:
        keys, cells = np.unique(key, return_inverse=True)
        cells = cells.astype(np.intp, copy=False).reshape(-1)
    cell_margins = np.empty((keys.shape[0], len(codes)), dtype=np.intp)
    rest = keys.astype(np.int64)
    for m in range(len(codes) - 1, -1, -1):
        k = int(n_categories[m])
        cell_margins[:, m] = rest % k
        rest //= k
    return CellTable(cells=cells, cell_margins=cell_margins, n_categories=tuple(int(k) for k in n_categories))


def margin_sums(table: FloatArray, cell_margins: IntArray, n_categories: Sequence[int]) -> list[FloatArray]:
    """Sum a cell table (J,) or stacked tables (R, J) into each margin's categories."""
    out = []
    for m, k in enumerate(n_categories):
        idx = cell_margins[:, m]
        if table.ndim == 1:
            out.append(np.bincount(idx, weights=table, minlength=k))
        else:
            acc = np.zeros((table.shape[0], k))
            for c in range(k):  # k is small (a margin's categories); avoids an R x J x k temporary
                acc[:, c] = table[:, idx == c].sum(axis=1)
            out.append(acc)
    return out


def ipf(
    table: FloatArray,
    cell_margins: IntArray,
    targets: Sequence[FloatArray],
    *,
    tol: float,
    max_iter: int,
) -> tuple[FloatArray, int, float]:
    """Raking factors per cell by IPF; returns (factors, iterations, max relative margin error).

    Deming & Stephan (1940): cycle through the margins, multiplying every cell of category c of
    margin m by target_c / current_c, until max_c |current_c - target_c| / target_c <= tol.
    ``table`` may be (J,) or (R, J) (replicates, raked independently in one vectorised loop).
    """
    n_categories = [t.shape[-1] for t in targets]
    factors = np.ones_like(table)
    safe = [np.where(t > 0, t, 1.0) for t in targets]
    err = np.inf
    for it in range(1, max_iter + 1):
        for m, target in enumerate(targets):
            current = margin_sums(table * factors, cell_margins[:, m : m + 1], [n_categories[m]])[0]
            ratio = np.divide(target, current, out=np.ones_like(current), where=current > 0)
            factors *= ratio[..., cell_margins[:, m]]
        err = max_relative_error(table * factors, cell_margins, targets, safe)
        if err <= tol:
            return factors, it, err
    return factors, max_iter, err


def max_relative_error(
    table: FloatArray, cell_margins: IntArray, targets: Sequence[FloatArray], safe: Sequence[FloatArray]
) -> float:
    """Largest |achieved - target| / target over all margins and categories (zero targets skipped)."""
    sums = margin_sums(table, cell_margins, [t.shape[-1] for t in targets])
    worst = 0.0
    for s, t, d in zip(sums, targets, safe, strict=True):
        rel = np.abs(s - t) / d
        rel = np.where(t > 0, rel, 0.0)
        worst = max(worst, float(rel.max(initial=0.0)))
    return worst
