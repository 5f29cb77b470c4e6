"""Weights: raking, post-stratification and trimming against svy (R survey's algorithms) and closed forms."""

from __future__ import annotations

import numpy as np
import polars as pl  # installed with svy
import pytest
import svy  # test-only dependency: the reference implementation (R survey's algorithms)

from analytics.stats import (
    StatsInputError,
    base_weights,
    design_effect,
    kish_effective_n,
    poststratify,
    rake,
    trim_weights,
)

POP_TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}
POP_SCHWIDE = {"No": 1072.0, "Yes": 5122.0}
POP_COMPIMP = {"No": 1712.0, "Yes": 4482.0}


def _frame(data: dict[str, np.ndarray]):
    return pl.DataFrame(
        {
            k: list(v)
            for k, v in data.items()
            if k in ("stype", "sch.wide", "comp.imp", "dnum", "pw", "fpc", "api00", "enroll", "snum")
        }
    )


def _margins(c):
    return {
        "stype": (c["stype"], POP_TYPES),
        "sch.wide": (c["sch.wide"], POP_SCHWIDE),
        "comp.imp": (c["comp.imp"], POP_COMPIMP),
    }


def test_rake_matches_svy_weights(apiclus1):
    ours = rake(apiclus1["pw"], _margins(apiclus1), tol=1e-13)
    sample = svy.Sample(_frame(apiclus1), svy.Design(psu="dnum", wgt="pw"))
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE, "comp.imp": POP_COMPIMP}
    theirs = sample.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rk").data["rk"]
    np.testing.assert_allclose(ours.weights, theirs.to_numpy(), rtol=1e-9, atol=0)
    assert ours.report.converged and ours.report.max_relative_error <= 1e-13


def test_poststratify_matches_svy_weights(apiclus1):
    ours = poststratify(apiclus1["pw"], apiclus1["stype"], POP_TYPES)
    sample = svy.Sample(_frame(apiclus1), svy.Design(psu="dnum", wgt="pw"))
    theirs = sample.weighting.poststratify(controls=POP_TYPES, cells="stype", wgt_name="ps").data["ps"]
    np.testing.assert_allclose(ours.weights, theirs.to_numpy(), rtol=1e-12, atol=0)


def test_poststratify_joint_table_matches_svy(apiclus1):
    """Post-stratification to a joint stype x sch.wide table (cell totals from the raked weights)."""
    raked = rake(apiclus1["pw"], _margins(apiclus1))
    joint = {}
    for s, y, w in zip(apiclus1["stype"], apiclus1["sch.wide"], raked.weights, strict=True):
        joint[(s, y)] = joint.get((s, y), 0.0) + w
    ours = poststratify(apiclus1["pw"], {"stype": apiclus1["stype"], "sch.wide": apiclus1["sch.wide"]}, joint)
    frame = _frame(apiclus1).with_columns(cell=pl.col("stype") + "_" + pl.col("sch.wide"))
    sample = svy.Sample(frame, svy.Design(psu="dnum", wgt="pw"))
    controls = {f"{s}_{y}": v for (s, y), v in joint.items()}
    theirs = sample.weighting.poststratify(controls=controls, cells="cell", wgt_name="ps").data["ps"]
    np.testing.assert_allclose(ours.weights, theirs.to_numpy(), rtol=1e-12, atol=0)
    cells = list(zip(apiclus1["stype"], apiclus1["sch.wide"], strict=True))
    for key, total in joint.items():
        got = sum(w for c, w in zip(cells, ours.weights, strict=True) if c == key)
        assert got == pytest.approx(total, rel=1e-12)


def test_raked_table_reproduces_margins(apiclus1):
    res = rake(apiclus1["pw"], _margins(apiclus1))
    for name, (values, totals) in _margins(apiclus1).items():
        for cat, total in totals.items():
            assert res.weights[values == cat].sum() == pytest.approx(total, rel=1e-9, abs=0), (name, cat)
        for target, achieved in res.report.margins[name].values():
            assert achieved == pytest.approx(target, rel=1e-9)


