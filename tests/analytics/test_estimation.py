"""Design-based estimates: published R survey numbers (api data) and svy on the same inputs."""

from __future__ import annotations

import numpy as np
import polars as pl  # installed with svy
import pytest
import svy  # test-only dependency: the reference implementation (R survey's algorithms)
from scipy import stats

from analytics.stats import (
    StatsInputError,
    Suppressed,
    poststratify,
    rake,
    weighted_mean,
    weighted_proportion,
    weighted_total,
    wilson_interval,
)

POP_TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}
POP_SCHWIDE = {"No": 1072.0, "Yes": 5122.0}
REL = 1e-9


def frame(data):
    cols = (
        "stype",
        "sch.wide",
        "comp.imp",
        "awards",
        "dnum",
        "snum",
        "pw",
        "fpc",
        "api00",
        "enroll",
        "acs.k3",
    )
    return pl.DataFrame({k: list(data[k]) for k in cols}, strict=False)


def svy_row(result, **match):
    rows = result.to_polars().to_dicts()
    rows = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(rows) == 1
    return rows[0]


def assert_same(ours, theirs):
    """Estimate, SE and CI to 1e-9 (relative) and the same degrees of freedom."""
    assert ours.estimate == pytest.approx(theirs["est"], rel=REL)
    assert ours.se == pytest.approx(theirs["se"], rel=REL)
    assert ours.ci_low == pytest.approx(theirs["lci"], rel=REL)
    assert ours.ci_high == pytest.approx(theirs["uci"], rel=REL)
    assert ours.df == theirs["df"]


# --- published R survey output (tests/testoutput/api.Rout.saved), rounded as printed ---------------


def test_stratified_mean_and_total_reproduce_published_r_survey(apistrat):
    kw = {"strata": apistrat["stype"], "fpc": apistrat["fpc"]}
    mean = weighted_mean(apistrat["api00"], apistrat["pw"], **kw)
    total = weighted_total(apistrat["enroll"], apistrat["pw"], **kw)
    assert mean.estimate == pytest.approx(662.29, abs=0.005)
    assert mean.se == pytest.approx(9.4089, abs=0.00005)
    assert total.estimate == pytest.approx(3687178, abs=0.5)
    assert total.se == pytest.approx(114642, abs=0.5)


# --- the same inputs through svy ----------------------------------------------------------------


def test_stratified_design_matches_svy(apistrat):
    sample = svy.Sample(frame(apistrat), svy.Design(stratum="stype", wgt="pw", pop_size="fpc"))
    kw = {"strata": apistrat["stype"], "fpc": apistrat["fpc"]}
    assert_same(
        weighted_mean(apistrat["api00"], apistrat["pw"], **kw), svy_row(sample.estimation.mean("api00"))
    )
    assert_same(
        weighted_total(apistrat["enroll"], apistrat["pw"], **kw), svy_row(sample.estimation.total("enroll"))
    )
    ours = weighted_mean(apistrat["api00"], apistrat["pw"], **kw)
    assert ours.deff == pytest.approx(svy_row(sample.estimation.mean("api00", deff="wor"))["deff"], rel=REL)


def test_cluster_design_apiclus1_matches_svy(apiclus1):
    sample = svy.Sample(frame(apiclus1), svy.Design(psu="dnum", wgt="pw", pop_size="fpc"))
    kw = {"psu": apiclus1["dnum"], "fpc": apiclus1["fpc"]}
    assert_same(
        weighted_mean(apiclus1["api00"], apiclus1["pw"], **kw), svy_row(sample.estimation.mean("api00"))
    )
    assert_same(
        weighted_total(apiclus1["enroll"], apiclus1["pw"], **kw), svy_row(sample.estimation.total("enroll"))
    )


