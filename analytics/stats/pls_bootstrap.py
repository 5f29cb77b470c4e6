"""Bootstrap confidence intervals for a PLS path model (paths, effects, R^2, loadings, indices).

Each resample refits the model from scratch; blocks are signed to agree with the full-sample
weights ("construct-level sign change", Tenenhaus et al. 2005 sec. 3.4) so a flipped latent
variable does not smear the distribution.  Percentile intervals (Efron & Tibshirani 1993 ch. 13);
bootstrap SE = standard deviation of the resampled statistics (divisor B - 1).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from . import _pls_core as core
from ._validate import StatsInputError, check_probability
from .pls import PLSResult, Prepared, block_index, centre, mode_b_pinv


@dataclass(frozen=True)
class BootstrapInterval:
    """Full-sample value with bootstrap mean, SE and percentile interval."""

    original: float
    mean: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, eq=False)
class PLSBootstrap:
    """Bootstrap summaries; ``n_failed`` resamples (constant item, no convergence) were redrawn."""

    n_resamples: int
    n_failed: int
    confidence: float
    paths: dict[tuple[str, str], BootstrapInterval]
    total_effects: dict[tuple[str, str], BootstrapInterval]
    r2: dict[str, BootstrapInterval]
    loadings: dict[str, BootstrapInterval]
    weights: dict[str, BootstrapInterval]
    indices: dict[str, BootstrapInterval] | None


def _one(prep: Prepared, raw: np.ndarray, ref_w: np.ndarray, ends) -> np.ndarray | None:
    """Fit one resample; returns its statistics as one flat vector, or None if it cannot be fitted."""
    s = prep.structure
    if (raw.std(axis=0) == 0).any():
        return None
    x = centre(prep, raw)
    try:
        pinv = mode_b_pinv(prep, x) if s.mode_b else {}
    except StatsInputError:
        return None
    try:
        w, _, ok = core.outer_weights(x, s, pinv)
        if not ok:
            return None
        w = core.fix_signs(x, w, s, reference=ref_w)
        y = x @ core.weight_matrix(w, s)
        b, r2 = core.inner_model(y, s.adj)
    except np.linalg.LinAlgError:  # a resample with collinear scores: draw another one
        return None
    tot = core.total_effects(b)
    load = core.loadings(x, y)[np.arange(w.shape[0]), s.blk]
    raw_w = w / raw.std(axis=0) if prep.scaled else w
    parts = [b[s.adj > 0], tot.ravel(), r2, load, w]
    if ends is not None:
        parts.append(np.array([block_index(raw, raw_w, s.blk, j, ends) for j in range(s.n_lv)]))
    return np.concatenate(parts)


def _summaries(keys: list[Hashable], orig, draws: np.ndarray, alpha: float) -> dict:
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    mean, se = draws.mean(axis=0), draws.std(axis=0, ddof=1)
    return {
        k: BootstrapInterval(float(o), float(m), float(e), float(a), float(b))
        for k, o, m, e, a, b in zip(keys, orig, mean, se, lo, hi, strict=True)
    }


def pls_bootstrap(
    prep: Prepared,
    result: PLSResult,
    *,
    n_resamples: int = 500,
    seed: int | None = None,
    confidence: float = 0.95,
) -> PLSBootstrap:
    """Resample respondents with replacement ``n_resamples`` times and summarise the refits."""
    check_probability(confidence, "confidence")
    if n_resamples < 2:
        raise StatsInputError("bootstrap needs at least 2 resamples")
    rng = np.random.default_rng(seed)
    n = prep.raw.shape[0]
    ref_w = np.array([result.outer_weights[k] for k in prep.item_names])
    rows, failed = [], 0
    while len(rows) < n_resamples:
        stat = _one(prep, prep.raw[rng.integers(0, n, n)], ref_w, result.scale_ends)
        if stat is None:
            failed += 1
            if failed > n_resamples:
                raise StatsInputError("most bootstrap resamples could not be fitted (constant items?)")
            continue
        rows.append(stat)
    draws = np.vstack(rows)
    return _summarise(prep, result, draws, failed, confidence)


def _summarise(
    prep: Prepared, result: PLSResult, draws: np.ndarray, failed: int, confidence: float
) -> PLSBootstrap:
    s, lvs, items = prep.structure, prep.lv_names, prep.item_names
    alpha = 1 - confidence
    path_keys = [(lvs[i], lvs[j]) for i, j in zip(*np.nonzero(s.adj > 0), strict=True)]
    tot_keys = [(a, b) for a in lvs for b in lvs]
    sizes = [len(path_keys), len(tot_keys), s.n_lv, len(items), len(items)]
    cuts = np.cumsum(sizes)
    p_d, t_d, r_d, l_d, w_d = np.split(draws[:, : cuts[-1]], cuts[:-1], axis=1)
    reach = [k for k in tot_keys if k in result.effects]
    t_idx = [tot_keys.index(k) for k in reach]
    endo = [j for j, lv in enumerate(lvs) if lv in result.r2]
    boot_idx = None
    if result.indices is not None:
        boot_idx = _summaries(list(lvs), [result.indices[k] for k in lvs], draws[:, cuts[-1] :], alpha)
    return PLSBootstrap(
        n_resamples=draws.shape[0],
        n_failed=failed,
        confidence=confidence,
        paths=_summaries(path_keys, [result.paths[k] for k in path_keys], p_d, alpha),
        total_effects=_summaries(reach, [result.effects[k].total for k in reach], t_d[:, t_idx], alpha),
        r2=_summaries([lvs[j] for j in endo], [result.r2[lvs[j]] for j in endo], r_d[:, endo], alpha),
        loadings=_summaries(list(items), [result.loadings[k] for k in items], l_d, alpha),
        weights=_summaries(list(items), [result.outer_weights[k] for k in items], w_d, alpha),
        indices=boot_idx,
    )
