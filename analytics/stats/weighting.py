"""Survey weights: base weights, post-stratification, raking, trimming, Kish effective n.

References: Kish (1965) *Survey Sampling*; Deming & Stephan (1940) Ann. Math. Stat. 11:427-444
(IPF); Lumley (2010) *Complex Surveys* ch. 7; Potter (1990) on weight trimming.  Results are
checked against the ``svy`` package (which reproduces R's survey package) in the tests.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._cells import CellTable, build_cells, ipf, margin_sums, max_relative_error
from ._validate import FloatArray, IntArray, StatsInputError, as_weights, check_choice, factorize, fmt, vdot

MarginSpec = tuple[ArrayLike, Mapping[Hashable, float]]


@dataclass(frozen=True, eq=False)
class CalibrationInfo:
    """What a calibration did, so variance estimation can use calibration-adjusted residuals.

    ``cells`` holds each respondent's joint cell, ``cell_margins`` each cell's category in every
    margin (one column for post-stratification: the cell itself), ``prev_weights`` the weights
    before calibration and ``weights`` after.
    """

    kind: str  # "poststratification" | "raking"
    margin_names: tuple[str, ...]
    cells: IntArray
    cell_margins: IntArray
    n_categories: tuple[int, ...]
    prev_weights: FloatArray
    weights: FloatArray


@dataclass(frozen=True)
class CalibrationReport:
    """Convergence report: achieved vs target per margin category, worst cells, plain message."""

    converged: bool
    iterations: int
    max_relative_error: float
    tolerance: float
    margins: dict[str, dict[Hashable, tuple[float, float]]]
    worst: tuple[tuple[str, Hashable, float, float], ...] = ()
    feasible: bool | None = None
    message: str = ""


@dataclass(frozen=True, eq=False)
class WeightingResult:
    """Calibrated weights with their calibration record and Kish diagnostics."""

    weights: FloatArray
    calibration: CalibrationInfo
    report: CalibrationReport
    effective_n: float
    design_effect: float
    population_total: float


def kish_effective_n(weights: ArrayLike) -> float:
    """Kish effective sample size n_eff = (sum w)^2 / sum w^2.

    Reference: Kish (1965) *Survey Sampling* sec. 11.7; n_eff = n / deff_w.
    """
    w = as_weights(weights)
    return float(w.sum() ** 2 / vdot(w, w))


def design_effect(weights: ArrayLike) -> float:
    """Kish design effect from unequal weighting, deff_w = n sum w^2 / (sum w)^2 = 1 + cv^2(w).

    n counts respondents with a positive weight (Kish 1965; Kish 1992, J. Off. Stat. 8:183-200).
    """
    w = as_weights(weights)
    return float(np.count_nonzero(w) * vdot(w, w) / w.sum() ** 2)


def base_weights(strata: ArrayLike, population: Mapping[Hashable, float]) -> FloatArray:
    """Design (base) weights for stratified simple random sampling: w_i = N_h / n_h.

    N_h is the stratum's population size from ``population``, n_h its number of respondents.
    """
    codes, levels = factorize(strata, "strata")
    if codes.size == 0:
        raise StatsInputError("strata is empty: there are no respondents")
    n_h = np.bincount(codes, minlength=len(levels)).astype(float)
    missing = [fmt(lv) for lv in levels if lv not in population]
    if missing:
        raise StatsInputError(f"strata {', '.join(missing)} have respondents but no population size")
    empty = [fmt(k) for k, v in population.items() if k not in set(levels) and v > 0]
    if empty:
        raise StatsInputError(f"strata {', '.join(empty)} have a population size but no respondents")
    big_n = np.array([float(population[lv]) for lv in levels])
    if (big_n < n_h).any():
        bad = [fmt(lv) for lv, a, b in zip(levels, big_n, n_h, strict=True) if a < b]
        raise StatsInputError(f"strata {', '.join(bad)} have more respondents than population")
    return (big_n / n_h)[codes]


@dataclass(frozen=True, eq=False)
class _Margins:
    names: tuple[str, ...]
    levels: tuple[list[Hashable], ...]
    codes: tuple[IntArray, ...]
    targets: tuple[FloatArray, ...]


def _check_margin(
    name: str,
    codes: IntArray,
    levels: list[Hashable],
    totals: Mapping[Hashable, float],
    w: FloatArray,
    words: tuple[str, str, str] = ("margin", "category", "categories"),
) -> FloatArray:
    """Validate one margin (or post-stratification table) and return its targets in level order."""
    what, one, many = f"{words[0]} {name!r}", words[1], words[2]
    no_total = [fmt(lv) for lv in levels if lv not in totals]
    if no_total:
        raise StatsInputError(f"{what}: respondents in {many} {', '.join(no_total)} have no population total")
    try:
        values = {k: float(v) for k, v in totals.items()}
    except (TypeError, ValueError):
        raise StatsInputError(f"{what}: population totals must be numbers") from None
    present = set(levels)
    empty = [fmt(k) for k, v in values.items() if k not in present and v > 0]
    if empty:
        plural = many if len(empty) > 1 else one
        raise StatsInputError(f"{what} has population for {plural} {', '.join(empty)} but no respondents")
    target = np.array([values[lv] for lv in levels])
    if not np.isfinite(target).all() or (target < 0).any():
        raise StatsInputError(f"{what} has negative or non-finite population totals")
    zero_pop = [fmt(lv) for lv, t in zip(levels, target, strict=True) if t == 0]
    if zero_pop:
        raise StatsInputError(
            f"{what}: {many} {', '.join(zero_pop)} have respondents but a population total of 0; "
            "drop those respondents first"
        )
    wsum = np.bincount(codes, weights=w, minlength=len(levels))
    zero_w = [fmt(lv) for lv, t in zip(levels, wsum, strict=True) if t <= 0]
    if zero_w:
        raise StatsInputError(
            f"{what}: {many} {', '.join(zero_w)} have respondents but all their weights are zero"
        )
    return target


def _margins(
    weights: FloatArray,
    coded: Sequence[tuple[str, IntArray, list[Hashable], Mapping[Hashable, float]]],
    words: tuple[str, str, str] = ("margin", "category", "categories"),
) -> _Margins:
    if not coded:
        raise StatsInputError("no margins given")
    names, levels, codes, targets = [], [], [], []
    for name, c, lv, totals in coded:
        names.append(name)
        levels.append(lv)
        codes.append(c)
        targets.append(_check_margin(name, c, lv, totals, weights, words))
    sums = [float(t.sum()) for t in targets]
    if max(sums) - min(sums) > 1e-9 * max(sums):
        listing = ", ".join(f"{n} {s:g}" for n, s in zip(names, sums, strict=True))
        raise StatsInputError(f"margins disagree on the population total: {listing}")
    return _Margins(tuple(names), tuple(levels), tuple(codes), tuple(targets))


def _code_margins(
    margins: Mapping[str, MarginSpec], n: int
) -> list[tuple[str, IntArray, list[Hashable], Mapping[Hashable, float]]]:
    """Factorise each margin's respondent categories: [(name, codes, levels, totals)]."""
    out = []
    for name, spec in margins.items():
        try:
            values, totals = spec
        except (TypeError, ValueError):
            raise StatsInputError(f"margin {name!r} must be a (values, totals) pair") from None
        if not isinstance(totals, Mapping):
            raise StatsInputError(f"margin {name!r}: totals must be a mapping {{category: population}}")
        codes, levels = factorize(values, f"margin {name!r}", n)
        out.append((str(name), codes, levels, totals))
    return out