def test_poststratified_cluster_design_matches_svy(apiclus1):
    sample = svy.Sample(frame(apiclus1), svy.Design(psu="dnum", wgt="pw", pop_size="fpc"))
    sample = sample.weighting.poststratify(controls=POP_TYPES, cells="stype", wgt_name="ps")
    ps = poststratify(apiclus1["pw"], apiclus1["stype"], POP_TYPES)
    kw = {"psu": apiclus1["dnum"], "fpc": apiclus1["fpc"]}
    assert_same(weighted_mean(apiclus1["api00"], ps, **kw), svy_row(sample.estimation.mean("api00")))
    assert_same(weighted_total(apiclus1["enroll"], ps, **kw), svy_row(sample.estimation.total("enroll")))
    uncalibrated = weighted_mean(apiclus1["api00"], ps.weights, **kw)
    assert uncalibrated.se != pytest.approx(weighted_mean(apiclus1["api00"], ps, **kw).se, rel=1e-3)


def test_raked_cluster_design_matches_svy(apiclus1):
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    sample = svy.Sample(frame(apiclus1), svy.Design(psu="dnum", wgt="pw", pop_size="fpc"))
    sample = sample.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rk")
    rk = rake(apiclus1["pw"], {k: (apiclus1[k], v) for k, v in controls.items()}, tol=1e-13)
    kw = {"psu": apiclus1["dnum"], "fpc": apiclus1["fpc"]}
    assert_same(weighted_mean(apiclus1["api00"], rk, **kw), svy_row(sample.estimation.mean("api00")))
    assert_same(weighted_total(apiclus1["enroll"], rk, **kw), svy_row(sample.estimation.total("enroll")))


def test_domain_means_match_svy_with_and_without_calibration(apistrat, apiclus1):
    sample = svy.Sample(frame(apistrat), svy.Design(stratum="stype", wgt="pw", pop_size="fpc"))
    ours = weighted_mean(
        apistrat["api00"],
        apistrat["pw"],
        strata=apistrat["stype"],
        fpc=apistrat["fpc"],
        by=apistrat["awards"],
    )
    theirs = sample.estimation.mean("api00", by="awards")
    for level in ("No", "Yes"):
        assert_same(ours[level], svy_row(theirs, awards=level))
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    rk = rake(apiclus1["pw"], {k: (apiclus1[k], v) for k, v in controls.items()}, tol=1e-13)
    sample = svy.Sample(frame(apiclus1), svy.Design(psu="dnum", wgt="pw", pop_size="fpc"))
    sample = sample.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rk")
    ours = weighted_mean(
        apiclus1["api00"], rk, psu=apiclus1["dnum"], fpc=apiclus1["fpc"], by=apiclus1["awards"]
    )
    theirs = sample.estimation.mean("api00", by="awards")
    for level in ("No", "Yes"):
        assert_same(ours[level], svy_row(theirs, awards=level))


def test_proportion_logit_and_wilson_intervals_match_svy(apistrat):
    sample = svy.Sample(frame(apistrat), svy.Design(stratum="stype", wgt="pw", pop_size="fpc"))
    kw = {"strata": apistrat["stype"], "fpc": apistrat["fpc"], "level": "Yes"}
    for method in ("logit", "wilson"):
        ours = weighted_proportion(apistrat["awards"], apistrat["pw"], ci=method, **kw)
        theirs = svy_row(sample.estimation.prop("awards", ci_method=method), awards="Yes")
        assert ours.ci_method == method
        assert_same(ours, theirs)


def test_missing_values_excluded_like_svy_drop_nulls(apistrat):
    sample = svy.Sample(frame(apistrat), svy.Design(stratum="stype", wgt="pw", pop_size="fpc"))
    ours = weighted_mean(
        apistrat["acs.k3"], apistrat["pw"], strata=apistrat["stype"], fpc=apistrat["fpc"], missing="exclude"
    )
    theirs = svy_row(sample.estimation.mean("acs.k3", drop_nulls=True))
    assert_same(ours, theirs)
    assert ours.n == theirs["n"]
    with pytest.raises(StatsInputError, match=r"y has \d+ missing values"):
        weighted_mean(apistrat["acs.k3"], apistrat["pw"], strata=apistrat["stype"])


