"""PLS path modelling (PLS-PM) of customer-satisfaction models, with ACSI-style 0-100 indices.

Reproduces R plspm (Sanchez, Trinchera & Russolillo): Mode A / Mode B blocks; centroid, factorial
and path inner schemes; scaled or unscaled data.  Outputs outer weights, loadings, paths, R^2,
effects, scores, AVE, GoF (Tenenhaus et al. 2005, CSDA 48:159-205), reliability, and with
``bootstrap`` percentile CIs (``pls_bootstrap``).  Index of block j (Fornell et al. 1996, ACSI):
100 (sum_k v_k xbar_k - lo) / (hi - lo) with v the unstandardised outer weights normalised to 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _pls_core as core
from . import _pls_quality as quality
from ._validate import FloatArray, StatsInputError, as_matrix, check_choice
from .reliability import (
    FornellLarcker,
    fornell_larcker,
)


@dataclass(frozen=True)
class Effect:
    """Direct, indirect and total effect of one LV on another."""

    direct: float
    indirect: float
    total: float


@dataclass(frozen=True, eq=False)
class PLSResult:
    """Everything a fitted PLS path model reports (dicts keyed by item, LV or (from, to))."""

    lv_names: tuple[str, ...]
    item_names: tuple[str, ...]
    blocks: dict[str, tuple[str, ...]]
    modes: dict[str, str]
    scheme: str
    scaled: bool
    outer_weights: dict[str, float]
    raw_weights: dict[str, float]
    loadings: dict[str, float]
    communality: dict[str, float]
    redundancy: dict[str, float]
    crossloadings: FloatArray
    paths: dict[tuple[str, str], float]
    path_se: dict[tuple[str, str], float]
    path_p: dict[tuple[str, str], float]
    r2: dict[str, float]
    effects: dict[tuple[str, str], Effect]
    scores: FloatArray
    block_communality: dict[str, float]
    ave: dict[str, float]
    cronbach_alpha: dict[str, float]
    dg_rho: dict[str, float]
    rho_a: dict[str, float]
    eigenvalues: dict[str, tuple[float, float]]
    gof: float | None  # None without a multi-item block or an endogenous construct
    htmt: FloatArray | None  # None with single-item or negatively correlated blocks
    fornell_larcker: FornellLarcker
    indices: dict[str, float] | None
    scale_ends: tuple[float, float] | None
    iterations: int
    bootstrap: Any = None  # PLSBootstrap when requested

    @property
    def total_effects(self) -> dict[tuple[str, str], float]:
        """Total effect of each LV on each LV it reaches."""
        return {k: e.total for k, e in self.effects.items()}


@dataclass(frozen=True, eq=False)
class Prepared:
    """Validated model: raw data (n x p) in block order, structure and Mode B pseudo-inverses."""

    raw: FloatArray
    lv_names: tuple[str, ...]
    item_names: tuple[str, ...]
    structure: core.Structure
    scaled: bool
    modes: tuple[str, ...]


def _data_matrix(data: Any, items: list[str], item_names: Sequence[str] | None) -> FloatArray:
    if isinstance(data, Mapping):
        missing = [k for k in items if k not in data]
        if missing:
            raise StatsInputError(f"items {', '.join(missing)} are not in the data")
        cols = [np.asarray(data[k], dtype=float) for k in items]
        if len({c.shape for c in cols}) != 1 or cols[0].ndim != 1:
            raise StatsInputError("every item must be a 1-D column of the same length")
        return as_matrix(np.column_stack(cols), "data")
    x = as_matrix(data, "data")
    names = list(item_names) if item_names is not None else None
    if names is None or len(names) != x.shape[1]:
        raise StatsInputError("an array needs item_names with one name per column")
    pos = {k: i for i, k in enumerate(names)}
    missing = [k for k in items if k not in pos]
    if missing:
        raise StatsInputError(f"items {', '.join(missing)} are not in item_names")
    return x[:, [pos[k] for k in items]]


def _acyclic(adj: FloatArray) -> bool:
    """Kahn's algorithm: repeatedly remove LVs without incoming paths."""
    indeg = adj.sum(axis=0)
    left = set(range(adj.shape[0]))
    while True:
        free = [i for i in left if indeg[i] == 0]
        if not free:
            return not left
        for i in free:
            left.discard(i)
            indeg = indeg - adj[i]


