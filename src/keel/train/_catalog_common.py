"""What the algorithm families share when fitting: the build context kept on an estimator,
class checks, round caps and class weights.

Example:
    >>> capped(1000, 50), capped(1000, None)
    (50, 1000)
    >>> sample_weight(np.array([0, 0, 0, 1]), "balanced").tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight

from keel.errors import TrainError
from keel.train._spaces import Dimension, Fixed, Range

__all__ = [
    "MAX_ROUNDS",
    "REPORT_EVERY",
    "Context",
    "OnRound",
    "StopFitting",
    "capped",
    "check_classes",
    "int_range",
    "sample_weight",
    "seen_rows",
]

#: Boosting rounds of an iterative family when neither keel.yaml nor ``max_rounds`` caps
#: them: a ceiling that early stopping is meant to cut short.
MAX_ROUNDS = 1000
#: ``on_round`` hears the validation loss every this many rounds: often enough for a
#: pruner, rarely enough that reporting (a database write with Optuna's RDB storage) costs
#: nothing next to the rounds.
REPORT_EVERY = 10

OnRound = Callable[[int, float], None]


class StopFitting(Exception):
    """Raised by ``on_round`` to end a fit now and keep the model trained so far (a time
    slice or the budget ran out); ``optuna.TrialPruned`` instead discards the trial."""


@dataclass
class Context:
    """What ``build`` knew, kept on the estimator (as ``_keel``) for ``fit`` and ``predict``.

    ``classes`` is set by a fit that re-coded the labels it saw to 0..m-1 (XGBoost needs
    contiguous labels); its columns are then the probabilities of these classes.
    """

    task: str
    n_classes: int
    n_jobs: int
    class_weight: str | None
    classes: np.ndarray | None = None


def sample_weight(y: np.ndarray, class_weight: str | None) -> np.ndarray | None:
    """Per-row weights that give each class the same total weight (``"balanced"``), or None."""
    return None if class_weight is None else compute_sample_weight(class_weight, y)


def int_range(low: int, high: float, *, log: bool = False) -> Dimension:
    """An integer range, or the single value ``low`` when the data is too small for more."""
    top = int(high)
    return Range(low, top, log=log, integer=True) if top > low else Fixed(low)


def check_classes(y: np.ndarray, context: Context) -> np.ndarray | None:
    """The classes in y, checked to be at least two; None for regression."""
    if context.task == "regression":
        return None
    classes = np.unique(y)
    if classes.size < 2:
        raise TrainError(
            f"Cannot fit a classifier on rows that hold one class only ({classes.tolist()}); "
            "the likely cause is a fold too small for a rare class."
        )
    return classes


def seen_rows(
    X_valid: np.ndarray, y_valid: np.ndarray, classes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The validation rows whose class the fit saw (libraries refuse the others)."""
    if classes is None:
        return X_valid, y_valid
    keep = np.isin(y_valid, classes)
    return (X_valid, y_valid) if keep.all() else (X_valid[keep], y_valid[keep])


def capped(rounds: int, max_rounds: int | None) -> int:
    return rounds if max_rounds is None else max(1, min(rounds, int(max_rounds)))