def test_jackknife_matches_svy(apistrat, apiclus1):
    sample = svy.Sample(frame(apistrat), svy.Design(stratum="stype", psu="snum", wgt="pw"))
    theirs = svy_row(sample.weighting.create_jk_wgts().estimation.mean("api00", method="replication"))
    ours = weighted_mean(
        apistrat["api00"],
        apistrat["pw"],
        strata=apistrat["stype"],
        psu=apistrat["snum"],
        variance="jackknife",
    )
    assert ours.se == pytest.approx(theirs["se"], rel=REL)
    controls = {"stype": POP_TYPES, "sch.wide": POP_SCHWIDE}
    sample = svy.Sample(frame(apiclus1), svy.Design(psu="dnum", wgt="pw")).weighting.create_jk_wgts()
    sample = sample.weighting.rake(controls=controls, tol=1e-13, max_iter=1000, wgt_name="rk")
    theirs = svy_row(sample.estimation.mean("api00", method="replication"))
    rk = rake(apiclus1["pw"], {k: (apiclus1[k], v) for k, v in controls.items()}, tol=1e-13)
    ours = weighted_mean(apiclus1["api00"], rk, psu=apiclus1["dnum"], variance="jackknife")
    assert ours.se == pytest.approx(theirs["se"], rel=REL)
    theirs = svy_row(sample.estimation.mean("api00", method="replication", variance_center="estimate"))
    ours = weighted_mean(apiclus1["api00"], rk, psu=apiclus1["dnum"], variance="jackknife", mse=True)
    assert ours.se == pytest.approx(theirs["se"], rel=REL)


def test_jackknife_total_with_fpc_equals_linearisation(apistrat):
    """For a linear statistic the JKn variance equals the linearised one exactly (Wolter 2007, 4.5)."""
    kw = {"strata": apistrat["stype"], "psu": apistrat["snum"], "fpc": apistrat["fpc"]}
    lin = weighted_total(apistrat["enroll"], apistrat["pw"], **kw)
    jk = weighted_total(apistrat["enroll"], apistrat["pw"], variance="jackknife", **kw)
    assert jk.se == pytest.approx(lin.se, rel=1e-10)


def test_bootstrap_se_close_to_linearisation(apiclus1):
    kw = {"psu": apiclus1["dnum"]}
    lin = weighted_mean(apiclus1["api00"], apiclus1["pw"], **kw)
    boot = weighted_mean(
        apiclus1["api00"], apiclus1["pw"], variance="bootstrap", replicates=400, seed=1, **kw
    )
    assert boot.variance_method == "bootstrap"
    assert boot.se == pytest.approx(lin.se, rel=0.2)


def test_wilson_interval_at_zero_and_logit_fallback():
    y = np.zeros(50)
    w = np.full(50, 2.0)
    est = weighted_proportion(y, w, ci="logit")
    assert est.estimate == 0.0 and est.se == 0.0
    assert est.ci_method == "wilson"  # logit is undefined at 0: the fallback is reported, not silent
    c = stats.t.ppf(0.975, 49)
    assert est.ci_low == 0.0
    assert est.ci_high == pytest.approx(c**2 / (50 + c**2), rel=1e-12)
    lo, hi = wilson_interval(0.3, 0.0, 10, 0.95, None)
    z = stats.norm.ppf(0.975)
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z / (1 + z**2 / 10) * np.sqrt(0.3 * 0.7 / 10 + z**2 / 400)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))


def test_clear_errors_and_suppression(apistrat):
    y, w = apistrat["api00"], apistrat["pw"]
    with pytest.raises(StatsInputError, match="single PSU"):
        weighted_mean(y[:4], w[:4], strata=np.array(["a", "a", "a", "b"]), psu=np.arange(4))
    with pytest.raises(StatsInputError, match="no respondents with a positive weight"):
        weighted_mean(y, w, domain=np.zeros(y.size, dtype=bool))
    with pytest.raises(StatsInputError, match="sum to zero"):
        weighted_mean(y, np.zeros(y.size))
    with pytest.raises(StatsInputError, match="fpc varies within strata"):
        weighted_mean(y, w, strata=apistrat["stype"], fpc=np.arange(y.size) + 1000.0)
    ps = poststratify(w, apistrat["stype"], POP_TYPES)
    with pytest.raises(StatsInputError, match="calibration record does not describe these weights"):
        weighted_mean(y, w, calibration=ps.calibration)
    out = weighted_mean(y, w, strata=apistrat["stype"], by=apistrat["stype"], min_n=60)
    assert isinstance(out["H"], Suppressed) and out["H"].n == 50
    assert not isinstance(out["E"], Suppressed)
