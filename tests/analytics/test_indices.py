"""Indices with linearised SEs, composites, target tests, IPA quadrants and suppression."""

from __future__ import annotations

import numpy as np
import polars as pl  # installed with svy
import pytest
import svy  # test-only dependency: the reference implementation (R survey's algorithms)
from scipy import stats

from analytics.stats import (
    StatsInputError,
    Suppressed,
    composite_indicator,
    construct_index,
    importance_from_pls,
    ipa_quadrants,
    suppress,
    target_test,
    weighted_mean,
)

SCALE = (200.0, 1000.0)  # API scores run 200-1000: two "items" of a construct for the test


def test_index_se_is_the_linearised_se_of_the_weighted_composite_per_svy(apistrat):
    items = np.column_stack([apistrat["api00"], apistrat["api99"]])
    w_items = np.array([0.3, 0.2])
    idx = construct_index(
        items,
        w_items,
        scale=SCALE,
        survey_weights=apistrat["pw"],
        strata=apistrat["stype"],
        fpc=apistrat["fpc"],
    )
    composite = items @ (w_items / w_items.sum())
    frame = pl.DataFrame(
        {"score": composite, "stype": list(apistrat["stype"]), "pw": apistrat["pw"], "fpc": apistrat["fpc"]}
    )
    sample = svy.Sample(frame, svy.Design(stratum="stype", wgt="pw", pop_size="fpc"))
    row = sample.estimation.mean("score").to_polars().to_dicts()[0]
    k = 100 / (SCALE[1] - SCALE[0])
    assert idx.estimate == pytest.approx(k * (row["est"] - SCALE[0]), rel=1e-9)
    assert idx.se == pytest.approx(k * row["se"], rel=1e-9)
    assert idx.ci_low == pytest.approx(k * (row["lci"] - SCALE[0]), rel=1e-9)
    assert idx.item_weights == pytest.approx((0.6, 0.4))
    means = (apistrat["pw"] @ items) / apistrat["pw"].sum()
    assert idx.item_means == pytest.approx(tuple(means))


def test_index_by_domain_and_bad_input(apistrat):
    items = np.column_stack([apistrat["api00"], apistrat["api99"]])
    out = construct_index(
        items,
        scale=SCALE,
        survey_weights=apistrat["pw"],
        strata=apistrat["stype"],
        by=apistrat["stype"],
        min_n=55,
    )
    assert isinstance(out["H"], Suppressed)
    e = apistrat["stype"] == "E"
    plain = weighted_mean(items[e].mean(axis=1), apistrat["pw"][e])
    assert out["E"].estimate == pytest.approx(100 * (plain.estimate - 200) / 800, rel=1e-12)
    with pytest.raises(StatsInputError, match="outside the scale ends"):
        construct_index(items, scale=(0, 500))
    with pytest.raises(StatsInputError, match="non-negative"):
        construct_index(items, [1.0, -0.2], scale=SCALE)


def test_composite_indicator_propagates_variance():
    values, w = [80.0, 70.0, 90.0], [0.5, 0.3, 0.2]
    cov = np.array([[4.0, 1.0, 0.0], [1.0, 9.0, 0.5], [0.0, 0.5, 1.0]])
    c = composite_indicator(values, w, covariance=cov)
    a = np.array(w)
    assert c.estimate == pytest.approx(a @ values)
    assert c.se == pytest.approx(np.sqrt(a @ cov @ a))
    indep = composite_indicator(values, [5, 3, 2], se=[2.0, 3.0, 1.0])
    assert indep.se == pytest.approx(np.sqrt(0.25 * 4 + 0.09 * 9 + 0.04 * 1))


def test_target_test():
    z = stats.norm.ppf(0.975)
    t = target_test(82.0, 80.0, se=1.0)
    assert t.met and t.ci_excludes_target and t.conclusion == "significantly above"
    assert (t.ci_low, t.ci_high) == pytest.approx((82 - z, 82 + z))
    assert t.p_value == pytest.approx(stats.norm.sf(2.0))
    t = target_test(80.5, 80.0, se=1.0, df=30)
    assert t.met and not t.ci_excludes_target and t.conclusion == "not significantly different"
    assert t.p_value == pytest.approx(stats.t.sf(0.5, 30))
    t = target_test(75.0, 80.0, se=1.0)
    assert not t.met and t.conclusion == "significantly below"


def test_ipa_quadrants_from_total_effects(pls_centroid, ecsi_dir, read_table):
    importance = importance_from_pls(pls_centroid, "LOY")
    ref = read_table(ecsi_dir / "satisfaction.effects.csv")
    expected = {r["from"]: float(r["total"]) for r in ref.values() if r["to"] == "LOY"}
    assert importance == pytest.approx(expected, abs=1e-4)
    points = ipa_quadrants(importance, {k: pls_centroid.indices[k] for k in importance})
    imp_cut = np.mean(list(importance.values()))
    perf_cut = np.mean([pls_centroid.indices[k] for k in importance])
    for p in points:
        high_i, high_p = p.importance >= imp_cut, p.performance >= perf_cut
        assert (
            p.quadrant
            == {
                (True, False): "concentrate here",
                (True, True): "keep up the good work",
                (False, False): "low priority",
                (False, True): "possible overkill",
            }[(high_i, high_p)]
        )
    with pytest.raises(StatsInputError, match="lack importance or performance"):
        ipa_quadrants({"A": 1.0}, {"B": 2.0})


def test_suppress_small_cells(apistrat):
    out = weighted_mean(apistrat["api00"], apistrat["pw"], by=apistrat["stype"])
    sup = suppress(out, 51)
    assert (
        isinstance(sup["H"], Suppressed) and sup["H"].min_n == 51 and "below the minimum" in sup["H"].reason
    )
    assert sup["E"] is out["E"]
