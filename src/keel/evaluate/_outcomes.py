"""What a model predicted for labelled rows: the one input every evaluation reads.

Classification keeps class codes (0..k-1, in ``classes`` order) and a probability matrix
of shape (n_samples, n_classes); regression keeps float targets and 1-D predictions. Every
check on lengths, labels and probabilities happens here, once, with a message that names
the problem, so the statistics below never see malformed input.

Example:
    >>> import numpy as np
    >>> scored = outcomes(["no", "yes", "yes"], np.array([0.2, 0.7, 0.4]), classes=["no", "yes"])
    >>> scored.task, scored.y.tolist(), scored.predicted.tolist()
    ('binary', [0, 1, 1], [0, 1, 0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError

__all__ = ["Outcomes", "outcomes", "outcomes_of"]

_TASKS = ("binary", "multiclass", "regression")
# Probabilities may drift from summing to one by float error after blending and calibration.
_PROBA_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Outcomes:
    """Labelled rows and a model's output on them.

    Attributes:
        task: "binary", "multiclass" or "regression".
        y: class codes (int64, indexes into ``classes``) or float targets, shape (n_samples,).
        output: probabilities of shape (n_samples, n_classes), or predictions (n_samples,).
        classes: the original label of each code; empty for regression.
    """

    task: str
    y: np.ndarray
    output: np.ndarray
    classes: np.ndarray

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    @property
    def predicted(self) -> np.ndarray:
        """Predicted class codes (arg-max of the probabilities) or predicted values."""
        if self.is_classification:
            return np.argmax(self.output, axis=1)
        return self.output

    @property
    def positive_scores(self) -> np.ndarray:
        """The positive class's probability (binary only)."""
        if self.task != "binary":
            raise EvaluationError(
                f"Positive-class scores exist for binary tasks only; this task is {self.task}.",
                field="task",
            )
        return self.output[:, 1]

    def subset(self, rows: np.ndarray) -> Outcomes:
        """The same outcomes on ``rows`` (a boolean mask or integer positions)."""
        return Outcomes(self.task, self.y[rows], self.output[rows], self.classes)


def outcomes(
    y_true: Any,
    output: Any,
    *,
    task: str | None = None,
    classes: Sequence[Any] | np.ndarray | None = None,
) -> Outcomes:
    """Check and package labels and a model's output.

    Args:
        y_true: true labels (classification) or values (regression), length n_samples.
        output: probabilities (n_samples, n_classes), a positive-class score per row for
            binary tasks, or predicted values (regression).
        task: "binary", "multiclass" or "regression"; inferred when None (a 2-D output or
            ``classes`` means classification).
        classes: the label of each probability column; sorted unique labels when None.

    Raises:
        EvaluationError: lengths differ, a label is not among ``classes``, probabilities
            are out of [0, 1] or do not sum to one, a value is missing.
    """
    out = np.asarray(output, dtype=np.float64)
    truth = _as_array(y_true)
    if out.shape[0] != truth.shape[0]:
        raise EvaluationError(
            f"y_true has {truth.shape[0]} rows but the model output has {out.shape[0]}; "
            "they must describe the same rows.",
            field="output",
        )
    if truth.shape[0] == 0:
        raise EvaluationError("There are no rows to evaluate.", field="y_true")
    task = task or _infer_task(out, classes)
    if task not in _TASKS:
        raise EvaluationError(
            f"The task must be one of {', '.join(_TASKS)}. Got {task!r} instead.", field="task"
        )
    if task == "regression":
        return _regression(truth, out)
    return _classification(task, truth, out, classes)


def outcomes_of(model: Any, X: pd.DataFrame, y: Any) -> Outcomes:
    """Run a fitted model on ``X`` and package its output with the labels ``y``.

    Works with keel's AutoML and any scikit-learn estimator: ``predict_proba`` and
    ``classes_`` for classifiers, ``predict`` for regressors.
    """
    task = getattr(model, "task_", None)
    if task == "regression" or (task is None and not hasattr(model, "predict_proba")):
        return outcomes(y, model.predict(X), task="regression")
    classes = np.asarray(model.classes_)
    task = task or ("binary" if classes.size == 2 else "multiclass")
    return outcomes(y, model.predict_proba(X), task=task, classes=classes)


