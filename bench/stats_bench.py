"""Benchmark of the analytics.stats core (run: python bench/stats_bench.py).

1. Raking 1,000,000 responses over three margins (district 16 x age group 6 x sex 2) plus the
   weighted 0-100 index with its linearised SE (strata = district, PSU = community, fpc), against
   the ``svy`` package on the same input: weights must agree to 1e-9 and SEs to 1e-9 (relative).
2. PLS-PM (ECSI model, 250 respondents x 27 items) with 500 bootstrap resamples.

Prints figures and ratios and writes bench/results/stats.json.  Data come from the generator
below (fixed seeds), so runs are reproducible; ``svy`` is optional (test/bench-only dependency).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.stats import construct_index, pls_pm, rake  # noqa: E402

N = 1_000_000
N_DISTRICT, N_AGE, N_SEX = 16, 6, 2
COMMUNITIES_PER_DISTRICT, POP_COMMUNITIES = 100, 400
ITEM_WEIGHTS = np.array([0.30, 0.25, 0.20, 0.15, 0.10])
SCALE = (1.0, 5.0)
TOL = 1e-12
REPEATS = 3


def survey_data(seed: int = 20240601) -> dict[str, np.ndarray]:
    """Synthetic province survey: design codes, base weights, five 1-5 items, population margins."""
    rng = np.random.default_rng(seed)
    district = rng.choice(N_DISTRICT, size=N, p=rng.dirichlet(np.full(N_DISTRICT, 8.0)))
    age = rng.choice(N_AGE, size=N, p=[0.10, 0.18, 0.22, 0.20, 0.17, 0.13])
    sex = rng.integers(0, N_SEX, size=N)
    community = district * COMMUNITIES_PER_DISTRICT + rng.integers(0, COMMUNITIES_PER_DISTRICT, size=N)
    base = (7_000_000 / N) * rng.lognormal(0.0, 0.35, size=N) * (1 + 0.3 * (age == 0))
    latent = rng.normal(0, 1, N) + 0.1 * (district % 4) - 0.05 * age
    items = np.clip(np.rint(3.6 + 0.8 * latent[:, None] + rng.normal(0, 0.7, (N, 5))), 1, 5)
    return {
        "district": district,
        "age": age,
        "sex": sex,
        "community": community,
        "base": base,
        "items": items,
        "fpc": np.full(N, float(POP_COMMUNITIES)),
    }


def margins(d: dict[str, np.ndarray]) -> dict[str, dict[int, float]]:
    """Population totals per margin (7 million residents, shares off the sample's)."""
    rng = np.random.default_rng(7)
    total = 7_000_000.0
    out = {}
    for name, k in (("district", N_DISTRICT), ("age", N_AGE), ("sex", N_SEX)):
        share = np.bincount(d[name], minlength=k) / N * rng.uniform(0.85, 1.15, k)
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


def timed(fn, *args):
    """Best wall time over REPEATS runs and the last result."""
    best, out = np.inf, None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_raking() -> dict:
    d = survey_data()
    m = margins(d)
    t_ours, (w, idx) = timed(ours, d, m)
    k = 100.0 / (SCALE[1] - SCALE[0])
    res = {
        "n": N,
        "cells": N_DISTRICT * N_AGE * N_SEX,
        "psu": int(np.unique(d["community"]).size),
        "ours_seconds": t_ours,
        "index": idx.estimate,
        "index_se": idx.se,
    }
    print(f"raking + index with SE, n={N:,}: {t_ours:.3f} s (index {idx.estimate:.4f}, SE {idx.se:.5f})")
    try:
        import svy  # noqa: F401
    except ImportError:
        print("svy not installed: comparison skipped")
        return res
    composite = d["items"] @ (ITEM_WEIGHTS / ITEM_WEIGHTS.sum())
    t_svy, (w_svy, est_svy, se_svy) = timed(with_svy, d, m, composite)
    res.update(
        {
            "svy_seconds": t_svy,
            "speedup_vs_svy": t_svy / t_ours,
            "max_rel_weight_diff": float(np.max(np.abs(w - w_svy) / w_svy)),
            "rel_index_diff": abs(idx.estimate - k * (est_svy - SCALE[0])) / idx.estimate,
            "rel_se_diff": abs(idx.se - k * se_svy) / idx.se,
        }
    )
    print(
        f"svy same pipeline: {t_svy:.3f} s -> ours is {res['speedup_vs_svy']:.1f}x faster; "
        f"max rel weight diff {res['max_rel_weight_diff']:.2e}, rel SE diff {res['rel_se_diff']:.2e}"
    )
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
    out = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "repeats": REPEATS,
        "raking": bench_raking(),
        "pls": bench_pls(),
    }
    target = ROOT / "bench" / "results" / "stats.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
