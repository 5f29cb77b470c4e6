"""Invariants checked on random inputs (hypothesis): totals, index range, AHP recovery."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analytics.stats import ahp_weights, construct_index, poststratify, rake, trim_weights

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def survey(draw):
    n = draw(st.integers(30, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    k1, k2 = draw(st.integers(2, 5)), draw(st.integers(2, 4))
    a = np.concatenate([np.arange(k1), rng.integers(0, k1, n - k1)])
    b = np.concatenate([np.arange(k2) % k2, rng.integers(0, k2, n - k2)])
    w = rng.uniform(0.5, 5.0, n)
    total = draw(st.floats(1e3, 1e7))
    cells = np.bincount(a * k2 + b, minlength=k1 * k2).reshape(k1, k2) + 0.5  # smooth population table
    cells = cells / cells.sum() * total
    return a, b, w, cells, total


@SETTINGS
@given(survey())
def test_raked_weights_sum_to_population_and_meet_margins(data):
    a, b, w, cells, total = data
    ta = dict(enumerate(cells.sum(axis=1)))
    tb = dict(enumerate(cells.sum(axis=0)))
    res = rake(w, {"a": (a, ta), "b": (b, tb)})
    assert res.weights.sum() == pytest.approx(total, rel=1e-9)
    for k, v in ta.items():
        assert res.weights[a == k].sum() == pytest.approx(v, rel=1e-9)
    assert (res.weights > 0).all()


@SETTINGS
@given(survey())
def test_poststratified_and_trimmed_weights_keep_the_population_total(data):
    a, _, w, cells, total = data
    ta = dict(enumerate(cells.sum(axis=1)))
    ps = poststratify(w, a, ta)
    assert ps.weights.sum() == pytest.approx(total, rel=1e-12)
    tr = trim_weights(ps.weights, upper=1.5, relative_to="median")
    assert tr.weights.sum() == pytest.approx(total, rel=1e-12)
    assert tr.weights.max() <= 1.5 * np.median(ps.weights) * (1 + 1e-12)


@SETTINGS
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 6)), elements=st.floats(1, 5)),
    st.data(),
)
def test_index_stays_within_0_100(items, data):
    k = items.shape[1]
    w = np.array(data.draw(st.lists(st.floats(0, 10), min_size=k, max_size=k)))
    if w.sum() <= 0:
        w = np.ones(k)
    sw = np.array(data.draw(st.lists(st.floats(0.1, 100), min_size=items.shape[0], max_size=items.shape[0])))
    idx = construct_index(items, w, scale=(1, 5), survey_weights=sw)
    assert 0.0 <= idx.ci_low <= idx.estimate <= idx.ci_high <= 100.0


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(0.01, 100)))
def test_ahp_of_a_consistent_matrix_returns_its_generating_weights(w):
    res = ahp_weights(np.outer(w, 1 / w))
    np.testing.assert_allclose(res.weights, w / w.sum(), rtol=1e-8, atol=1e-12)
    assert res.consistency_ratio == pytest.approx(0.0, abs=1e-9)
