"""Recalibrate a model's probabilities, but only when that helps on rows the calibrator never saw.

Each candidate (Platt scaling or isotonic regression) is cross-fitted on the held-out rows:
fitted on k-1 folds of (probability, label), it maps the left-out fold, and the pooled
out-of-fold probabilities are scored (log loss, Brier, ECE) against the uncalibrated ones.
A method is chosen only when its cross-fitted log loss beats the uncalibrated one by more
than twice the standard error of the per-row difference; otherwise ``chosen`` is "none".
Multiclass probabilities are calibrated one-vs-rest and renormalized, as scikit-learn's
``CalibratedClassifierCV`` does; binary ones on the positive class only.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=1000)
    >>> y = (rng.uniform(size=1000) < p).astype(int)
    >>> calibrate(outcomes(y, p**3, task="binary")).chosen != "none"
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import StratifiedKFold

from keel.errors import EvaluationError
from keel.evaluate._calibration import expected_calibration_error
from keel.evaluate._outcomes import Outcomes

__all__ = ["CalibrationResult", "calibrate"]

_METHODS = ("auto", "isotonic", "sigmoid")
_EPS = np.finfo(np.float64).eps
# A calibrator must beat the raw scores by this many standard errors of the per-row log-loss
# gain: with a well calibrated model, Platt scaling wins by noise alone about half the time.
_NOISE_SE = 2.0


@dataclass(frozen=True)
class CalibrationResult:
    """Which calibrator (if any) to use, and the cross-fitted evidence for it.

    Attributes:
        method: the method asked for ("auto", "isotonic" or "sigmoid").
        chosen: "none", "isotonic" or "sigmoid".
        before: log_loss, brier and ece of the uncalibrated probabilities.
        after: the same metrics, cross-fitted, for each method tried.
        folds, seed: how the rows were split.
        n_classes: probability columns ``apply`` expects.
        calibrators: the chosen method's calibrators fitted on all rows, one per calibrated
            column (the positive class for binary tasks); empty when ``chosen`` is "none".

    Example:
        >>> import numpy as np
        >>> from keel.evaluate._outcomes import outcomes
        >>> rng = np.random.default_rng(0)
        >>> p = rng.uniform(size=1000)
        >>> y = (rng.uniform(size=1000) < p).astype(int)  # p is calibrated: nothing to fix
        >>> result = calibrate(outcomes(y, p, task="binary"))
        >>> result.chosen, result.apply(np.array([[0.4, 0.6]])).tolist()
        ('none', [[0.4, 0.6]])
    """

    method: str
    chosen: str
    before: dict[str, float]
    after: dict[str, dict[str, float]]
    folds: int
    seed: int
    n_classes: int
    calibrators: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def apply(self, proba: Any) -> np.ndarray:
        """Map new probabilities, shape (n_samples, n_classes), through the chosen calibrator.

        A binary model's positive-class scores (one value per row) are accepted too and
        come back the same shape.
        """
        array = np.asarray(proba, dtype=np.float64)
        one_column = array.ndim == 1 and self.n_classes == 2
        matrix = np.column_stack([1.0 - array, array]) if one_column else array
        if matrix.ndim != 2 or matrix.shape[1] != self.n_classes:
            raise EvaluationError(
                f"apply() takes probabilities of shape (n_samples, {self.n_classes}); "
                f"got shape {array.shape}.",
                field="proba",
            )
        calibrated = _calibrated(self.calibrators, matrix) if self.calibrators else matrix
        return calibrated[:, 1] if one_column else calibrated

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields (the fitted calibrators are left out)."""
        return {
            "method": self.method,
            "chosen": self.chosen,
            "before": dict(self.before),
            "after": {name: dict(scores) for name, scores in self.after.items()},
            "folds": self.folds,
            "seed": self.seed,
        }


def calibrate(
    o: Outcomes, *, method: str = "auto", folds: int = 5, seed: int = 0
) -> CalibrationResult:
    """Cross-fit Platt and/or isotonic calibration on held-out outputs and keep the one that helps.

    Args:
        o: classification outcomes on rows the model was not trained on.
        method: "auto" (try both), "isotonic" or "sigmoid" (Platt scaling).
        folds: cross-fitting folds, an integer >= 2; each class needs at least this many rows.
        seed: shuffles the folds.

    Raises:
        EvaluationError: a regression task, an unknown method, bad ``folds``, a class with
            fewer rows than ``folds``.
    """
    _check(o, method, folds)
    tried = ("isotonic", "sigmoid") if method == "auto" else (method,)
    out_of_fold = {name: _cross_fitted(name, o, folds, seed) for name in tried}
    chosen = _choose(o, out_of_fold)
    calibrators = _fit_all(chosen, o.output, o.y) if chosen != "none" else ()
    return CalibrationResult(
        method=method,
        chosen=chosen,
        before=_scores(o, o.output),
        after={name: _scores(o, proba) for name, proba in out_of_fold.items()},
        folds=folds,
        seed=seed,
        n_classes=o.output.shape[1],
        calibrators=calibrators,
    )