def _impossible_cells(spec: _Margins, cells: CellTable, table: FloatArray) -> list[str]:
    """Categories whose target exceeds the population of every category they co-occur with.

    A necessary condition for raking to converge (Hall's condition on one category): if all
    respondents of category c of margin A fall in categories S of margin B, the target of c cannot
    exceed the total target of S.
    """
    problems = []
    cm = cells.cell_margins
    positive = table > 0
    for a in range(len(spec.names)):
        for b in range(len(spec.names)):
            if a == b:
                continue
            k_a, k_b = cells.n_categories[a], cells.n_categories[b]
            co = np.zeros((k_a, k_b), dtype=bool)
            co[cm[positive, a], cm[positive, b]] = True
            for c in range(k_a):
                reach = spec.targets[b][co[c]].sum()
                if spec.targets[a][c] > reach * (1 + 1e-9):
                    cats = ", ".join(fmt(spec.levels[b][j]) for j in np.flatnonzero(co[c]))
                    problems.append(
                        f"margin {spec.names[a]!r} category {fmt(spec.levels[a][c])} "
                        f"(population {spec.targets[a][c]:g}) only has respondents in {spec.names[b]!r} "
                        f"categories {cats} (population {reach:g})"
                    )
    return problems


def _feasible(cells: CellTable, table: FloatArray, targets: Sequence[FloatArray]) -> bool | None:
    """Whether non-negative cell totals on the respondents' cells can meet every margin (an LP)."""
    from scipy.optimize import linprog  # local: only needed when raking fails to converge

    use = np.flatnonzero(table > 0)
    rows, rhs = [], []
    for m, t in enumerate(targets):
        for c in range(t.shape[0]):
            rows.append((cells.cell_margins[use, m] == c).astype(float))
            rhs.append(t[c] / t.sum())
    try:
        res = linprog(np.zeros(use.size), A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None))
    except ValueError:
        return None
    return bool(res.status == 0)


