"""keel.train._metrics: each metric is scikit-learn's, on keel's prediction shapes."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from sklearn import metrics as skm

from keel.errors import TrainError
from keel.train import _metrics as metrics_module
from keel.train._metrics import METRICS, default_metric, get_metric

Y_BINARY = np.array([0, 1, 1, 0, 1, 0, 0, 1])
P_BINARY = np.array([0.2, 0.7, 0.4, 0.3, 0.9, 0.6, 0.1, 0.8])
PROBA_BINARY = np.column_stack([1 - P_BINARY, P_BINARY])
LABELS_BINARY = (P_BINARY > 0.5).astype(int)

Y_MULTI = np.array([0, 1, 2, 2, 1, 0, 2, 1])
PROBA_MULTI = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.4, 0.2, 0.4],
        [0.3, 0.3, 0.4],
        [0.5, 0.4, 0.1],
        [0.2, 0.2, 0.6],
        [0.1, 0.8, 0.1],
    ]
)
LABELS_MULTI = PROBA_MULTI.argmax(axis=1)

Y_REG = np.array([1.0, 2.0, 3.5, 4.0, 5.5])
P_REG = np.array([1.2, 1.8, 3.0, 4.4, 5.0])

CASES = [
    ("roc_auc", "binary", skm.roc_auc_score(Y_BINARY, P_BINARY)),
    ("pr_auc", "binary", skm.average_precision_score(Y_BINARY, P_BINARY)),
    ("log_loss", "binary", skm.log_loss(Y_BINARY, PROBA_BINARY)),
    ("accuracy", "binary", skm.accuracy_score(Y_BINARY, LABELS_BINARY)),
    ("balanced_accuracy", "binary", skm.balanced_accuracy_score(Y_BINARY, LABELS_BINARY)),
    ("f1", "binary", skm.f1_score(Y_BINARY, LABELS_BINARY)),
    ("mcc", "binary", skm.matthews_corrcoef(Y_BINARY, LABELS_BINARY)),
    ("roc_auc", "multiclass", skm.roc_auc_score(Y_MULTI, PROBA_MULTI, multi_class="ovr")),
    ("log_loss", "multiclass", skm.log_loss(Y_MULTI, PROBA_MULTI)),
    ("accuracy", "multiclass", skm.accuracy_score(Y_MULTI, LABELS_MULTI)),
    ("f1_macro", "multiclass", skm.f1_score(Y_MULTI, LABELS_MULTI, average="macro")),
    ("mcc", "multiclass", skm.matthews_corrcoef(Y_MULTI, LABELS_MULTI)),
    ("rmse", "regression", skm.root_mean_squared_error(Y_REG, P_REG)),
    ("mae", "regression", skm.mean_absolute_error(Y_REG, P_REG)),
    ("r2", "regression", skm.r2_score(Y_REG, P_REG)),
    ("mape", "regression", skm.mean_absolute_percentage_error(Y_REG, P_REG)),
]


def _data(task: str) -> tuple[np.ndarray, np.ndarray]:
    return {
        "binary": (Y_BINARY, PROBA_BINARY),
        "multiclass": (Y_MULTI, PROBA_MULTI),
        "regression": (Y_REG, P_REG),
    }[task]


@pytest.mark.parametrize(("name", "task", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_score_equals_scikit_learn(name: str, task: str, expected: float) -> None:
    y, prediction = _data(task)
    assert get_metric(name, task).score(y, prediction) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("name", "task", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_loss_is_minimized(name: str, task: str, expected: float) -> None:
    metric = get_metric(name, task)
    y, prediction = _data(task)
    sign = -1.0 if metric.greater_is_better else 1.0
    assert metric.loss(y, prediction) == pytest.approx(sign * expected, abs=1e-12)


def test_every_metric_is_tested_and_directions_are_right() -> None:
    assert {name for name, _, _ in CASES} == set(METRICS)
    assert not METRICS["log_loss"].greater_is_better
    assert not METRICS["rmse"].greater_is_better
    assert METRICS["r2"].greater_is_better
    assert {name for name, m in METRICS.items() if m.needs_proba} == {
        "roc_auc",
        "pr_auc",
        "log_loss",
    }


def test_label_metrics_accept_labels_too() -> None:
    accuracy = get_metric("accuracy", "binary")
    assert accuracy.score(Y_BINARY, LABELS_BINARY) == accuracy.score(Y_BINARY, PROBA_BINARY)


def test_log_loss_counts_classes_absent_from_the_rows() -> None:
    # A fold without class 2: the proba still has 3 columns and the loss is defined.
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.3, 0.6, 0.1], [0.6, 0.2, 0.2]])
    expected = skm.log_loss(y, proba, labels=[0, 1, 2])
    assert get_metric("log_loss", "multiclass").score(y, proba) == pytest.approx(expected)


def test_defaults_are_flamls() -> None:
    assert default_metric("binary") == "roc_auc"
    assert default_metric("multiclass") == "log_loss"
    assert default_metric("regression") == "r2"
    with pytest.raises(TrainError, match="'ranking'"):
        default_metric("ranking")


def test_unknown_metric_lists_the_allowed_names() -> None:
    with pytest.raises(TrainError, match="'auc'") as caught:
        get_metric("auc", "binary")
    assert caught.value.field == "train.metric"
    assert "roc_auc" in str(caught.value) and "rmse" not in str(caught.value)


def test_metric_of_another_task_is_refused() -> None:
    with pytest.raises(TrainError, match=r"regression task\. Got 'roc_auc'") as caught:
        get_metric("roc_auc", "regression")
    assert "rmse, mae, r2, mape" in str(caught.value)
    with pytest.raises(TrainError, match="multiclass task"):
        get_metric("f1", "multiclass")


@pytest.mark.parametrize(
    ("name", "task", "y", "prediction"),
    [
        ("roc_auc", "binary", np.array([1, 1, 1]), np.array([[0.2, 0.8]] * 3)),
        ("pr_auc", "binary", np.array([0, 0, 0]), np.array([[0.2, 0.8]] * 3)),
        ("roc_auc", "multiclass", np.array([0, 1, 1]), np.full((3, 3), 1 / 3)),
        ("r2", "regression", np.array([1.0]), np.array([2.0])),
        ("rmse", "regression", np.array([1.0, 2.0]), np.array([1.0])),
    ],
)
def test_undefined_score_is_a_train_error(
    name: str, task: str, y: np.ndarray, prediction: np.ndarray
) -> None:
    with pytest.raises(TrainError, match=f"The metric '{name}' is undefined"):
        get_metric(name, task).score(y, prediction)


def test_docstring_examples() -> None:
    assert doctest.testmod(metrics_module).failed == 0