def _cross_fitted(method: str, o: Outcomes, folds: int, seed: int) -> np.ndarray:
    proba = np.empty_like(o.output)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(o.output, o.y):
        proba[test] = _calibrated(_fit_all(method, o.output[train], o.y[train]), o.output[test])
    return proba


def _choose(o: Outcomes, out_of_fold: dict[str, np.ndarray]) -> str:
    """The method with the lowest cross-fitted log loss among those that beat the raw scores."""
    raw = _row_log_loss(o.y, o.output)
    best, best_loss = "none", float(raw.mean())
    for name, proba in out_of_fold.items():
        loss = _row_log_loss(o.y, proba)
        gain = raw - loss
        beats_noise = gain.mean() > _NOISE_SE * gain.std(ddof=1) / np.sqrt(gain.size)
        if beats_noise and loss.mean() < best_loss:
            best, best_loss = name, float(loss.mean())
    return best


def _fit_all(method: str, output: np.ndarray, y: np.ndarray) -> tuple[Any, ...]:
    columns = [1] if output.shape[1] == 2 else range(output.shape[1])
    return tuple(_fit_one(method, output[:, c], (y == c).astype(np.int64)) for c in columns)


def _fit_one(method: str, scores: np.ndarray, hits: np.ndarray) -> Any:
    if method == "isotonic":
        return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, hits)
    return LogisticRegression(C=np.inf).fit(_logit(scores), hits)


def _calibrated(calibrators: tuple[Any, ...], output: np.ndarray) -> np.ndarray:
    raw = np.column_stack([_predict_one(c, output, j) for j, c in enumerate(calibrators)])
    if output.shape[1] == 2:
        return np.column_stack([1.0 - raw[:, 0], raw[:, 0]])
    total = raw.sum(axis=1, keepdims=True)
    # As CalibratedClassifierCV: a row every calibrator maps to 0 becomes uniform.
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), 1.0 / raw.shape[1])


def _predict_one(calibrator: Any, output: np.ndarray, position: int) -> np.ndarray:
    scores = output[:, 1] if output.shape[1] == 2 else output[:, position]
    if isinstance(calibrator, IsotonicRegression):
        return np.clip(calibrator.predict(scores), 0.0, 1.0)
    return calibrator.predict_proba(_logit(scores))[:, 1]


def _logit(scores: np.ndarray) -> np.ndarray:
    clipped = np.clip(scores, _EPS, 1.0 - _EPS)
    return np.log(clipped / (1.0 - clipped)).reshape(-1, 1)


def _row_log_loss(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    return -np.log(np.clip(proba[np.arange(y.size), y], _EPS, 1.0))


def _scores(o: Outcomes, proba: np.ndarray) -> dict[str, float]:
    labels = list(range(proba.shape[1]))
    binary = proba.shape[1] == 2
    brier = (
        brier_score_loss(o.y, proba[:, 1])
        if binary
        else brier_score_loss(o.y, proba, labels=labels)
    )
    return {
        "log_loss": float(log_loss(o.y, proba, labels=labels)),
        "brier": float(brier),
        "ece": expected_calibration_error(Outcomes(o.task, o.y, proba, o.classes)),
    }


def _check(o: Outcomes, method: str, folds: int) -> None:
    if not o.is_classification:
        raise EvaluationError(
            "Calibration needs class probabilities; this task is regression.", field="task"
        )
    if method not in _METHODS:
        raise EvaluationError(
            f"The calibration method must be one of {', '.join(_METHODS)}. Got {method!r} instead.",
            field="method",
        )
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise EvaluationError(
            f"folds must be an integer >= 2. Got {folds!r} instead.", field="folds"
        )
    counts = np.bincount(o.y, minlength=o.output.shape[1])
    if counts.min() < folds:
        label = o.classes.tolist()[int(counts.argmin())]
        raise EvaluationError(
            f"Class {label!r} has {counts.min()} row(s); calibrating with {folds} folds needs at "
            "least that many rows of every class. Lower folds or evaluate on more rows.",
            field="folds",
        )
