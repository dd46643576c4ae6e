"""Turn probabilities into decisions: a threshold for a precision or recall target, or costs.

A binary row is predicted positive when its positive-class probability is >= the threshold
(scikit-learn's convention in ``precision_recall_curve`` and ``roc_curve``). Costs are a
matrix indexed ``[true class, predicted class]``; for binary tasks a mapping with
``false_positive`` and ``false_negative`` (and optionally ``true_positive`` and
``true_negative``) says the same. Multiclass decisions take, per row, the class with the
lowest expected cost under the model's probabilities.

Example:
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], task="binary")
    >>> choose_threshold(scored, target_recall=1.0).threshold
    0.4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_curve, precision_recall_fscore_support, roc_curve

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes
from keel.evaluate._thresholds_costs import cost_matrix

__all__ = ["ThresholdChoice", "choose_threshold"]


@dataclass(frozen=True)
class ThresholdChoice:
    """A decision rule and how it does on the rows it was chosen on.

    Attributes:
        threshold: the positive-class probability at or above which a row is positive
            (just above the highest score when predicting nothing positive is cheapest);
            NaN for a multiclass cost rule.
        precision, recall, f1: of the decisions on these rows (macro averages for multiclass).
        expected_cost: mean cost per row of the decisions; NaN when no costs were given.
        rule: the rule in words.
        cost_matrix: the costs ``[true, predicted]`` when a cost rule was asked for.

    Example:
        >>> import numpy as np
        >>> from keel.evaluate._outcomes import outcomes
        >>> scored = outcomes([0, 1, 1], [0.2, 0.3, 0.8], task="binary")
        >>> choice = choose_threshold(scored, costs={"false_positive": 1, "false_negative": 5})
        >>> choice.threshold, choice.decide(np.array([[0.9, 0.1], [0.6, 0.4]])).tolist()
        (0.3, [0, 1])
    """

    threshold: float
    precision: float
    recall: float
    f1: float
    expected_cost: float
    rule: str
    cost_matrix: tuple[tuple[float, ...], ...] | None = None

    def decide(self, proba: Any) -> np.ndarray:
        """Class codes for probabilities of shape (n_samples, n_classes) under this rule."""
        matrix = np.asarray(proba, dtype=np.float64)
        if np.isnan(self.threshold) and self.cost_matrix is not None:
            return np.argmin(matrix @ np.asarray(self.cost_matrix), axis=1)
        return (matrix[:, 1] >= self.threshold).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields; NaN becomes None."""
        numbers = (self.threshold, self.precision, self.recall, self.f1, self.expected_cost)
        names = ("threshold", "precision", "recall", "f1", "expected_cost")
        record: dict[str, Any] = {
            n: None if np.isnan(v) else float(v) for n, v in zip(names, numbers, strict=True)
        }
        record["rule"] = self.rule
        record["cost_matrix"] = (
            None if self.cost_matrix is None else [list(r) for r in self.cost_matrix]
        )
        return record


def choose_threshold(
    o: Outcomes,
    *,
    target_precision: float | None = None,
    target_recall: float | None = None,
    costs: Any = None,
) -> ThresholdChoice:
    """Pick a decision rule from exactly one of a precision target, a recall target or costs.

    Args:
        o: classification outcomes (binary; multiclass with ``costs`` only).
        target_precision: the highest-recall threshold whose precision is >= this, in (0, 1].
        target_recall: the highest threshold whose recall is >= this, in (0, 1].
        costs: binary ``{"false_positive": c, "false_negative": c, ...}`` or a k x k matrix
            ``[true][predicted]`` of non-negative costs; the rule minimizing total cost on
            these rows.

    Raises:
        EvaluationError: not exactly one of the three, a target outside (0, 1] or out of
            reach, bad costs, a regression task, one class only among the labels.
    """
    asked = {
        name: value
        for name, value in (
            ("target_precision", target_precision),
            ("target_recall", target_recall),
            ("costs", costs),
        )
        if value is not None
    }
    if len(asked) != 1:
        raise EvaluationError(
            "choose_threshold takes exactly one of target_precision, target_recall or costs. "
            f"Got {', '.join(asked) or 'none'}.",
            field="target",
        )
    ((name, value),) = asked.items()
    _check_task(o, name == "costs")
    if name == "costs":
        return _by_costs(o, cost_matrix(o, value))
    target = _checked_target(name, value)
    return _by_precision(o, target) if name == "target_precision" else _by_recall(o, target)