def _adjacency(lv_names: tuple[str, ...], paths: Sequence[tuple[str, str]]) -> FloatArray:
    pos = {k: i for i, k in enumerate(lv_names)}
    adj = np.zeros((len(lv_names), len(lv_names)))
    for a, b in paths:
        if a not in pos or b not in pos:
            raise StatsInputError(f"path {a!r} -> {b!r} names a latent variable without a block")
        if a == b:
            raise StatsInputError(f"path {a!r} -> {b!r} is a self-loop")
        adj[pos[a], pos[b]] = 1.0
    if not _acyclic(adj):
        raise StatsInputError("the inner model has a cycle; PLS-PM needs a recursive (acyclic) model")
    lonely = [lv_names[i] for i in range(len(pos)) if not (adj[i].any() or adj[:, i].any())]
    if lonely:
        raise StatsInputError(f"latent variables {', '.join(lonely)} have no paths")
    return adj


def prepare(
    data,
    blocks,
    paths,
    *,
    modes=None,
    scheme="centroid",
    scaled=True,
    tol=1e-6,
    max_iter=100,
    item_names=None,
) -> Prepared:
    """Validate inputs and build the model structure (used by pls_pm and the bootstrap)."""
    check_choice(scheme, "scheme", ("centroid", "factorial", "path"))
    lv_names = tuple(str(k) for k in blocks)
    if not lv_names:
        raise StatsInputError("no blocks given")
    items: list[str] = []
    blk: list[int] = []
    for j, (lv, its) in enumerate(blocks.items()):
        its = [its] if isinstance(its, str) else list(its)
        if not its:
            raise StatsInputError(f"block {lv!r} has no items")
        items += its
        blk += [j] * len(its)
    dup = sorted({k for k in items if items.count(k) > 1})
    if dup:
        raise StatsInputError(f"items {', '.join(dup)} appear in more than one block")
    unknown = [str(k) for k in (modes or {}) if k not in lv_names]
    if unknown:
        raise StatsInputError(f"modes name unknown latent variables: {', '.join(unknown)}")
    modes = dict.fromkeys(lv_names, "A") | dict(modes or {})
    for lv, m in modes.items():
        check_choice(m, f"mode of {lv!r}", ("A", "B"))
    raw = _data_matrix(data, items, item_names)
    const = [items[i] for i in np.flatnonzero(raw.std(axis=0) == 0)]
    if const:
        raise StatsInputError(f"items {', '.join(const)} are constant; drop them from the model")
    s = core.Structure(
        np.asarray(blk, dtype=np.intp),
        len(lv_names),
        _adjacency(lv_names, paths),
        tuple(j for j, lv in enumerate(lv_names) if modes[lv] == "B"),
        scheme,
        tol,
        max_iter,
    )
    return Prepared(raw, lv_names, tuple(items), s, scaled, tuple(modes[lv] for lv in lv_names))


def centre(prep: Prepared, raw: FloatArray) -> FloatArray:
    """Centre the data, and standardise it (divisor n) when the model is scaled."""
    x = raw - raw.mean(axis=0)
    return x / np.sqrt((x * x).mean(axis=0)) if prep.scaled else x


def mode_b_pinv(prep: Prepared, x: FloatArray) -> dict[int, FloatArray]:
    """(X_j'X_j)^-1 X_j' for Mode B blocks; collinear blocks raise."""
    out = {}
    for j in prep.structure.mode_b:
        xb = x[:, prep.structure.blk == j]
        if np.linalg.matrix_rank(xb) < xb.shape[1]:
            raise StatsInputError(
                f"block {prep.lv_names[j]!r} has collinear items; Mode B regression is singular"
            )
        out[j] = np.linalg.pinv(xb)
    return out