def _report(
    spec: _Margins,
    achieved_sums: list[FloatArray],
    iterations: int,
    err: float,
    tol: float,
    feasible: bool | None = None,
) -> CalibrationReport:
    margins = {
        name: {lv: (float(t), float(a)) for lv, t, a in zip(levels, target, sums, strict=True)}
        for name, levels, target, sums in zip(
            spec.names, spec.levels, spec.targets, achieved_sums, strict=True
        )
    }
    rows = [
        (name, lv, t, a)
        for name, cats in margins.items()
        for lv, (t, a) in cats.items()
        if t > 0 and abs(a - t) / t > tol
    ]
    rows.sort(key=lambda r: -abs(r[3] - r[2]) / r[2])
    converged = err <= tol
    if converged:
        message = f"converged after {iterations} iterations (max relative margin error {err:.3g})"
    else:
        worst = "; ".join(f"{n!r} {fmt(lv)}: target {t:g}, reached {a:g}" for n, lv, t, a in rows[:5])
        why = " The margins are impossible to meet with the respondents' cells." if feasible is False else ""
        message = (
            f"raking did not converge after {iterations} iterations (max relative margin error "
            f"{err:.3g} > tol {tol:g}); worst cells: {worst}.{why}"
        )
    return CalibrationReport(converged, iterations, err, tol, margins, tuple(rows[:10]), feasible, message)


def _result(
    kind: str,
    spec: _Margins,
    cells: CellTable,
    w0: FloatArray,
    factors: FloatArray,
    report: CalibrationReport,
) -> WeightingResult:
    w = w0 * factors[cells.cells]
    info = CalibrationInfo(
        kind=kind,
        margin_names=spec.names,
        cells=cells.cells,
        cell_margins=cells.cell_margins,
        n_categories=cells.n_categories,
        prev_weights=w0,
        weights=w,
    )
    pos = w[w > 0]
    ess = float(pos.sum() ** 2 / vdot(pos, pos))
    return WeightingResult(w, info, report, ess, pos.size / ess, float(w.sum()))


