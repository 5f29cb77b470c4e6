"""Benchmark of the analytics.stats core (run: python bench/stats_bench.py [--responses 10k,100k,1M]).

1. Raking n responses (10k / 100k / 1M from bench/datagen.py) over three margins (district 16 x age
   group 6 x sex 2) plus the weighted 0-100 index with its linearised SE (strata = district, PSU =
   community, fpc), against the ``svy`` package and ``samplics`` (its predecessor by the same author) on
   the same input: weights must agree to 1e-9 and SEs to 1e-9 (relative). Target: < 1 s at 1M.
2. PLS-PM (ECSI model, 250 respondents x 27 items) with 500 bootstrap resamples.

Prints figures and ratios and writes bench/results/stats.json (one entry per size) and
bench/results/pls.json. Data come from fixed seeds, so runs are reproducible; ``svy`` and ``samplics``
are optional (the bench extra).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchdb import parse_size, write_result  # noqa: E402
from datagen import N_AGE, N_DISTRICT, N_SEX, POP_COMMUNITIES, survey_responses  # noqa: E402

from analytics.stats import construct_index, pls_pm, rake  # noqa: E402

ITEM_WEIGHTS = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
SCALE = (1.0, 5.0)
TOL = 1e-12
REPEATS = 3
TARGET_S = 1.0


def margins(d: dict[str, np.ndarray]) -> dict[str, dict[int, float]]:
    """Population totals per margin (7 million residents, shares off the sample's)."""
    rng = np.random.default_rng(7)
    total = 7_000_000.0
    out = {}
    for name, k in (("district", N_DISTRICT), ("age", N_AGE), ("sex", N_SEX)):
        share = np.bincount(d[name], minlength=k) / len(d[name]) * rng.uniform(0.85, 1.15, k)
        share /= share.sum()
        out[name] = {i: float(total * s) for i, s in enumerate(share)}
    return out


def ours(d, m):
    """Rake, then the weighted index with linearised SE (calibration-adjusted)."""
    raked = rake(d["base"], {k: (d[k], m[k]) for k in m}, tol=TOL)
    idx = construct_index(
        d["items"],
        ITEM_WEIGHTS,
        scale=SCALE,
        survey_weights=raked,
        strata=d["district"],
        psu=d["community"],
        fpc=d["fpc"],
    )
    return raked.weights, idx


def with_svy(d, m, composite):
    """The same pipeline in svy: rake to the margins, then the mean of the composite score."""
    import polars as pl
    import svy

    frame = pl.DataFrame(
        {
            "district": d["district"],
            "age": d["age"],
            "sex": d["sex"],
            "community": d["community"],
            "base": d["base"],
            "score": composite,
            "fpc": d["fpc"],
        }
    )
    sample = svy.Sample(frame, svy.Design(stratum="district", psu="community", wgt="base", pop_size="fpc"))
    raked = sample.weighting.rake(controls=m, tol=TOL, max_iter=500, wgt_name="rk")
    est = raked.estimation.mean("score").to_polars()
    return raked.data["rk"].to_numpy(), float(est["est"][0]), float(est["se"][0])


def with_samplics(d, m, composite):
    """The same pipeline in samplics: SampleWeight.rake to the margins, then TaylorEstimator's mean."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "samplics is archived": the point of comparing
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
        from samplics.weighting import SampleWeight

    weights = SampleWeight().rake(
        samp_weight=d["base"],
        margins={name: d[name] for name in m},
        control=m,
        tol=TOL,
        ctrl_tol=TOL,
        max_iter=500,
    )
    # samplics takes the finite population correction as the factor 1 - n_h / N_h per stratum.
    strata = np.unique(d["district"])
    sampled = {h: np.unique(d["community"][d["district"] == h]).size for h in strata}
    fpc = {h: 1 - sampled[h] / POP_COMMUNITIES for h in strata}
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=composite, samp_weight=weights, stratum=d["district"], psu=d["community"], fpc=fpc)
    return weights, float(est.point_est), float(est.stderror)


def timed(fn, *args):
    """Best wall time over REPEATS runs and the last result."""
    best, out = np.inf, None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def _compare(name, fn, d, m, composite, w, idx, t_ours) -> dict:
    """Time a reference package on the same data and report its agreement with ours."""
    k = 100.0 / (SCALE[1] - SCALE[0])
    try:
        t_ref, (w_ref, est_ref, se_ref) = timed(fn, d, m, composite)
    except ImportError as error:
        print(f"  {name} not installed ({error}): comparison skipped")
        return {}
    out = {
        f"{name}_seconds": t_ref,
        f"speedup_vs_{name}": t_ref / t_ours,
        f"max_rel_weight_diff_{name}": float(np.max(np.abs(w - w_ref) / w_ref)),
        f"rel_index_diff_{name}": abs(idx.estimate - k * (est_ref - SCALE[0])) / idx.estimate,
        f"rel_se_diff_{name}": abs(idx.se - k * se_ref) / idx.se,
    }
    print(
        f"  {name} same pipeline: {t_ref:.3f} s -> ours is {t_ref / t_ours:.1f}x faster; max rel weight diff "
        f"{out[f'max_rel_weight_diff_{name}']:.2e}, rel SE diff {out[f'rel_se_diff_{name}']:.2e}"
    )
    return out


def bench_raking(n: int, compare: bool = True) -> dict:
    """Rake + index with SE on n responses; ratio to svy and samplics."""
    d = survey_responses(n)
    m = margins(d)
    t_ours, (w, idx) = timed(ours, d, m)
    res = {
        "cells": N_DISTRICT * N_AGE * N_SEX,
        "psu": int(np.unique(d["community"]).size),
        "ours_seconds": t_ours,
        "target_s": TARGET_S,
        "met": t_ours < TARGET_S,
        "index": idx.estimate,
        "index_se": idx.se,
    }
    print(f"  raking + index with SE, n={n:,}: {t_ours:.3f} s (index {idx.estimate:.4f}, SE {idx.se:.5f})")
    if compare:
        composite = d["items"] @ (ITEM_WEIGHTS / ITEM_WEIGHTS.sum())
        res.update(_compare("svy", with_svy, d, m, composite, w, idx, t_ours))
        res.update(_compare("samplics", with_samplics, d, m, composite, w, idx, t_ours))
    return res


def ecsi_data(n: int = 250, seed: int = 11) -> tuple[dict[str, np.ndarray], dict, list]:
    """ECSI-shaped synthetic data: 6 constructs, 27 items on 0-10 (block sizes of plspm's satisfaction)."""
    rng = np.random.default_rng(seed)
    sizes = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}
    paths = [
        ("IMAG", "EXPE"),
        ("IMAG", "SAT"),
        ("IMAG", "LOY"),
        ("EXPE", "QUAL"),
        ("EXPE", "VAL"),
        ("EXPE", "SAT"),
        ("QUAL", "VAL"),
        ("QUAL", "SAT"),
        ("VAL", "SAT"),
        ("SAT", "LOY"),
    ]
    lv = {"IMAG": rng.normal(size=n)}
    for name in list(sizes)[1:]:
        preds = [a for a, b in paths if b == name]
        lv[name] = sum(0.5 * lv[p] for p in preds) / np.sqrt(len(preds)) + rng.normal(0, 0.7, n)
    data, blocks = {}, {}
    for name, k in sizes.items():
        blocks[name] = [f"{name.lower()}{i + 1}" for i in range(k)]
        for item in blocks[name]:
            data[item] = np.clip(np.rint(7 + 1.3 * lv[name] + rng.normal(0, 1.0, n)), 0, 10)
    return data, blocks, paths


def bench_pls() -> dict:
    data, blocks, paths = ecsi_data()
    t, res = timed(
        lambda: pls_pm(data, blocks, paths, scaled=False, scale_ends=(0, 10), bootstrap=500, seed=1)
    )
    print(
        f"PLS-PM 250 x 27 with 500 bootstrap resamples: {t:.3f} s "
        f"(GoF {res.gof:.4f}, SAT index {res.indices['SAT']:.2f})"
    )
    return {
        "seconds": t,
        "n": 250,
        "items": 27,
        "resamples": 500,
        "gof": res.gof,
        "failed_resamples": res.bootstrap.n_failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", default="10k,100k,1M", help="comma-separated sizes, e.g. 10k,100k,1M")
    parser.add_argument("--no-compare", action="store_true", help="skip svy and samplics")
    parser.add_argument("--no-pls", action="store_true")
    args = parser.parse_args()
    for n in map(parse_size, args.responses.split(",")):
        write_result("stats", n, bench_raking(n, not args.no_compare))
    if not args.no_pls:
        write_result("pls", 250, bench_pls())


if __name__ == "__main__":
    main()