def _reachable(adj: FloatArray) -> FloatArray:
    """reach[i, j] True when a directed path leads from LV i to LV j."""
    n = adj.shape[0]
    reach = adj > 0
    for _ in range(n):
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    return reach


def block_index(raw: FloatArray, raw_w: FloatArray, blk, j: int, ends: tuple[float, float]) -> float:
    """ACSI index of block j: 100 (sum v_k xbar_k - lo) / (hi - lo), v = w / sum w (unstandardised)."""
    idx = blk == j
    v = raw_w[idx] / raw_w[idx].sum()
    return float(100 * (v @ raw[:, idx].mean(axis=0) - ends[0]) / (ends[1] - ends[0]))


def _indices(prep: Prepared, raw_w: FloatArray, ends) -> dict[str, float] | None:
    if ends is None:
        return None
    lo, hi = float(ends[0]), float(ends[1])
    if not hi > lo:
        raise StatsInputError(f"scale_ends must be (low, high) with low < high, got {ends}")
    if prep.raw.min() < lo or prep.raw.max() > hi:
        raise StatsInputError(f"item values fall outside the scale ends ({lo:g}, {hi:g})")
    blk = prep.structure.blk
    neg = [prep.item_names[i] for i in np.flatnonzero(raw_w < 0)]
    if neg:
        raise StatsInputError(
            f"items {', '.join(neg)} have negative outer weights, "
            "so their blocks' 0-100 indices are undefined"
        )
    return {lv: block_index(prep.raw, raw_w, blk, j, (lo, hi)) for j, lv in enumerate(prep.lv_names)}


def pls_pm(
    data: Mapping[str, ArrayLike] | ArrayLike,
    blocks: Mapping[str, Sequence[str]],
    paths: Sequence[tuple[str, str]],
    *,
    modes: Mapping[str, str] | None = None,
    scheme: str = "centroid",
    scaled: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    item_names: Sequence[str] | None = None,
    scale_ends: tuple[float, float] | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
    confidence: float = 0.95,
) -> PLSResult:
    """Fit a PLS path model (R plspm algorithm); see the module docstring for the formulas.

    ``blocks`` maps each latent variable (in causal order) to its items, ``paths`` lists
    (from, to) pairs, ``modes`` gives "A" (reflective, default) or "B" (formative) per block.
    Blocks are signed so their loadings sum positive.  ``scale_ends`` (e.g. (0, 10)) adds the
    ACSI 0-100 index per block; ``bootstrap`` > 0 adds percentile CIs from that many resamples.
    Mode A: w_j = X_j' Z_j / n; Mode B: w_j = (X_j'X_j)^-1 X_j' Z_j; GoF = sqrt(mean communality x
    mean R^2).  References: Wold (1982); Lohmoeller (1989); Tenenhaus et al. (2005); R plspm.
    """
    prep = prepare(
        data,
        blocks,
        paths,
        modes=modes,
        scheme=scheme,
        scaled=scaled,
        tol=tol,
        max_iter=max_iter,
        item_names=item_names,
    )
    x = centre(prep, prep.raw)
    s = prep.structure
    try:
        w, iterations, ok = core.outer_weights(x, s, mode_b_pinv(prep, x))
    except np.linalg.LinAlgError:
        raise StatsInputError(
            "latent variable scores are collinear: the path-scheme regression is singular"
        ) from None
    if not ok:
        raise StatsInputError(f"PLS did not converge in {max_iter} iterations (tol {tol:g})")
    w = core.fix_signs(x, w, s)
    result = summarise(prep, x, w, iterations, scale_ends)
    if bootstrap:
        from .pls_bootstrap import pls_bootstrap

        boot = pls_bootstrap(prep, result, n_resamples=bootstrap, seed=seed, confidence=confidence)
        result = _with_bootstrap(result, boot)
    return result


