"""ACSI/CCSI model results of a survey whose definition carries the construct structure: PLS path
coefficients with bootstrap CIs, R^2, outer loadings, reliability and importance-performance quadrants.

Model: the ECSI/CCSI structure (Fornell et al. 1996; ECSI Technical Committee 1998; the Chinese CSI of
Tsinghua University is built on it) restricted to the constructs the survey measures:
image -> expectation, satisfaction, loyalty; expectation -> perceived quality, perceived value,
satisfaction; perceived quality -> perceived value, satisfaction; perceived value -> satisfaction;
satisfaction -> complaint, loyalty; complaint -> loyalty. A survey needs a satisfaction block with
at least one antecedent. Blocks are the construct's scale questions (yes/no items are not interval
measures and are left out), each rescaled to 0-100 with reverse coding applied; items asked only of
some respondents (skip logic) are left out, since PLS needs every item for every respondent, and
respondents missing any model item ("don't know") are dropped (listwise). Estimation: R plspm's
algorithm (analytics.stats.pls_pm), Mode A, centroid scheme, unscaled data (the items share the
0-100 scale, so the unstandardised weights give ACSI indices), unweighted respondents.

Bootstrap: `bootstrap` resamples (at most MAX_BOOTSTRAP), seeded, percentile 95 % CIs and bootstrap
SEs for paths, R^2, loadings and indices; p-values are the OLS ones of each structural regression.
Minimum n: the larger of QUALITYLINE_ANALYTICS_MIN_CELL and ten times the most paths into one
construct (the "10-times rule", Hair et al. 2017); below it the result says "not enough data".
IPA (Martilla & James 1977): importance = total effect on satisfaction, performance = the construct's
ACSI index; the cuts are the means over the plotted constructs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import numpy as np

from analytics.services.survey_data import CONSTRUCT_NAMES, SurveySample, load_sample
from analytics.services.survey_indices import min_cell
from analytics.stats import StatsInputError, importance_from_pls, ipa_quadrants, pls_pm
from core.errors import InvalidInput
from surveys import questions as q

ACSI_PATHS = (
    ("image", "expectation"),
    ("image", "satisfaction"),
    ("image", "loyalty"),
    ("expectation", "perceived_quality"),
    ("expectation", "perceived_value"),
    ("expectation", "satisfaction"),
    ("perceived_quality", "perceived_value"),
    ("perceived_quality", "satisfaction"),
    ("perceived_value", "satisfaction"),
    ("satisfaction", "complaint"),
    ("satisfaction", "loyalty"),
    ("complaint", "loyalty"),
)
TARGET = "satisfaction"
MAX_BOOTSTRAP = 1000
QUADRANTS = {
    "keep up the good work": ("keep_up", "继续保持区"),
    "concentrate here": ("concentrate_here", "重点改进区"),
    "low priority": ("low_priority", "次要改进区"),
    "possible overkill": ("possible_overkill", "过度投入区"),
}


def model_structure(sample: SurveySample) -> tuple[dict[str, list[str]], list[tuple[str, str]], list[dict]]:
    """Blocks and paths the survey supports, and what was left out and why; 422 without the structure."""
    blocks: dict[str, list[str]] = {}
    dropped = []
    for item in sample.items.values():
        if item.type not in q.RANGES:
            dropped.append({"item": item.code, "reason": "yes/no item: not an interval measure"})
        elif item.conditional:
            dropped.append({"item": item.code, "reason": "asked only of some respondents (skip logic)"})
        else:
            blocks.setdefault(item.construct, []).append(item.code)
    paths = [(a, b) for a, b in ACSI_PATHS if a in blocks and b in blocks]
    linked = {lv for path in paths for lv in path}
    for construct in [c for c in blocks if c not in linked]:
        dropped.append(
            {"construct": construct, "reason": "no path of the model links it to another construct"}
        )
        del blocks[construct]
    if not any(b == TARGET for _a, b in paths):
        raise InvalidInput(
            "slug",
            f"survey {sample.survey.slug!r} does not carry the ACSI construct structure "
            "(a satisfaction block with at least one antecedent construct)",
        )
    ordered = {lv: blocks[lv] for lv in CONSTRUCT_NAMES if lv in blocks}
    return ordered, paths, dropped


def _interval(boot: Any, key: Any) -> dict[str, float | None]:
    if boot is None or key not in boot:
        return {"se": None, "ci_low": None, "ci_high": None}
    value = boot[key]
    return {"se": value.se, "ci_low": value.ci_low, "ci_high": value.ci_high}


def _fit(
    data: dict[str, np.ndarray], blocks: dict, paths: list, bootstrap: int, seed: int
) -> tuple[Any, str]:
    """pls_pm with ACSI indices; when a negative outer weight leaves them undefined, refit without."""
    options = {"scaled": False, "scheme": "centroid", "bootstrap": bootstrap, "seed": seed}
    try:
        return pls_pm(data, blocks, paths, scale_ends=(0.0, 100.0), **options), "pls"
    except StatsInputError as exc:
        if "negative outer weights" not in str(exc):
            raise
    return pls_pm(data, blocks, paths, **options), "equal"


def _indices(result: Any, data: dict[str, np.ndarray], kind: str) -> dict[str, float]:
    if kind == "pls":
        return dict(result.indices)
    return {lv: float(np.mean([data[item].mean() for item in items])) for lv, items in result.blocks.items()}


def _constructs(result: Any, indices: dict[str, float], kind: str) -> list[dict[str, Any]]:
    boot = result.bootstrap
    rows = []
    for lv, items in result.blocks.items():
        index_ci = _interval(boot.indices if boot is not None and kind == "pls" else None, lv)
        r2_ci = _interval(boot.r2 if boot is not None else None, lv)
        rows.append(
            {
                "code": lv,
                "name_zh": CONSTRUCT_NAMES[lv][0],
                "name_en": CONSTRUCT_NAMES[lv][1],
                "items": list(items),
                "index": indices[lv],
                "index_ci_low": index_ci["ci_low"],
                "index_ci_high": index_ci["ci_high"],
                "r2": result.r2.get(lv),
                "r2_ci_low": r2_ci["ci_low"] if lv in result.r2 else None,
                "r2_ci_high": r2_ci["ci_high"] if lv in result.r2 else None,
                "alpha": result.cronbach_alpha[lv],
                "composite_reliability": result.dg_rho[lv],
                "ave": result.ave.get(lv),
            }
        )
    return rows


def _ipa(result: Any, indices: dict[str, float]) -> dict[str, Any]:
    importance = importance_from_pls(result, TARGET)
    performance = {lv: indices[lv] for lv in importance}
    cuts = (float(np.mean(list(importance.values()))), float(np.mean(list(performance.values()))))
    points = ipa_quadrants(importance, performance, importance_cut=cuts[0], performance_cut=cuts[1])
    return {
        "importance_cut": cuts[0],
        "performance_cut": cuts[1],
        "points": [
            {
                "code": p.name,
                "name_zh": CONSTRUCT_NAMES[p.name][0],
                "importance": p.importance,
                "performance": p.performance,
                "quadrant": QUADRANTS[p.quadrant][0],
                "quadrant_zh": QUADRANTS[p.quadrant][1],
            }
            for p in points
        ],
    }


def compute_acsi_model(
    slug: str, start: date, end: date, *, version: int | None = None, bootstrap: int = 200, seed: int = 0
) -> dict[str, Any]:
    """The ACSI/CCSI model of survey `slug` for responses submitted in [start, end), JSON-ready."""
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise InvalidInput("bootstrap", f"must be between 0 and {MAX_BOOTSTRAP}")
    sample = load_sample(slug, start, end, version)
    blocks, paths, dropped = model_structure(sample)
    items = [item for block in blocks.values() for item in block]
    complete = np.all(np.column_stack([np.isfinite(sample.scores[i]) for i in items]), axis=1)
    indegree = Counter(b for _a, b in paths)
    minimum = max(min_cell(), 10 * max(indegree.values()))
    head = {
        "survey": slug,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "versions": [v.number for v in sample.versions],
        "n": int(complete.sum()),
        "excluded_incomplete": int(sample.n - complete.sum()),
        "min_n": minimum,
        "dropped": dropped,
    }
    if head["n"] < minimum:
        return head | {
            "status": "not_enough_data",
            "message": f"not enough data: {head['n']} complete responses, the model needs {minimum}",
        }
    data = {item: sample.scores[item][complete] for item in items}
    try:
        result, index_kind = _fit(data, blocks, paths, bootstrap, seed)
    except StatsInputError as exc:
        raise InvalidInput("model", str(exc)) from None
    boot = result.bootstrap
    indices = _indices(result, data, index_kind)
    return head | {
        "status": "ok",
        "model": {
            "scheme": result.scheme,
            "scaled": result.scaled,
            "bootstrap": bootstrap,
            "seed": seed,
            "confidence": 0.95,
            "index_weights": index_kind,
            "gof": result.gof,
        },
        "constructs": _constructs(result, indices, index_kind),
        "paths": [
            {
                "from": a,
                "to": b,
                "coefficient": value,
                "p_value": result.path_p[(a, b)],
                **_interval(boot.paths if boot is not None else None, (a, b)),
            }
            for (a, b), value in result.paths.items()
        ],
        "loadings": [
            {
                "item": item,
                "construct": lv,
                "loading": result.loadings[item],
                "weight": result.outer_weights[item],
                **_interval(boot.loadings if boot is not None else None, item),
            }
            for lv, block in result.blocks.items()
            for item in block
        ],
        "ipa": _ipa(result, indices),
    }