def rake(
    weights: ArrayLike,
    margins: Mapping[str, MarginSpec],
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    on_nonconvergence: str = "raise",
) -> WeightingResult:
    """Rake (iterative proportional fitting) weights to population margins.

    ``margins`` maps a margin name to (respondents' categories, {category: population total}).
    Each cycle multiplies the weights of category c of margin m by T_mc / sum_{i in c} w_i
    (Deming & Stephan 1940) until every margin is met within ``tol`` (relative), at most
    ``max_iter`` cycles.  The result is the minimum-discrimination-information calibration
    (Ireland & Kullback 1968), i.e. R ``survey::rake`` / ``svy`` ``rake``.

    Raises StatsInputError naming categories with population but no respondents, respondents
    without a population total, zero-weight categories, disagreeing margin totals and impossible
    cells; on non-convergence it raises (or with ``on_nonconvergence="return"`` returns a result
    whose ``report`` names the cells that were not met).
    """
    check_choice(on_nonconvergence, "on_nonconvergence", ("raise", "return"))
    if not tol > 0 or max_iter < 1:
        raise StatsInputError("tol must be positive and max_iter at least 1")
    w0 = as_weights(weights)
    spec = _margins(w0, _code_margins(margins, w0.shape[0]))
    cells = build_cells(spec.codes, [len(lv) for lv in spec.levels])
    table = np.bincount(cells.cells, weights=w0, minlength=cells.n_cells)
    impossible = _impossible_cells(spec, cells, table)
    if impossible:
        raise StatsInputError(
            "raking cannot meet the margins (impossible cells): " + "; ".join(impossible[:10])
        )
    factors, iterations, err = ipf(table, cells.cell_margins, spec.targets, tol=tol, max_iter=max_iter)
    feasible = None if err <= tol else _feasible(cells, table, spec.targets)
    sums = margin_sums(table * factors, cells.cell_margins, cells.n_categories)
    report = _report(spec, sums, iterations, err, tol, feasible)
    if not report.converged and on_nonconvergence == "raise":
        raise StatsInputError(report.message)
    return _result("raking", spec, cells, w0, factors, report)


def poststratify(
    weights: ArrayLike,
    cells: ArrayLike | Mapping[str, ArrayLike],
    totals: Mapping[Hashable, float],
) -> WeightingResult:
    """Post-stratify weights to a (joint) population table: w*_i = w_i N_c / sum_{j in c} w_j.

    ``cells`` is one array of post-stratum labels, or a mapping of several variables whose joint
    categories are the post-strata; ``totals`` is then keyed by tuples in the mapping's order.
    (Holt & Smith 1979, JRSS A 142:33-46; R ``survey::postStratify``.)  Raises StatsInputError for
    post-strata with population but no respondents, respondents without a total, or zero weights.
    """
    w0 = as_weights(weights)
    if isinstance(cells, Mapping):
        if not cells:
            raise StatsInputError("no post-stratification variables given")
        names = tuple(str(k) for k in cells)
        parts = [factorize(v, f"post-stratification variable {k!r}", w0.shape[0]) for k, v in cells.items()]
        joint = build_cells([c for c, _ in parts], [len(lv) for _, lv in parts])
        labels: list[Hashable] = [
            tuple(parts[m][1][code] for m, code in enumerate(row)) for row in joint.cell_margins.tolist()
        ]
        codes = joint.cells
    else:
        names = ("cells",)
        codes, labels = factorize(cells, "post-strata", w0.shape[0])
    spec = _margins(
        w0, [(" x ".join(names), codes, labels, totals)], ("post-stratification", "cell", "cells")
    )
    one = build_cells([spec.codes[0]], [len(spec.levels[0])])
    table = np.bincount(one.cells, weights=w0, minlength=one.n_cells)
    factors = spec.targets[0][one.cell_margins[:, 0]] / table
    sums = margin_sums(table * factors, one.cell_margins, one.n_categories)
    err = max_relative_error(table * factors, one.cell_margins, spec.targets, spec.targets)
    report = _report(spec, sums, 1, err, 1e-9)
    return _result("poststratification", spec, one, w0, factors, report)