def _as_array(values: Any) -> np.ndarray:
    array = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if array.ndim != 1:
        raise EvaluationError(
            f"y_true must be one label per row (1-D); got an array of shape {array.shape}.",
            field="y_true",
        )
    if pd.isna(array).any():
        missing = np.flatnonzero(pd.isna(array))
        raise EvaluationError(
            f"y_true is missing {missing.size} value(s), first at rows "
            f"{missing[:5].tolist()}; drop unlabelled rows before evaluating.",
            field="y_true",
        )
    return array


def _infer_task(out: np.ndarray, classes: Any) -> str:
    if out.ndim == 2:
        return "binary" if out.shape[1] == 2 else "multiclass"
    return "binary" if classes is not None else "regression"


def _regression(truth: np.ndarray, out: np.ndarray) -> Outcomes:
    if out.ndim != 1:
        raise EvaluationError(
            f"A regression output is one value per row; got shape {out.shape}.", field="output"
        )
    try:
        values = truth.astype(np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(
            "A regression target must be numeric; y_true holds values such as "
            f"{truth[:3].tolist()}.",
            field="y_true",
        ) from None
    _require_finite(out, "output")
    return Outcomes("regression", values, out, np.array([]))


def _classification(task: str, truth: np.ndarray, out: np.ndarray, classes: Any) -> Outcomes:
    labels = np.unique(truth) if classes is None else np.asarray(classes)
    if out.ndim == 1:
        if task != "binary":
            raise EvaluationError(
                "A multiclass output must be a probability matrix (one column per class); "
                "got one value per row.",
                field="output",
            )
        out = np.column_stack([1.0 - out, out])
    _check_probabilities(out, labels)
    codes = _codes(truth, labels)
    if task == "binary" and labels.size != 2:
        raise EvaluationError(
            f"A binary task has two classes; got {labels.size}: {labels.tolist()[:10]}.",
            field="classes",
        )
    return Outcomes(task, codes, out, labels)


def _check_probabilities(out: np.ndarray, labels: np.ndarray) -> None:
    if out.ndim != 2 or out.shape[1] != labels.size:
        raise EvaluationError(
            f"The model output has shape {out.shape}; expected one probability column per "
            f"class ({labels.size}: {labels.tolist()[:10]}).",
            field="output",
        )
    _require_finite(out, "output")
    if (out < -_PROBA_TOLERANCE).any() or (out > 1 + _PROBA_TOLERANCE).any():
        raise EvaluationError(
            "Probabilities must lie in [0, 1]; the output holds values from "
            f"{out.min():.4g} to {out.max():.4g}.",
            field="output",
        )
    sums = out.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _PROBA_TOLERANCE)
    if bad.size:
        raise EvaluationError(
            f"Each row's probabilities must sum to 1; {bad.size} row(s) do not (row {bad[0]} "
            f"sums to {sums[bad[0]]:.6g}).",
            field="output",
        )


def _codes(truth: np.ndarray, labels: np.ndarray) -> np.ndarray:
    index = {label: code for code, label in enumerate(labels.tolist())}
    codes = np.fromiter(
        (index.get(v, -1) for v in truth.tolist()), dtype=np.int64, count=truth.size
    )
    unknown = codes < 0
    if unknown.any():
        seen = pd.Series(truth[unknown]).value_counts()
        examples = ", ".join(f"{v!r} ({n} rows)" for v, n in seen.head(5).items())
        raise EvaluationError(
            f"y_true holds labels the model does not know: {examples}. The model's classes "
            f"are {labels.tolist()[:10]}.",
            field="y_true",
        )
    return codes


def _require_finite(values: np.ndarray, field: str) -> None:
    if not np.isfinite(values).all():
        bad = np.flatnonzero(~np.isfinite(values).reshape(values.shape[0], -1).all(axis=1))
        raise EvaluationError(
            f"The {field} holds NaN or infinite values ({bad.size} rows, first at row {bad[0]}).",
            field=field,
        )
