"""Greedy ensemble selection, blending, stacking and the choice between them."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import log_loss

import keel.train._ensemble
import keel.train._ensemble_stacking
from keel.errors import TrainError
from keel.train._ensemble import blend, choose_ensemble, greedy_selection
from keel.train._ensemble_stacking import Stacker, fit_stacker

N = 400


def mse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((y - p) ** 2))


def logloss(y: np.ndarray, p: np.ndarray) -> float:
    return float(log_loss(y, p, labels=np.arange(p.shape[1])))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def proba(positive: np.ndarray) -> np.ndarray:
    return np.column_stack([1 - positive, positive])


def regression(seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Two models with independent errors of the same size, a worse one, a biased constant."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=N)
    y = signal + 0.1 * rng.normal(size=N)
    noisy = [signal + 0.5 * rng.normal(size=N) for _ in range(2)]
    return y, [*noisy, signal + 2.0 * rng.normal(size=N), np.full(N, y.mean() + 5.0)]


def binary(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y from logit a + b; one model knows only a, the other only b; and the true odds."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=N) * 2, rng.normal(size=N) * 2
    truth = sigmoid(a + b)
    y = (rng.random(N) < truth).astype(int)
    return y, proba(sigmoid(a)), proba(sigmoid(b)), proba(truth)


def test_greedy_selection_picks_the_complementary_models_and_lowers_the_loss() -> None:
    y, models = regression()
    weights = greedy_selection(models, y, mse)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > 0.3 and weights[1] > 0.3 and weights[3] == 0
    assert mse(y, blend(models, weights)) < 0.7 * min(mse(y, m) for m in models)


def test_greedy_selection_works_on_probabilities() -> None:
    y, left, right, _ = binary()
    weights = greedy_selection([left, right, proba(np.full(N, 0.5))], y, logloss)
    assert weights[0] > 0 and weights[1] > 0 and weights[2] == 0
    assert logloss(y, blend([left, right], weights[:2])) < min(logloss(y, left), logloss(y, right))


def test_greedy_ties_go_to_the_lowest_index_and_init_best_starts_wider() -> None:
    y, models = regression()
    assert greedy_selection([models[2], models[2]], y, mse).tolist() == [1.0, 0.0]
    assert greedy_selection(models, y, mse, rounds=0, init_best=2).tolist() == [0.5, 0.5, 0, 0]
    with pytest.raises(TrainError, match="from 1 to 4 models"):
        greedy_selection(models, y, mse, init_best=5)


def test_greedy_selection_skips_rows_outside_the_mask() -> None:
    y, models = regression()
    gapped = [m.copy() for m in models]
    gapped[0][:50] = np.nan
    mask = np.arange(N) >= 50
    weights = greedy_selection(gapped, y, mse, mask=mask)
    assert np.isfinite(weights).all() and weights[0] > 0


def test_blend_keeps_probability_rows_summing_to_one() -> None:
    rng = np.random.default_rng(1)
    matrices = [rng.dirichlet(np.ones(4), size=30) for _ in range(3)]
    blended = blend(matrices, np.array([3.0, 0.0, 1.0]))
    assert np.allclose(blended.sum(axis=1), 1.0, atol=1e-12)
    assert np.allclose(blended, 0.75 * matrices[0] + 0.25 * matrices[2])
    for bad in ([1.0, 2.0], [1.0, -1.0, 1.0], [0.0, 0.0, 0.0]):
        with pytest.raises(TrainError, match="non-negative weight per model"):
            blend(matrices, np.array(bad))


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_stacker_predicts_the_right_shape_and_scores_itself_out_of_fold(task: str) -> None:
    rng = np.random.default_rng(2)
    if task == "regression":
        y, models = regression()
    else:
        k = 2 if task == "binary" else 3
        y = rng.integers(0, k, N)
        models = [0.6 * np.eye(k)[y] + 0.4 * rng.dirichlet(np.ones(k), N) for _ in range(2)]
    stacker = fit_stacker(models, y, task, seed=0, cv_splits=3)
    predicted = stacker.predict(models)
    in_sample = mse(y, predicted) if task == "regression" else logloss(y, predicted)
    assert stacker.oof_.shape == predicted.shape == models[0].shape
    assert stacker.cv_loss_ >= in_sample  # scored on rows it did not fit
    if task != "regression":
        assert np.allclose(predicted.sum(axis=1), 1.0)
    assert clone(stacker).get_params() == stacker.get_params()


def test_stacker_keeps_a_column_for_a_class_missing_from_y() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)  # classes 0 and 1 of three
    models = [rng.dirichlet(np.ones(3), 60) for _ in range(2)]
    predicted = Stacker("multiclass", cv_splits=3).fit(models, y).predict(models)
    assert predicted.shape == (60, 3) and (predicted[:, 2] == 0).all()


def test_stacker_refuses_rows_without_predictions() -> None:
    y, models = regression()
    models[0] = models[0].copy()
    models[0][0] = np.nan
    with pytest.raises(TrainError, match="oof_mask"):
        fit_stacker(models, y, "regression", seed=0)


def test_choose_ensemble_keeps_a_dominant_single_model() -> None:
    y, models = regression()
    rng = np.random.default_rng(4)
    dominant = y + 0.05 * rng.normal(size=N)
    choice = choose_ensemble([models[2], dominant, models[3]], y, "regression", mse, seed=0)
    assert choice.kind == "single" and choice.members == [1]
    assert choice.oof_loss == choice.single_loss == mse(y, dominant)
    assert "no ensemble beat the best single model 1" in choice.reason
    assert np.array_equal(choice.predict([models[2], dominant, models[3]]), dominant)


def test_choose_ensemble_blends_two_complementary_noisy_regressors() -> None:
    y, models = regression()
    choice = choose_ensemble(models, y, "regression", mse, seed=0)
    assert choice.kind in {"blend", "stack"} and {0, 1} <= set(choice.members)
    assert choice.oof_loss < 0.7 * choice.single_loss
    assert mse(y, choice.predict(models)) < choice.single_loss
    assert f"below the best single model {0 if mse(y, models[0]) < mse(y, models[1]) else 1}'s" in (
        choice.reason
    )


def test_choose_ensemble_stacks_classifiers_that_each_see_half_the_signal() -> None:
    y, left, right, _ = binary()
    choice = choose_ensemble([left, right], y, "binary", logloss, seed=0)
    assert choice.kind == "stack" and choice.members == [0, 1]
    assert choice.oof_loss < choice.single_loss
    predicted = choice.predict([left, right])
    assert predicted.shape == (N, 2) and np.allclose(predicted.sum(axis=1), 1.0)


def test_choose_ensemble_prefers_the_true_probabilities_over_any_mix() -> None:
    y, left, right, truth = binary()
    choice = choose_ensemble([left, truth, right], y, "binary", logloss, seed=0)
    assert choice.kind == "single" and choice.members == [1]


def test_choose_ensemble_ignores_rows_no_fold_validated() -> None:
    y, models = regression()
    gapped = [m.copy() for m in models]
    for m in gapped:
        m[:100] = np.nan
    choice = choose_ensemble(gapped, y, "regression", mse, seed=0)
    assert np.isfinite(choice.oof_loss) and choice.kind != "single"


def test_choose_ensemble_is_deterministic() -> None:
    y, left, right, _ = binary()
    first, second = (choose_ensemble([left, right], y, "binary", logloss, seed=5) for _ in range(2))
    assert (first.kind, first.members, first.oof_loss) == (
        second.kind,
        second.members,
        second.oof_loss,
    )
    assert np.array_equal(first.predict([left, right]), second.predict([left, right]))


@pytest.mark.parametrize("module", [keel.train._ensemble, keel.train._ensemble_stacking])
def test_docstring_examples_run(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]
