"""False-flag rate and power of the hot-spot test (analytics.stats.excess_count_tests + BH), by simulation.

Run:  .venv/bin/python bench/hotspot_fdr_sim.py [--reps 400]

Every replicate has 40 units with means uniform on [2, 30] and K baseline periods.  Under "no change"
all units are null, so the FDR equals the chance of any flag at q < 0.05.  Count models: Poisson;
negative binomial with size uniform on [1, 5] (variance/mean 1.4-31, strongly over-dispersed) or on
[5, 50] (mildly).  Compared: the documented test, and a Poisson-only test (the conditional binomial).
Power: one unit of 40 (Poisson, mean 10) jumps to 30 in the analysed period.
Results go to bench/results/hotspot_fdr.json (docs/hotspots.md quotes them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import stats

from analytics.stats import bh_qvalues, excess_count_tests

ALPHA, UNITS = 0.05, 40
MODELS = {"poisson": None, "nb_strong": (1.0, 5.0), "nb_mild": (5.0, 50.0)}


def _counts(rng, k: int, sizes):
    mean = rng.uniform(2, 30, UNITS)
    if sizes is None:
        counts = rng.poisson(mean[:, None], size=(UNITS, k + 1))
    else:
        size = rng.uniform(*sizes, UNITS)
        counts = rng.negative_binomial(size[:, None], (size / (size + mean))[:, None], (UNITS, k + 1))
    return counts[:, -1], counts[:, :-1]


def _poisson_only(y, x):
    return stats.binom.sf(y - 1, y + x.sum(axis=1), 1 / (x.shape[1] + 1))


def any_flag_rate(reps: int, k: int, sizes, seed: int) -> dict[str, float]:
    """Share of all-null replicates with any q < ALPHA, for the test and for Poisson only."""
    rng = np.random.default_rng(seed)
    ours = naive = 0
    for _ in range(reps):
        y, x = _counts(rng, k, sizes)
        ours += bool((bh_qvalues(excess_count_tests(y, x).p_value) < ALPHA).any())
        naive += bool((bh_qvalues(_poisson_only(y, x)) < ALPHA).any())
    return {"test": ours / reps, "poisson_only": naive / reps}


def power(reps: int, k: int, seed: int) -> float:
    """Share of replicates in which the one unit jumping from 10 to 30 is flagged."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        x, y = rng.poisson(10, (UNITS, k)), rng.poisson(10, UNITS)
        y[0] = 30
        hits += bool(bh_qvalues(excess_count_tests(y, x).p_value)[0] < ALPHA)
    return hits / reps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=400)
    reps = parser.parse_args().reps
    results = {"reps": reps, "alpha": ALPHA, "units": UNITS, "fdr_no_change": {}, "power_10_to_30": {}}
    for k in (6, 12, 24):
        for name, sizes in MODELS.items():
            rate = any_flag_rate(reps, k, sizes, seed=1000 + k)
            results["fdr_no_change"][f"K={k} {name}"] = rate
            print(f"K={k:>2} {name:<10} test {rate['test']:.3f}  poisson-only {rate['poisson_only']:.3f}")
        results["power_10_to_30"][f"K={k}"] = power(reps, k, seed=2000 + k)
        print(f"K={k:>2} power 10 -> 30: {results['power_10_to_30'][f'K={k}']:.3f}")
    out = Path(__file__).parent / "results" / "hotspot_fdr.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
