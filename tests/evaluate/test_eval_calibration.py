"""Reliability curves, ECE and cross-fitted recalibration (keel.evaluate._calibration*)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import log_loss

from keel.errors import EvaluationError
from keel.evaluate._calibration import expected_calibration_error, reliability_curve
from keel.evaluate._calibration_fit import calibrate
from keel.evaluate._outcomes import outcomes


def _calibrated_binary(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    return (rng.uniform(size=n) < p).astype(int), p


def _softmax_rows(n: int, seed: int, temperature: float = 1.0):
    """Labels drawn from softmax(logits); the model reports softmax(logits / temperature)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, 3))
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in truth])
    shown = np.exp(logits / temperature)
    return y, shown / shown.sum(axis=1, keepdims=True)


def test_ece_binary_known_answer() -> None:
    # Bins of width 0.2: [0, .2] holds .05, .15 (mean .1, no positives: gap .1);
    # (.2, .4] holds .3, .35 (mean .325, half positive: gap .175); (.6, .8] holds .75
    # (gap .25); (.8, 1] holds .9 (gap .1). Weighted: (2*.1 + 2*.175 + .25 + .1) / 6 = .15.
    scored = outcomes([0, 0, 1, 0, 1, 1], [0.05, 0.15, 0.3, 0.35, 0.75, 0.9], task="binary")
    assert expected_calibration_error(scored, n_bins=5) == pytest.approx(0.15)


def test_ece_multiclass_uses_top_label_confidence() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6], [0.9, 0.05, 0.05]])
    # Confidences .7, .6, .6, .9; right, wrong, right, right. Two bins: [0, .5] empty;
    # (.5, 1]: mean confidence .7, accuracy .75 -> ECE .05.
    scored = outcomes([0, 2, 2, 0], proba, classes=[0, 1, 2])
    assert expected_calibration_error(scored, n_bins=2) == pytest.approx(0.05)
    assert reliability_curve(scored, n_bins=2).kind == "top_label"


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_curve_matches_sklearn_and_counts_every_row(strategy: str) -> None:
    y, p = _calibrated_binary(500, seed=1)
    curve = reliability_curve(outcomes(y, p, task="binary"), n_bins=8, strategy=strategy)
    observed, predicted = calibration_curve(y, p, n_bins=8, strategy=strategy)
    np.testing.assert_allclose(curve.observed_frequency, observed)
    np.testing.assert_allclose(curve.mean_predicted, predicted)
    assert curve.count.sum() == 500
    assert curve.kind == "positive_class"
    if strategy == "quantile":
        assert curve.count.max() - curve.count.min() <= 1


def test_reliability_curve_leaves_out_empty_bins_and_serializes() -> None:
    scored = outcomes([0, 1, 1], [0.05, 0.92, 0.97], task="binary")
    curve = reliability_curve(scored, n_bins=10)
    assert curve.count.tolist() == [1, 2]
    assert json.loads(json.dumps(curve.to_dict()))["count"] == [1, 2]


def test_curve_and_ece_refuse_bad_input() -> None:
    scored = outcomes([0, 1], [0.2, 0.8], task="binary")
    with pytest.raises(EvaluationError, match="strategy must be one of uniform, quantile"):
        reliability_curve(scored, strategy="even")
    with pytest.raises(EvaluationError, match=r"n_bins must be an integer >= 1\. Got 0"):
        expected_calibration_error(scored, n_bins=0)
    with pytest.raises(EvaluationError, match="regression"):
        expected_calibration_error(outcomes([1.0, 2.0], [1.5, 2.5]))


@pytest.mark.parametrize(
    "distort", [lambda p: p**3, lambda p: 0.5 + (p - 0.5) * 0.3], ids=["cubed", "squashed"]
)
def test_miscalibrated_scores_get_a_calibrator_that_helps(distort) -> None:
    y, p = _calibrated_binary(2000, seed=2)
    result = calibrate(outcomes(y, distort(p), task="binary"))
    assert result.chosen in ("isotonic", "sigmoid")
    after = result.after[result.chosen]
    assert after["log_loss"] < result.before["log_loss"]
    assert after["ece"] < result.before["ece"]
    # The calibrator fitted on all rows also helps on fresh rows from the same model.
    y_new, p_new = _calibrated_binary(2000, seed=3)
    fixed = result.apply(distort(p_new))
    assert log_loss(y_new, fixed) < log_loss(y_new, distort(p_new))


def test_well_calibrated_scores_are_left_alone() -> None:
    y, p = _calibrated_binary(2000, seed=4)
    result = calibrate(outcomes(y, p, task="binary"))
    assert result.chosen == "none"
    assert set(result.after) == {"isotonic", "sigmoid"}
    proba = np.column_stack([1 - p[:5], p[:5]])
    np.testing.assert_array_equal(result.apply(proba), proba)


def test_one_method_only_and_positive_scores_in_apply() -> None:
    y, p = _calibrated_binary(1000, seed=5)
    result = calibrate(outcomes(y, p**3, task="binary"), method="sigmoid")
    assert set(result.after) == {"sigmoid"} and result.chosen == "sigmoid"
    as_matrix = result.apply(np.column_stack([1 - p[:4], p[:4] ** 3]))
    np.testing.assert_allclose(result.apply(p[:4] ** 3), as_matrix[:, 1])


def test_multiclass_is_one_vs_rest_and_renormalized() -> None:
    y, proba = _softmax_rows(1500, seed=6, temperature=3.0)  # far too flat
    result = calibrate(outcomes(y, proba))
    assert result.chosen != "none"
    assert result.after[result.chosen]["log_loss"] < result.before["log_loss"]
    fixed = result.apply(proba[:50])
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0)
    assert len(result.calibrators) == 3


def test_same_seed_same_numbers() -> None:
    y, p = _calibrated_binary(800, seed=7)
    scored = outcomes(y, np.sqrt(p), task="binary")
    first, again = calibrate(scored, seed=3), calibrate(scored, seed=3)
    assert first.to_dict() == again.to_dict()
    assert first.to_dict() != calibrate(scored, seed=4).to_dict()
    json.dumps(first.to_dict())


def test_calibrate_refuses_bad_input() -> None:
    y, p = _calibrated_binary(200, seed=8)
    scored = outcomes(y, p, task="binary")
    with pytest.raises(EvaluationError, match=r"one of auto, isotonic, sigmoid\. Got 'platt'"):
        calibrate(scored, method="platt")
    with pytest.raises(EvaluationError, match=r"folds must be an integer >= 2\. Got 1"):
        calibrate(scored, folds=1)
    with pytest.raises(EvaluationError, match="regression"):
        calibrate(outcomes([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]))
    rare = outcomes([0] * 20 + [1] * 3, [0.2] * 20 + [0.7] * 3, task="binary")
    with pytest.raises(EvaluationError, match="Class 1 has 3 row"):
        calibrate(rare, folds=5)
    with pytest.raises(EvaluationError, match=r"shape \(n_samples, 2\)"):
        calibrate(scored).apply(np.ones((3, 3)) / 3)