def _by_precision(o: Outcomes, target: float) -> ThresholdChoice:
    precision, recall, thresholds = precision_recall_curve(o.y, o.positive_scores)
    # The curve's last point (precision 1, recall 0) has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    reaching = np.flatnonzero(precision >= target)
    if reaching.size == 0:
        best = int(np.argmax(precision))
        raise EvaluationError(
            f"No threshold reaches precision {target:g} on these rows; the best reachable is "
            f"{precision[best]:.4g} (threshold {thresholds[best]:.4g}). Lower target_precision.",
            field="target_precision",
        )
    best = reaching[np.lexsort((precision[reaching], recall[reaching]))[-1]]
    return _binary_choice(
        o, float(thresholds[best]), f"highest recall with precision >= {target:g}"
    )


def _by_recall(o: Outcomes, target: float) -> ThresholdChoice:
    _, recall, thresholds = precision_recall_curve(o.y, o.positive_scores)
    reaching = np.flatnonzero(recall[:-1] >= target)
    # Recall at the lowest threshold is 1, so every target in (0, 1] is reachable.
    best = float(thresholds[reaching].max())
    return _binary_choice(o, best, f"highest threshold with recall >= {target:g}")


def _by_costs(o: Outcomes, costs: np.ndarray) -> ThresholdChoice:
    if o.task != "binary":
        decisions = np.argmin(o.output @ costs, axis=1)
        rule = (
            f"lowest expected cost per row under the {costs.shape[0]}x{costs.shape[0]} cost matrix"
        )
        return _choice(o, decisions, float("nan"), rule, costs)
    fpr, tpr, thresholds = roc_curve(o.y, o.positive_scores, drop_intermediate=False)
    positives, negatives = int(o.y.sum()), int(o.n - o.y.sum())
    tp, fp = np.rint(tpr * positives), np.rint(fpr * negatives)
    total = (
        costs[0, 0] * (negatives - fp)
        + costs[0, 1] * fp
        + costs[1, 0] * (positives - tp)
        + costs[1, 1] * tp
    )
    best = int(np.argmin(total))
    # roc_curve's first threshold is +inf (nothing positive); keep the choice finite.
    threshold = (
        float(thresholds[best]) if best else float(np.nextafter(o.positive_scores.max(), np.inf))
    )
    decisions = (o.positive_scores >= threshold).astype(np.int64)
    return _choice(o, decisions, threshold, _cost_rule(costs), costs)


def _cost_rule(costs: np.ndarray) -> str:
    """The binary cost rule in words, with the threshold calibrated scores would call for."""
    wrong_positive, wrong_negative = costs[0, 1] - costs[0, 0], costs[1, 0] - costs[1, 1]
    rule = (
        f"lowest total cost on these rows (false_positive {costs[0, 1]:g}, "
        f"false_negative {costs[1, 0]:g}"
    )
    if wrong_positive + wrong_negative > 0:
        bayes = wrong_positive / (wrong_positive + wrong_negative)
        rule += f"; Bayes-optimal threshold for calibrated scores {bayes:.4g}"
    return rule + ")"


def _binary_choice(o: Outcomes, threshold: float, rule: str) -> ThresholdChoice:
    return _choice(o, (o.positive_scores >= threshold).astype(np.int64), threshold, rule, None)


def _choice(
    o: Outcomes, decisions: np.ndarray, threshold: float, rule: str, costs: np.ndarray | None
) -> ThresholdChoice:
    average = "binary" if o.task == "binary" else "macro"
    labels = list(range(o.output.shape[1]))
    precision, recall, f1, _ = precision_recall_fscore_support(
        o.y,
        decisions,
        average=average,
        labels=None if average == "binary" else labels,
        zero_division=0,
    )
    cost = float("nan") if costs is None else float(costs[o.y, decisions].mean())
    matrix = None if costs is None else tuple(tuple(float(v) for v in row) for row in costs)
    return ThresholdChoice(
        threshold, float(precision), float(recall), float(f1), cost, rule, matrix
    )


def _checked_target(name: str, value: Any) -> float:
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not number or not 0 < value <= 1:
        raise EvaluationError(
            f"{name} must be a number in (0, 1]. Got {value!r} instead.", field=name
        )
    return float(value)


def _check_task(o: Outcomes, by_costs: bool) -> None:
    if o.task == "regression":
        raise EvaluationError(
            "Thresholds turn class probabilities into decisions; this task is regression.",
            field="task",
        )
    if o.task == "multiclass" and not by_costs:
        raise EvaluationError(
            "Precision and recall targets need a binary task; for a multiclass task pass "
            "costs as a k x k matrix [true][predicted].",
            field="target",
        )
    if o.task == "binary" and np.unique(o.y).size < 2:
        raise EvaluationError(
            f"Choosing a threshold needs rows of both classes; every label here is "
            f"{o.classes.tolist()[int(o.y[0])]!r}.",
            field="y_true",
        )