def test_poststratify_on_one_variable_equals_raking_on_it(apiclus1):
    ps = poststratify(apiclus1["pw"], apiclus1["stype"], POP_TYPES)
    rk = rake(apiclus1["pw"], {"stype": (apiclus1["stype"], POP_TYPES)})
    np.testing.assert_allclose(ps.weights, rk.weights, rtol=1e-12)
    assert rk.report.iterations == 1


def test_trim_matches_svy(apiclus1):
    rng = np.random.default_rng(3)
    w = apiclus1["pw"] * rng.lognormal(0.0, 0.6, apiclus1["pw"].size)
    ours = trim_weights(w, upper=2.0, relative_to="median")
    frame = _frame(apiclus1).with_columns(w2=pl.Series(w))
    sample = svy.Sample(frame, svy.Design(psu="dnum", wgt="w2"))
    theirs = sample.weighting.trim(upper=svy.Threshold("median", 2.0), wgt_name="tw").data["tw"].to_numpy()
    np.testing.assert_allclose(ours.weights, theirs, rtol=1e-9, atol=0)
    assert ours.weights.sum() == pytest.approx(w.sum(), rel=1e-12)
    assert ours.weights.max() == pytest.approx(2.0 * np.median(w), rel=1e-12)
    assert ours.n_trimmed_upper == int((w > 2.0 * np.median(w)).sum()) > 0


def test_trim_then_rerake_matches_svy_trim_rake_cycle(apiclus1):
    rng = np.random.default_rng(5)
    w = apiclus1["pw"] * rng.lognormal(0.0, 0.5, apiclus1["pw"].size)
    margins = _margins(apiclus1)
    raked = rake(w, margins, tol=1e-13)
    # svy checks the cap with the raking tolerance, so both sides cycle to 1e-13
    ours = trim_weights(
        raked.weights,
        upper=2.5,
        relative_to="median",
        margins=margins,
        rake_tol=1e-13,
        tol=1e-13,
        max_cycles=200,
    )
    frame = _frame(apiclus1).with_columns(w2=pl.Series(w))
    sample = svy.Sample(frame, svy.Design(psu="dnum", wgt="w2"))
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE, "comp.imp": POP_COMPIMP}
    trimming = svy.TrimConfig(upper=svy.Threshold("median", 2.5), max_iter=200)
    theirs = (
        sample.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rk", trimming=trimming)
        .data["rk"]
        .to_numpy()
    )
    assert ours.converged and ours.cycles >= 2
    np.testing.assert_allclose(ours.weights, theirs, rtol=1e-9, atol=0)
    for values, totals in margins.values():  # re-raked: margins hold again
        for cat, total in totals.items():
            assert ours.weights[values == cat].sum() == pytest.approx(total, rel=1e-9)
    assert ours.weights.max() <= 2.5 * np.median(ours.weights) * (1 + 1e-12)


def test_trim_relative_to_base_weight():
    base = np.array([10.0, 10.0, 10.0, 10.0, 20.0])
    current = np.array([10.0, 12.0, 11.0, 50.0, 21.0])
    res = trim_weights(current, upper=3.0, relative_to="base", base_weights=base)
    assert res.weights[3] == pytest.approx(30.0)
    assert res.weights.sum() == pytest.approx(current.sum())
    assert (res.weights <= 3.0 * base * (1 + 1e-12)).all()


def test_trim_impossible_cap_is_refused():
    with pytest.raises(StatsInputError, match="cap is too low"):
        trim_weights(np.array([1.0, 1.0, 10.0]), upper=0.9, relative_to="median")


def test_kish_effective_n_and_design_effect_closed_form():
    w = np.array([1.0, 2.0, 3.0, 4.0])
    assert kish_effective_n(w) == pytest.approx(100 / 30)
    assert design_effect(w) == pytest.approx(4 * 30 / 100)
    cv2 = w.var() / w.mean() ** 2  # Kish: deff_w = 1 + cv^2 (population variance)
    assert design_effect(w) == pytest.approx(1 + cv2)
    assert kish_effective_n(np.ones(7)) == pytest.approx(7)


