"""Decision thresholds from precision/recall targets and from costs (keel.evaluate._thresholds)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keel.errors import EvaluationError
from keel.evaluate._outcomes import outcomes
from keel.evaluate._thresholds import choose_threshold


def _scored(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    y = (rng.uniform(size=n) < p).astype(int)
    return y, p, outcomes(y, p, task="binary")


def _at(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[float, float]:
    """(precision, recall) of deciding positive at p >= threshold, counted by hand."""
    decided = p >= threshold
    hits = np.sum(decided & (y == 1))
    return (hits / decided.sum() if decided.any() else 0.0), hits / np.sum(y == 1)


def test_target_precision_takes_the_highest_recall_that_reaches_it() -> None:
    y, p, scored = _scored()
    choice = choose_threshold(scored, target_precision=0.8)
    candidates = [(*_at(y, p, t), t) for t in np.unique(p)]
    reaching = [(recall, precision) for precision, recall, _ in candidates if precision >= 0.8]
    assert choice.precision >= 0.8
    assert choice.recall == pytest.approx(max(reaching)[0])
    assert (choice.precision, choice.recall) == pytest.approx(_at(y, p, choice.threshold))
    assert np.isnan(choice.expected_cost) and "precision >= 0.8" in choice.rule


def test_target_recall_takes_the_highest_threshold_that_reaches_it() -> None:
    y, p, scored = _scored(seed=1)
    choice = choose_threshold(scored, target_recall=0.9)
    best = max(t for t in np.unique(p) if _at(y, p, t)[1] >= 0.9)
    assert choice.threshold == best and choice.recall >= 0.9
    assert choice.f1 == pytest.approx(
        2 * choice.precision * choice.recall / (choice.precision + choice.recall)
    )


def test_hand_computed_targets() -> None:
    scored = outcomes([0, 1, 0, 1, 1], [0.1, 0.3, 0.4, 0.6, 0.9], task="binary")
    # At 0.6: precision 1, recall 2/3; at 0.3: precision 3/4, recall 1.
    assert choose_threshold(scored, target_precision=1.0).threshold == 0.6
    assert choose_threshold(scored, target_precision=0.75).threshold == 0.3
    assert choose_threshold(scored, target_recall=0.5).threshold == 0.6


@pytest.mark.parametrize(("c_fp", "c_fn"), [(1.0, 4.0), (3.0, 1.0)])
def test_cost_threshold_is_near_the_bayes_optimum_for_calibrated_scores(c_fp, c_fn) -> None:
    _, _, scored = _scored(n=20000, seed=2)
    choice = choose_threshold(scored, costs={"false_positive": c_fp, "false_negative": c_fn})
    bayes = c_fp / (c_fp + c_fn)
    assert choice.threshold == pytest.approx(bayes, abs=0.03)
    assert f"Bayes-optimal threshold for calibrated scores {bayes:.4g}" in choice.rule


def test_cost_threshold_minimizes_total_cost_on_these_rows() -> None:
    y, p, scored = _scored(seed=3)
    costs = {"false_positive": 2.0, "false_negative": 5.0, "true_positive": 1.0}
    choice = choose_threshold(scored, costs=costs)

    def mean_cost(t: float) -> float:
        decided = p >= t
        fp, fn, tp = (decided & (y == 0)), (~decided & (y == 1)), (decided & (y == 1))
        return float((2 * fp + 5 * fn + 1 * tp).mean())

    assert choice.expected_cost == pytest.approx(min(mean_cost(t) for t in np.unique(p)))
    assert choice.expected_cost == pytest.approx(mean_cost(choice.threshold))
    matrix = choose_threshold(scored, costs=[[0, 2], [5, 1]])
    assert matrix.threshold == choice.threshold


def test_when_positives_cost_nothing_to_miss_nothing_is_predicted_positive() -> None:
    _, p, scored = _scored(seed=4)
    choice = choose_threshold(scored, costs={"false_positive": 1, "false_negative": 0})
    assert choice.threshold > p.max() and np.isfinite(choice.threshold)
    assert choice.decide(np.column_stack([1 - p, p])).sum() == 0
    assert choice.expected_cost == 0.0


def test_multiclass_cost_matrix_decides_by_lowest_expected_cost() -> None:
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.ones(3), size=300)
    y = np.array([rng.choice(3, p=row) for row in proba])
    scored = outcomes(y, proba, classes=[0, 1, 2])
    zero_one = choose_threshold(scored, costs=1 - np.eye(3))
    np.testing.assert_array_equal(zero_one.decide(proba), proba.argmax(axis=1))
    costs = np.array([[0, 1, 1], [10, 0, 1], [1, 1, 0]])
    choice = choose_threshold(scored, costs=costs)
    decided = np.argmin(proba @ costs, axis=1)
    assert choice.expected_cost == pytest.approx(costs[y, decided].mean())
    assert np.isnan(choice.threshold) and "3x3 cost matrix" in choice.rule
    record = json.loads(json.dumps(choice.to_dict()))
    assert record["threshold"] is None and record["cost_matrix"][1][0] == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of target_precision, target_recall or costs. Got none"),
        ({"target_precision": 0.8, "target_recall": 0.5}, "Got target_precision, target_recall"),
        ({"target_precision": 0.0}, r"target_precision must be a number in \(0, 1\]. Got 0.0"),
        ({"target_recall": 1.5}, r"target_recall must be a number in \(0, 1\]. Got 1.5"),
        ({"target_recall": "0.5"}, r"target_recall must be a number in \(0, 1\]. Got '0.5'"),
        ({"costs": np.ones((3, 3))}, r"must be 2x2 .* in the order \[0, 1\]"),
        ({"costs": "cheap"}, "mapping or a numeric k x k matrix. Got 'cheap'"),
        ({"costs": [[0, 1, 1], [1, 0, 1]]}, r"must be 2x2 .* Got shape \(2, 3\)"),
        ({"costs": [[0, -1], [1, 0]]}, "finite and >= 0"),
        ({"costs": {"false_positive": 1}}, "need false_positive and false_negative"),
        ({"costs": {"false_positive": 1, "false_negative": 1, "fp": 2}}, "Got \\['false_"),
        ({"costs": {"false_positive": "high", "false_negative": 1}}, "'false_positive' must be"),
    ],
)
def test_bad_requests_raise(kwargs, message) -> None:
    _, _, scored = _scored(n=50)
    with pytest.raises(EvaluationError, match=message):
        choose_threshold(scored, **kwargs)


def test_an_unreachable_precision_says_the_best_reachable() -> None:
    # Precision at 0.9, 0.8, 0.7, 0.2: 0, 1/2, 2/3, 1/2.
    scored = outcomes([0, 1, 1, 0], [0.9, 0.8, 0.7, 0.2], task="binary")
    with pytest.raises(EvaluationError, match=r"best reachable is 0.6667 \(threshold 0.7\)"):
        choose_threshold(scored, target_precision=0.9)


def test_wrong_task_or_labels_raise() -> None:
    with pytest.raises(EvaluationError, match="regression"):
        choose_threshold(outcomes([1.0, 2.0], [1.0, 2.0]), target_recall=0.5)
    proba = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    multi = outcomes([2, 0], proba, classes=[0, 1, 2])
    with pytest.raises(EvaluationError, match="need a binary task"):
        choose_threshold(multi, target_precision=0.5)
    with pytest.raises(EvaluationError, match="k x k matrix"):
        choose_threshold(multi, costs={"false_positive": 1, "false_negative": 1})
    one_class = outcomes(["a", "a"], [0.2, 0.7], classes=["a", "b"])
    with pytest.raises(EvaluationError, match="both classes; every label here is 'a'"):
        choose_threshold(one_class, target_recall=0.5)
