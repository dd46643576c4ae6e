"""The metrics a search can optimize, each computed by scikit-learn on keel's predictions.

Classifiers predict probability matrices of shape (n_samples, n_classes); metrics on labels
(accuracy, f1, ...) take the arg-max of each row. Regressors predict 1-D values. ``loss`` is
the value a search minimizes whatever the metric's direction.

Example:
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]])
    >>> get_metric("roc_auc", "binary").score(np.array([0, 1, 1, 0]), proba)
    1.0
    >>> get_metric("accuracy", "binary").loss(np.array([0, 1, 1, 1]), proba)
    -0.75
    >>> default_metric("regression")
    'r2'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn import metrics as skm

from keel.errors import TrainError

__all__ = ["METRICS", "Metric", "default_metric", "get_metric"]

_CLASSIFICATION = frozenset({"binary", "multiclass"})
_BINARY = frozenset({"binary"})
_REGRESSION = frozenset({"regression"})

# FLAML's defaults for the same tasks, so that a comparison with FLAML optimizes the same
# thing on both sides: ROC AUC for binary, log loss for multiclass, R² for regression.
_DEFAULTS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "r2"}


@dataclass(frozen=True)
class Metric:
    """A named metric: its direction, what prediction it needs and the tasks it applies to.

    Args:
        name: the name keel.yaml uses (``train.metric``).
        greater_is_better: True for scores (AUC, R²), False for errors (log loss, RMSE).
        needs_proba: True when it reads probabilities rather than arg-max labels.
        tasks: the tasks it is defined for.
    """

    name: str
    greater_is_better: bool
    needs_proba: bool
    tasks: frozenset[str]
    _compute: Callable[[np.ndarray, np.ndarray], float] = field(repr=False, compare=False)

    def score(self, y_true: np.ndarray, prediction: np.ndarray) -> float:
        """The metric on ``prediction``: a proba matrix (classification) or values (regression).

        Raises:
            TrainError: the metric is undefined on these rows (one class only, one sample).
        """
        y_true = np.asarray(y_true)
        prediction = np.asarray(prediction)
        if not self.needs_proba and self.tasks <= _CLASSIFICATION and prediction.ndim == 2:
            prediction = prediction.argmax(axis=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = float(self._compute(y_true, prediction))
            except ValueError as error:
                raise self._undefined(str(error)) from None
        if math.isnan(value):
            raise self._undefined("; ".join(str(w.message) for w in caught) or "it came out NaN")
        return value

    def loss(self, y_true: np.ndarray, prediction: np.ndarray) -> float:
        """A value to minimize: ``-score`` when greater is better, else ``score``."""
        value = self.score(y_true, prediction)
        return -value if self.greater_is_better else value

    def _undefined(self, why: str) -> TrainError:
        return TrainError(
            f"The metric {self.name!r} is undefined on these rows: {why} (the likely cause is "
            "a fold or holdout too small to hold every class).",
            field="train.metric",
        )


def _binary_scores(compute: Callable[..., float]) -> Callable[[np.ndarray, np.ndarray], float]:
    """Score on the positive-class column, refusing rows that hold a single class."""

    def score(y: np.ndarray, proba: np.ndarray) -> float:
        if np.unique(y).size < 2:
            raise ValueError(f"y_true holds one class only ({np.unique(y).tolist()})")
        return compute(y, proba[:, 1] if proba.ndim == 2 else proba)

    return score


def _roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    if proba.ndim == 2 and proba.shape[1] > 2:
        labels = list(range(proba.shape[1]))
        return skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels)
    return _binary_scores(skm.roc_auc_score)(y, proba)


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    return skm.log_loss(y, proba, labels=list(range(proba.shape[1])))


def _f1(y: np.ndarray, labels: np.ndarray) -> float:
    return skm.f1_score(y, labels, zero_division=0.0)


def _f1_macro(y: np.ndarray, labels: np.ndarray) -> float:
    return skm.f1_score(y, labels, average="macro", zero_division=0.0)


#: Every metric by name.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("roc_auc", True, True, _CLASSIFICATION, _roc_auc),
        Metric("pr_auc", True, True, _BINARY, _binary_scores(skm.average_precision_score)),
        Metric("log_loss", False, True, _CLASSIFICATION, _log_loss),
        Metric("accuracy", True, False, _CLASSIFICATION, skm.accuracy_score),
        Metric("balanced_accuracy", True, False, _CLASSIFICATION, skm.balanced_accuracy_score),
        Metric("f1", True, False, _BINARY, _f1),
        Metric("f1_macro", True, False, _CLASSIFICATION, _f1_macro),
        Metric("mcc", True, False, _CLASSIFICATION, skm.matthews_corrcoef),
        Metric("rmse", False, False, _REGRESSION, skm.root_mean_squared_error),
        Metric("mae", False, False, _REGRESSION, skm.mean_absolute_error),
        Metric("r2", True, False, _REGRESSION, skm.r2_score),
        Metric("mape", False, False, _REGRESSION, skm.mean_absolute_percentage_error),
    ]
}


def get_metric(name: str, task: str) -> Metric:
    """The metric called ``name``, checked to apply to ``task``.

    Raises:
        TrainError: no such metric, or it is not defined for the task (``.field`` is
            ``train.metric``); the message lists the metrics the task allows.
    """
    metric = METRICS.get(name)
    if metric is None or task not in metric.tasks:
        allowed = ", ".join(m.name for m in METRICS.values() if task in m.tasks)
        raise TrainError(
            f"The 'metric' setting of train must be one of {allowed} for a {task} task. "
            f"Got {name!r} instead.",
            field="train.metric",
        )
    return metric


def default_metric(task: str) -> str:
    """The metric a search optimizes when keel.yaml names none: FLAML's default for the task."""
    if task not in _DEFAULTS:
        raise TrainError(
            f"The task must be one of binary, multiclass, regression. Got {task!r} instead.",
            field="train.task",
        )
    return _DEFAULTS[task]
