"""PLS-PM against R plspm's output on the ECSI satisfaction data (CSV files in the reference data)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analytics.stats import StatsInputError, construct_index, pls_pm

TOL = 1e-4  # README: paths, R2, alpha, weights
SCORE_TOL = 1e-3


def num(text: str) -> float:
    return float(text)


@pytest.mark.parametrize(
    ("scheme", "filename"),
    [
        ("centroid", "satisfaction.outer-model.csv"),
        ("path", "satisfaction.outer-model-path.csv"),
        ("factorial", "satisfaction.outer-model-factorial.csv"),
    ],
)
def test_outer_model_matches_plspm(satisfaction_model, ecsi_dir, read_table, scheme, filename):
    data, blocks, paths = satisfaction_model
    res = pls_pm(data, blocks, paths, scaled=False, scheme=scheme)
    ref = read_table(ecsi_dir / filename)
    assert set(ref) == set(res.item_names)
    for item, row in ref.items():
        assert res.blocks[row["block"]].count(item) == 1
        assert res.outer_weights[item] == pytest.approx(num(row["weight"]), abs=TOL), item
        assert res.loadings[item] == pytest.approx(num(row["loading"]), abs=TOL), item
        assert res.communality[item] == pytest.approx(num(row["communality"]), abs=TOL), item
        assert res.redundancy[item] == pytest.approx(num(row["redundancy"]), abs=TOL), item


def test_inner_summary_matches_plspm(pls_centroid, ecsi_dir, read_table):
    ref = read_table(ecsi_dir / "satisfaction.inner-summary.csv")
    assert list(ref) == list(pls_centroid.lv_names)
    for lv, row in ref.items():
        endogenous = row["type"] == "Endogenous"
        assert (lv in pls_centroid.r2) == endogenous
        assert pls_centroid.r2.get(lv, 0.0) == pytest.approx(num(row["r_squared"]), abs=TOL)
        assert pls_centroid.block_communality[lv] == pytest.approx(num(row["block_communality"]), abs=TOL)
        assert pls_centroid.ave[lv] == pytest.approx(num(row["ave"]), abs=TOL)
        items = pls_centroid.blocks[lv]
        mean_red = np.mean([pls_centroid.redundancy[i] for i in items])
        assert mean_red == pytest.approx(num(row["mean_redundancy"]), abs=TOL)


def test_paths_and_effects_match_plspm(pls_centroid, ecsi_dir, read_table):
    ref = read_table(ecsi_dir / "satisfaction.effects.csv")
    assert {(r["from"], r["to"]) for r in ref.values()} == set(pls_centroid.effects)
    for row in ref.values():
        key = (row["from"], row["to"])
        eff = pls_centroid.effects[key]
        assert eff.direct == pytest.approx(num(row["direct"]), abs=TOL), key
        assert eff.indirect == pytest.approx(num(row["indirect"]), abs=TOL), key
        assert eff.total == pytest.approx(num(row["total"]), abs=TOL), key
        if key in pls_centroid.paths:
            assert pls_centroid.paths[key] == pytest.approx(num(row["direct"]), abs=TOL)
    assert len(pls_centroid.paths) == 10


def test_inner_regression_for_sat_matches_plspm(pls_centroid, ecsi_dir, read_table):
    ref = read_table(ecsi_dir / "satisfaction.inner-model.csv")
    for lv, row in ref.items():
        key = (lv, "SAT")
        assert pls_centroid.paths[key] == pytest.approx(num(row["Estimate"]), abs=TOL)
        assert pls_centroid.path_se[key] == pytest.approx(num(row["Std. Error"]), abs=TOL)
        assert pls_centroid.path_p[key] == pytest.approx(num(row["Pr(>|t|)"]), abs=TOL)


def test_scores_and_crossloadings_match_plspm(pls_centroid, ecsi_dir, read_table):
    with (ecsi_dir / "satisfaction.scores.csv").open() as fh:
        header = fh.readline().strip().replace('"', "").split(",")
    scores = np.loadtxt(ecsi_dir / "satisfaction.scores.csv", delimiter=",", skiprows=1)
    assert header == list(pls_centroid.lv_names)
    np.testing.assert_allclose(pls_centroid.scores, scores, atol=SCORE_TOL, rtol=0)
    ref = read_table(ecsi_dir / "satisfaction.crossloadings.csv")
    for item, row in ref.items():
        i = pls_centroid.item_names.index(item)
        for j, lv in enumerate(pls_centroid.lv_names):
            assert pls_centroid.crossloadings[i, j] == pytest.approx(num(row[lv]), abs=TOL), (item, lv)


def test_unidimensionality_matches_plspm(pls_centroid, ecsi_dir, read_table):
    ref = read_table(ecsi_dir / "satisfaction_unidim.csv")
    for lv, row in ref.items():
        assert len(pls_centroid.blocks[lv]) == int(row["mvs"])
        assert pls_centroid.modes[lv] == row["mode"]
        assert pls_centroid.cronbach_alpha[lv] == pytest.approx(num(row["cronbach_alpha"]), abs=TOL)
        assert pls_centroid.dg_rho[lv] == pytest.approx(num(row["dillon_goldstein_rho"]), abs=TOL)
        assert pls_centroid.eigenvalues[lv][0] == pytest.approx(num(row["eig_1st"]), abs=TOL)
        assert pls_centroid.eigenvalues[lv][1] == pytest.approx(num(row["eig_2nd"]), abs=TOL)


def test_gof_matches_published_value(pls_centroid, ecsi_dir):
    text = (ecsi_dir / "README.md").read_text()
    match = re.search(r"GoF\s*=\s*([0-9]+\.[0-9]+)", text)
    assert match, "the reference README no longer states the GoF"
    assert pls_centroid.gof == pytest.approx(float(match.group(1)), abs=1e-6)


def test_mode_b_matches_plspm(satisfaction_model):
    """All blocks Mode B, centroid, unscaled.  R plspm output as stored by plspm-python
    (tests/data/satisfaction.modeb.inner-summary.csv, GPL-3): R^2 and block communality."""
    data, blocks, paths = satisfaction_model
    res = pls_pm(data, blocks, paths, scaled=False, modes=dict.fromkeys(blocks, "B"))
    r2 = {
        "EXPE": 0.372046006581529,
        "QUAL": 0.722837619445379,
        "VAL": 0.614360808369793,
        "SAT": 0.732183693952877,
        "LOY": 0.539969047981518,
    }
    communality = {
        "IMAG": 0.532480143903468,
        "EXPE": 0.60484775361322,
        "QUAL": 0.657778609805617,
        "VAL": 0.637277128517747,
        "SAT": 0.73353650551065,
        "LOY": 0.578474667245272,
    }
    for lv, v in r2.items():
        assert res.r2[lv] == pytest.approx(v, abs=TOL)
    for lv, v in communality.items():
        assert res.block_communality[lv] == pytest.approx(v, abs=TOL)
    assert res.ave == {}  # AVE is a reflective (Mode A) notion


def test_acsi_index_uses_normalised_unstandardised_weights(
    pls_centroid, satisfaction_model, ecsi_dir, read_table
):
    data, blocks, _ = satisfaction_model
    ref = read_table(ecsi_dir / "satisfaction.outer-model.csv")
    for lv, items in blocks.items():
        w = np.array([num(ref[i]["weight"]) for i in items])
        means = np.array([data[i].mean() for i in items])
        expected = 100 * (w / w.sum()) @ means / 10
        assert pls_centroid.indices[lv] == pytest.approx(expected, abs=1e-3)
        x = np.column_stack([data[i] for i in items])
        idx = construct_index(x, [pls_centroid.raw_weights[i] for i in items], scale=(0, 10))
        assert idx.estimate == pytest.approx(pls_centroid.indices[lv], rel=1e-12)


def test_scaled_model_raw_weights_and_sign_fixing(satisfaction_model, pls_centroid):
    data, blocks, paths = satisfaction_model
    scaled = pls_pm(data, blocks, paths, scaled=True)
    for item in scaled.item_names:  # raw weights are for centred raw items in both parametrisations
        sd = data[item].std()
        assert scaled.raw_weights[item] == pytest.approx(scaled.outer_weights[item] / sd, rel=1e-12)
    flipped = dict(data) | {k: 10 - data[k] for k in blocks["IMAG"]}  # reverse-code the IMAG block
    res = pls_pm(flipped, blocks, paths, scaled=False)
    assert sum(res.loadings[k] for k in blocks["IMAG"]) > 0
    assert res.paths[("IMAG", "EXPE")] == pytest.approx(-pls_centroid.paths[("IMAG", "EXPE")], abs=1e-9)
    assert res.r2["EXPE"] == pytest.approx(pls_centroid.r2["EXPE"], abs=1e-9)


def test_bootstrap_intervals(satisfaction_model):
    data, blocks, paths = satisfaction_model
    res = pls_pm(data, blocks, paths, scaled=False, scale_ends=(0, 10), bootstrap=60, seed=4)
    again = pls_pm(data, blocks, paths, scaled=False, scale_ends=(0, 10), bootstrap=60, seed=4)
    boot = res.bootstrap
    assert boot.n_resamples == 60 and set(boot.paths) == set(res.paths)
    for key, ci in boot.paths.items():
        assert ci.original == res.paths[key]
        assert ci.ci_low <= ci.ci_high and ci.se > 0
        assert again.bootstrap.paths[key] == ci  # reproducible with a seed
    strong = boot.paths[("EXPE", "QUAL")]
    assert strong.ci_low > 0.5  # signs aligned with the full sample: no flipped resamples
    for lv, ci in boot.indices.items():
        assert 0 <= ci.ci_low <= res.indices[lv] <= ci.ci_high <= 100
    assert set(boot.total_effects) == set(res.effects)


def test_bad_models_are_refused(satisfaction_model):
    data, blocks, paths = satisfaction_model
    with pytest.raises(StatsInputError, match="constant"):
        pls_pm(dict(data) | {"sat1": np.full(250, 7.0)}, blocks, paths)
    with pytest.raises(StatsInputError, match="cycle"):
        pls_pm(data, blocks, [*paths, ("LOY", "IMAG")])
    with pytest.raises(StatsInputError, match="not in the data"):
        pls_pm(data, blocks | {"SAT": ["sat1", "sat9"]}, paths)
    with pytest.raises(StatsInputError, match="no paths"):
        pls_pm(data, blocks, [p for p in paths if "LOY" not in p])
    collinear = dict(data) | {"val4": data["val1"] + data["val2"]}
    with pytest.raises(StatsInputError, match="collinear"):
        pls_pm(collinear, blocks, paths, modes={"VAL": "B"})
    with pytest.raises(StatsInputError, match="more than one block"):
        pls_pm(data, blocks | {"LOY": ["loy1", "sat1"]}, paths)