def test_base_weights_stratified_srs(apistrat):
    w = base_weights(apistrat["stype"], POP_TYPES)
    np.testing.assert_allclose(w, apistrat["pw"], rtol=1e-6)  # pw is stored in single precision
    assert w.sum() == pytest.approx(sum(POP_TYPES.values()))


def test_rake_names_category_with_population_but_no_respondents():
    values = np.array(["350102", "350102", "350103"])
    totals = {"350102": 10.0, "350103": 5.0, "350104": 7.0}
    with pytest.raises(
        StatsInputError,
        match=r"margin 'district' has population for category '350104' but "
        r"no respondents",
    ):
        rake(np.ones(3), {"district": (values, totals)})


def test_rake_names_respondents_without_total_zero_weights_and_disagreeing_margins():
    v = np.array(["a", "b", "c"])
    with pytest.raises(StatsInputError, match=r"respondents in categories 'c' have no population total"):
        rake(np.ones(3), {"m": (v, {"a": 1.0, "b": 1.0})})
    with pytest.raises(
        StatsInputError, match=r"categories 'b' have respondents but all their weights are zero"
    ):
        rake(np.array([1.0, 0.0, 1.0]), {"m": (v, {"a": 1.0, "b": 1.0, "c": 1.0})})
    with pytest.raises(StatsInputError, match="margins disagree on the population total: m 3, n 4"):
        rake(
            np.ones(3),
            {"m": (v, {"a": 1.0, "b": 1.0, "c": 1.0}), "n": (np.array([0, 1, 1]), {0: 2.0, 1: 2.0})},
        )


def test_rake_names_impossible_cells():
    age = np.array(["young", "young", "old", "old"])
    sex = np.array(["F", "F", "M", "M"])  # every old respondent is male
    margins = {"age": (age, {"young": 40.0, "old": 60.0}), "sex": (sex, {"F": 70.0, "M": 30.0})}
    with pytest.raises(
        StatsInputError,
        match=r"impossible cells.*margin 'age' category 'old' \(population 60\) "
        r"only has respondents in 'sex' categories 'M' \(population 30\)",
    ):
        rake(np.ones(4), margins)


def test_rake_nonconvergence_report_names_cells():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 300)
    b = rng.integers(0, 3, 300)
    margins = {"a": (a, {0: 100.0, 1: 200.0, 2: 300.0}), "b": (b, {0: 300.0, 1: 200.0, 2: 100.0})}
    res = rake(np.ones(300), margins, max_iter=1, on_nonconvergence="return")
    assert not res.report.converged
    assert "did not converge after 1 iterations" in res.report.message
    assert res.report.worst and res.report.worst[0][0] == "a"
    with pytest.raises(StatsInputError, match="worst cells: 'a'"):
        rake(np.ones(300), margins, max_iter=1)


def test_bad_weights_are_refused():
    v = np.array(["a", "b"])
    with pytest.raises(StatsInputError, match="negative"):
        rake(np.array([1.0, -1.0]), {"m": (v, {"a": 1.0, "b": 1.0})})
    with pytest.raises(StatsInputError, match="missing or non-finite"):
        poststratify(np.array([1.0, np.nan]), v, {"a": 1.0, "b": 1.0})
    with pytest.raises(StatsInputError, match="missing values"):
        poststratify(np.ones(2), np.array(["a", None], dtype=object), {"a": 1.0})


def test_poststratify_names_empty_and_uncovered_cells():
    cells = {"district": np.array(["a", "a", "b"]), "sex": np.array(["F", "M", "F"])}
    totals = {("a", "F"): 10.0, ("a", "M"): 10.0, ("b", "F"): 5.0, ("b", "M"): 4.0}
    with pytest.raises(
        StatsInputError,
        match=r"post-stratification 'district x sex' has population for cell "
        r"\('b', 'M'\) but no respondents",
    ):
        poststratify(np.ones(3), cells, totals)
    with pytest.raises(StatsInputError, match=r"respondents in cells \('b', 'F'\) have no population total"):
        poststratify(np.ones(3), cells, {("a", "F"): 10.0, ("a", "M"): 10.0})