def _with_bootstrap(result: PLSResult, boot) -> PLSResult:
    from dataclasses import replace

    return replace(result, bootstrap=boot)


def _inner_results(lvs: tuple[str, ...], y: FloatArray, adj: FloatArray) -> dict[str, Any]:
    """Paths with OLS SEs / p-values, R^2 and direct/indirect/total effects as keyed dicts."""
    for j in range(adj.shape[0]):
        pred = np.flatnonzero(adj[:, j])
        if pred.size and np.linalg.matrix_rank(y[:, pred]) < pred.size:
            names = ", ".join(lvs[i] for i in pred)
            raise StatsInputError(
                f"the predictors of {lvs[j]!r} ({names}) are collinear: the path regression is singular"
            )
    b, r2 = core.inner_model(y, adj)
    se, pval = quality.path_inference(y, adj)
    tot = core.total_effects(b)
    edges = list(zip(*np.nonzero(adj), strict=True))
    endo = adj.any(axis=0)
    return {
        "paths": {(lvs[i], lvs[j]): float(b[i, j]) for i, j in edges},
        "path_se": {(lvs[i], lvs[j]): float(se[i, j]) for i, j in edges},
        "path_p": {(lvs[i], lvs[j]): float(pval[i, j]) for i, j in edges},
        "r2": {lv: float(r2[j]) for j, lv in enumerate(lvs) if endo[j]},
        "effects": {
            (lvs[i], lvs[j]): Effect(float(b[i, j]), float(tot[i, j] - b[i, j]), float(tot[i, j]))
            for i, j in zip(*np.nonzero(_reachable(adj)), strict=True)
        },
    }


def summarise(prep: Prepared, x: FloatArray, w: FloatArray, iterations: int, ends) -> PLSResult:
    """Scores, loadings, inner model, effects and quality criteria from converged weights."""
    s, lvs, items = prep.structure, prep.lv_names, prep.item_names
    y = x @ core.weight_matrix(w, s)
    inner = _inner_results(lvs, y, s.adj)
    cross = core.loadings(x, y)
    load = cross[np.arange(len(items)), s.blk]
    comm = load**2
    r2_all = np.array([inner["r2"].get(lv, 0.0) for lv in lvs])
    block_comm = {lv: float(comm[s.blk == j].mean()) for j, lv in enumerate(lvs)}
    raw_w = w / prep.raw.std(axis=0) if prep.scaled else w
    alpha, rho, ra, eig = quality.unidimensionality(prep.lv_names, s.blk, x, w)
    block_idx = [np.flatnonzero(s.blk == j) for j in range(len(lvs))]
    return PLSResult(
        lv_names=lvs,
        item_names=items,
        blocks={lv: tuple(items[i] for i in block_idx[j]) for j, lv in enumerate(lvs)},
        modes=dict(zip(lvs, prep.modes, strict=True)),
        scheme=s.scheme,
        scaled=prep.scaled,
        outer_weights=dict(zip(items, w.tolist(), strict=True)),
        raw_weights=dict(zip(items, raw_w.tolist(), strict=True)),
        loadings=dict(zip(items, load.tolist(), strict=True)),
        communality=dict(zip(items, comm.tolist(), strict=True)),
        redundancy=dict(zip(items, (comm * r2_all[s.blk]).tolist(), strict=True)),
        crossloadings=cross,
        scores=y,
        block_communality=block_comm,
        ave={lv: block_comm[lv] for j, lv in enumerate(lvs) if prep.modes[j] == "A"},
        cronbach_alpha=alpha,
        dg_rho=rho,
        rho_a=ra,
        eigenvalues=eig,
        gof=quality.gof(comm, s.blk, inner["r2"]),
        htmt=quality.htmt_or_none(x, block_idx),
        fornell_larcker=fornell_larcker(y, block_comm),
        indices=_indices(prep, raw_w, ends),
        scale_ends=None if ends is None else (float(ends[0]), float(ends[1])),
        iterations=iterations,
        **inner,
    )
