"""AHP, entropy and combined weights: Saaty's published example and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.stats import (
    AHPNode,
    StatsInputError,
    ahp_hierarchy,
    ahp_weights,
    combine_weights,
    entropy_weights,
)

# Saaty (2008) "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1):83-98,
# relative consumption of drinks in the US: judgments and the published derived priorities and C.R.
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = np.array(
    [
        [1, 9, 5, 2, 1, 1, 1 / 2],
        [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
        [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
        [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [1, 9, 4, 2, 1, 2, 1 / 2],
        [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [2, 9, 9, 3, 2, 3, 1],
    ]
)
DRINKS_PUBLISHED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
DRINKS_CR = 0.022


def test_saaty_drinks_example():
    res = ahp_weights(DRINKS_MATRIX, DRINKS)
    np.testing.assert_allclose(res.weights, DRINKS_PUBLISHED, atol=5e-4)
    assert res.consistency_ratio == pytest.approx(DRINKS_CR, abs=5e-4)
    assert res.random_index == 1.32
    assert res.as_dict()["water"] == pytest.approx(0.327, abs=5e-4)


def test_pairwise_judgments_give_the_same_weights():
    judgments = {(DRINKS[i], DRINKS[j]): DRINKS_MATRIX[i, j] for i in range(7) for j in range(i + 1, 7)}
    res = ahp_weights(judgments)
    np.testing.assert_allclose(res.weights, ahp_weights(DRINKS_MATRIX).weights, rtol=1e-12)


def test_inconsistent_judgments_are_refused_with_a_clear_message():
    bad = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1.0]])
    with pytest.raises(
        StatsInputError, match=r"consistency ratio CR = .* >= 0.1.*revise them, starting with"
    ):
        ahp_weights(bad, ["a", "b", "c"])
    with pytest.raises(StatsInputError, match="not reciprocal"):
        ahp_weights(np.array([[1, 2], [2, 1.0]]))
    with pytest.raises(StatsInputError, match="missing judgment"):
        ahp_weights({("a", "b"): 2.0, ("a", "c"): 3.0})
    with pytest.raises(StatsInputError, match="positive"):
        ahp_weights(np.array([[1, 0], [0, 1.0]]))


def test_hierarchical_aggregation():
    w_top = np.array([0.6, 0.4])
    w_svc = np.array([0.5, 0.3, 0.2])
    consistent = lambda w: np.outer(w, 1 / w)  # noqa: E731
    tree = AHPNode(
        consistent(w_top),
        ["service", "outcome"],
        {"service": AHPNode(consistent(w_svc), ["speed", "courtesy", "clarity"])},
    )
    out = ahp_hierarchy(tree)
    assert out[("service", "speed")] == pytest.approx(0.3)
    assert out[("service", "clarity")] == pytest.approx(0.12)
    assert out[("outcome",)] == pytest.approx(0.4)
    assert sum(out.values()) == pytest.approx(1.0)


def test_entropy_weights_closed_form():
    x = np.array([[1.0, 10.0, 5.0], [2.0, 10.5, 1.0], [3.0, 9.5, 3.0], [4.0, 10.0, 2.0]])
    w = entropy_weights(x)
    z = (x - x.min(0)) / (x.max(0) - x.min(0))
    p = z / z.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=0) / np.log(4)
    np.testing.assert_allclose(w, (1 - e) / (1 - e).sum(), rtol=1e-12)
    assert w.sum() == pytest.approx(1.0)
    # a cost indicator measured the other way round gets the same weight
    np.testing.assert_allclose(entropy_weights(-x, benefit=[False] * 3), w, rtol=1e-12)
    with pytest.raises(StatsInputError, match="constant"):
        entropy_weights(np.column_stack([x[:, 0], np.ones(4)]))


def test_combination_of_subjective_and_objective_weights():
    a, b = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.2, 0.6])
    np.testing.assert_allclose(combine_weights(a, b), a * b / (a * b).sum())
    np.testing.assert_allclose(combine_weights(a, b, method="linear", alpha=0.25), 0.25 * a + 0.75 * b)
