"""Reduce a group disparity on request, with fairlearn, and say what it cost in accuracy.

Two methods. ``threshold_optimizer`` post-processes the fitted model: fairlearn's
``ThresholdOptimizer`` picks per-group thresholds on its positive-class probability, so the
model itself is untouched. ``exponentiated_gradient`` retrains: fairlearn's
``ExponentiatedGradient`` fits a randomized mixture of ``estimator`` copies under the
constraint. It needs an estimator that takes ``sample_weight``, which keel's AutoML does
not, so for a keel AutoML model it trains ``estimator`` (default: a logistic regression)
on the model's fitted feature pipeline, ``model.features_.transform(X)``; for a plain
scikit-learn model it trains on ``X`` as given.

Both sets of predictions are randomized between thresholds or mixture members; the
predictor draws them with ``seed`` so the same seed gives the same labels. Binary
classification only.

Example:
    >>> sorted(CONSTRAINTS)
    ['demographic_parity', 'equalized_odds', 'true_positive_rate_parity']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._fairness import fairness
from keel.evaluate._fairness_input import sensitive_frame
from keel.evaluate._mitigation_fit import CONSTRAINTS, METHODS, MitigatedPredictor, fit_mitigator
from keel.evaluate._outcomes import outcomes, outcomes_of

__all__ = ["CONSTRAINTS", "METHODS", "MitigatedPredictor", "MitigationResult", "mitigate"]


@dataclass(frozen=True)
class MitigationResult:
    """Accuracy and fairness before and after mitigation, on the same evaluation rows.

    Attributes:
        method, constraint: what was applied.
        accuracy_before, accuracy_after: share of correct decisions; before is the model's
            own ``predict``.
        accuracy_cost: ``accuracy_before - accuracy_after`` (negative when mitigation helped).
        fairness_before, fairness_after: ``FairnessReport.metrics()`` of the decisions.
        evaluated_on: "test rows", or "training rows" when no test rows were given (then
            the numbers are optimistic: the mitigator saw those rows).
        predictor: ``predictor.predict(X, sensitive_features=...)`` gives mitigated labels.
    """

    method: str
    constraint: str
    accuracy_before: float
    accuracy_after: float
    accuracy_cost: float
    fairness_before: dict[str, float]
    fairness_after: dict[str, float]
    evaluated_on: str
    predictor: MitigatedPredictor = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (the predictor is left out); NaN becomes None."""
        return {
            "method": self.method,
            "constraint": self.constraint,
            "accuracy_before": self.accuracy_before,
            "accuracy_after": self.accuracy_after,
            "accuracy_cost": self.accuracy_cost,
            "fairness_before": _plain(self.fairness_before),
            "fairness_after": _plain(self.fairness_after),
            "evaluated_on": self.evaluated_on,
        }


def mitigate(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    sensitive: Any,
    *,
    method: str = "threshold_optimizer",
    constraint: str = "demographic_parity",
    X_test: pd.DataFrame | None = None,
    y_test: Any = None,
    sensitive_test: Any = None,
    estimator: Any = None,
    seed: int = 0,
    min_group_size: int = 30,
) -> MitigationResult:
    """Fit a fairness mitigator for a fitted binary classifier and compare before and after.

    Args:
        model: a fitted keel AutoML or scikit-learn classifier (``predict_proba``,
            ``classes_``).
        X, y, sensitive: rows to fit the mitigator on (held-out rows, not the model's
            training rows, for threshold_optimizer), their labels and sensitive columns.
        method: "threshold_optimizer" or "exponentiated_gradient".
        constraint: "demographic_parity", "equalized_odds" or "true_positive_rate_parity".
        X_test, y_test, sensitive_test: rows to evaluate on; all three or none (then the
            fitting rows are used, and ``evaluated_on`` says so).
        estimator: what exponentiated_gradient trains (default: logistic regression).
        seed: draws the randomized predictions and seeds the default estimator.
        min_group_size: passed to ``fairness`` for the before/after metrics.

    Raises:
        EvaluationError: an unknown method or constraint, a model that is not a fitted
            binary classifier, lengths that differ, test rows given only in part.
    """
    _check_names(method, constraint)
    classes = _binary_classes(model)
    fitted = outcomes_of(model, X, y)
    train_sensitive = sensitive_frame(sensitive, fitted.n)
    predictor = fit_mitigator(
        model, method, constraint, X, fitted.y, train_sensitive, classes, estimator, seed
    )
    X_eval, y_eval, s_eval, where = _evaluation_rows(
        X, y, sensitive, X_test, y_test, sensitive_test
    )
    truth = outcomes_of(model, X_eval, y_eval).y
    s_frame = sensitive_frame(s_eval, truth.size)
    before = (np.asarray(model.predict(X_eval)) == classes[1]).astype(np.int64)
    after = predictor.predict_codes(X_eval, sensitive_features=s_frame)
    accuracy_before, accuracy_after = (
        float(np.mean(before == truth)),
        float(np.mean(after == truth)),
    )
    return MitigationResult(
        method=method,
        constraint=constraint,
        accuracy_before=accuracy_before,
        accuracy_after=accuracy_after,
        accuracy_cost=accuracy_before - accuracy_after,
        fairness_before=_disparities(truth, before, s_frame, min_group_size),
        fairness_after=_disparities(truth, after, s_frame, min_group_size),
        evaluated_on=where,
        predictor=predictor,
    )


def _disparities(
    truth: np.ndarray, decided: np.ndarray, sensitive: pd.DataFrame, min_group_size: int
) -> dict[str, float]:
    # Hard decisions as one-hot probabilities: fairness() at 0.5 then judges exactly them.
    one_hot = np.column_stack([1 - decided, decided]).astype(np.float64)
    scored = outcomes(truth, one_hot, task="binary", classes=[0, 1])
    return fairness(scored, sensitive, min_group_size=min_group_size).metrics()


def _evaluation_rows(
    X: Any, y: Any, sensitive: Any, X_test: Any, y_test: Any, sensitive_test: Any
) -> tuple[Any, Any, Any, str]:
    given = [value is not None for value in (X_test, y_test, sensitive_test)]
    if all(given):
        return X_test, y_test, sensitive_test, "test rows"
    if any(given):
        raise EvaluationError(
            "Pass all of X_test, y_test and sensitive_test, or none of them (then the "
            "mitigation is judged on the rows it was fitted on).",
            field="X_test",
        )
    return X, y, sensitive, "training rows"


def _binary_classes(model: Any) -> np.ndarray:
    task = getattr(model, "task_", None)
    classes = getattr(model, "classes_", None)
    if task not in (None, "binary") or classes is None or len(classes) != 2:
        found = task or (f"{len(classes)} classes" if classes is not None else "no classes_")
        raise EvaluationError(
            f"Mitigation works on fitted binary classifiers; this model is {found}. Fit the "
            "model first, on a two-class target.",
            field="model",
        )
    return np.asarray(classes)


def _check_names(method: str, constraint: str) -> None:
    if method not in METHODS:
        raise EvaluationError(
            f"The mitigation method must be one of {', '.join(METHODS)}. Got {method!r} instead.",
            field="method",
        )
    if constraint not in CONSTRAINTS:
        raise EvaluationError(
            f"The constraint must be one of {', '.join(CONSTRAINTS)}. Got {constraint!r} instead.",
            field="constraint",
        )


def _plain(metrics: dict[str, float]) -> dict[str, float | None]:
    return {name: None if np.isnan(value) else float(value) for name, value in metrics.items()}
