"""Performance without labels: confidence-based performance estimation (CBPE).

When a classifier's probabilities are calibrated, a row scored p is a positive with
chance p, so the confusion matrix it will earn has an expected value before any label
arrives: accuracy is the mean probability of the predicted class, precision the mean p
over predicted positives, and ROC AUC is read off the expected ROC curve (true and false
positive rates from cumulative sums of p and 1 - p over the rows sorted by score, as
NannyML does; multiclass: macro one-vs-rest). The interval comes from drawing labels from
the probabilities ``n_draws`` times and computing each metric on every draw: it is where
the realised metric should land once labels arrive, if the probabilities are calibrated.
``CBPE.fit`` calibrates on labelled reference rows first (keel.evaluate.calibrate keeps
isotonic or Platt scaling only when it helps on held-out rows).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(2, 2, size=5_000)  # calibrated by construction
    >>> estimate = estimate_performance(p, seed=0)
    >>> y = (rng.uniform(size=p.size) < p).astype(int)
    >>> estimate.check(y)["roc_auc"]["within"]
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keel.errors import MonitoringError
from keel.monitoring._cbpe_metrics import (
    drawn_metrics,
    expected_metrics,
    percentile,
    realized_metrics,
)

__all__ = ["CBPE", "EstimatedMetric", "PerformanceEstimate", "estimate_performance"]

_BINARY = ("accuracy", "roc_auc", "precision", "recall", "f1")
_MULTICLASS = ("accuracy", "roc_auc")


@dataclass(frozen=True)
class EstimatedMetric:
    """One metric's expected value and the interval its realised value should fall in."""

    name: str
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class PerformanceEstimate:
    """Estimated metrics for one window of predictions, without labels.

    Attributes:
        task: "binary" or "multiclass".
        n: rows scored.
        metrics: one EstimatedMetric per metric, in order.
        confidence, n_draws, seed: how the intervals were drawn.
        calibrated: whether a calibrator fitted on reference labels mapped the scores.
    """

    task: str
    n: int
    metrics: tuple[EstimatedMetric, ...]
    confidence: float
    n_draws: int
    seed: int
    calibrated: bool
    proba: np.ndarray = field(repr=False, compare=False)

    def __getitem__(self, name: str) -> EstimatedMetric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"No estimated metric {name!r}; there are {[m.name for m in self.metrics]}.")

    def to_dict(self) -> dict[str, Any]:
        """Settings and one entry per metric, as plain JSON-able values."""
        return {
            "task": self.task,
            "n": self.n,
            "confidence": self.confidence,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "calibrated": self.calibrated,
            "metrics": {m.name: m.to_dict() for m in self.metrics},
        }

    def check(self, y_true: Any) -> dict[str, dict[str, Any]]:
        """Compare with the realised metrics once labels (class codes 0..k-1) arrive.

        Returns:
            name -> {"estimated", "realized", "low", "high", "within"}.
        """
        codes = _codes(y_true, self.n, self.proba.shape[1])
        realized = realized_metrics(self.proba, codes[None, :], [m.name for m in self.metrics])
        out = {}
        for metric in self.metrics:
            value = float(realized[metric.name][0])
            out[metric.name] = {
                "estimated": _plain(metric.value),
                "realized": _plain(value),
                "low": _plain(metric.low),
                "high": _plain(metric.high),
                "within": bool(metric.low <= value <= metric.high),
            }
        return out


class CBPE:
    """Confidence-based performance estimation, calibrated on labelled reference rows.

    Follows the scikit-learn estimator contract: ``__init__`` stores settings, ``fit``
    learns the calibrator (``calibration_``) and returns self.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> p = rng.uniform(size=4_000)
        >>> y = (rng.uniform(size=p.size) < p).astype(int)
        >>> cbpe = CBPE(seed=0).fit(p**2, y)  # the model's scores are miscalibrated
        >>> cbpe.calibration_.chosen, round(cbpe.estimate(p[:2_000] ** 2)["accuracy"].value, 2)
        ('sigmoid', 0.75)
    """

    def __init__(
        self,
        *,
        metrics: Sequence[str] | None = None,
        calibration: str = "auto",
        n_draws: int = 500,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.calibration = calibration
        self.n_draws = n_draws
        self.confidence = confidence
        self.seed = seed

    def fit(self, proba: Any, y: Any) -> CBPE:
        """Fit the calibrator on reference probabilities and their labels (codes 0..k-1)."""
        from keel.evaluate import calibrate, outcomes

        matrix = _matrix(proba)
        codes = _codes(y, matrix.shape[0], matrix.shape[1])
        task = "binary" if matrix.shape[1] == 2 else "multiclass"
        found = outcomes(codes, matrix, task=task, classes=list(range(matrix.shape[1])))
        self.calibration_ = calibrate(found, method=self.calibration, seed=self.seed)
        return self

    def estimate(self, proba: Any) -> PerformanceEstimate:
        """Estimated metrics of a window of probabilities, after the fitted calibration."""
        if not hasattr(self, "calibration_"):
            raise MonitoringError("Call CBPE.fit on labelled reference rows first.", field="fit")
        matrix = self.calibration_.apply(_matrix(proba))
        found = estimate_performance(
            matrix,
            metrics=self.metrics,
            n_draws=self.n_draws,
            confidence=self.confidence,
            seed=self.seed,
        )
        return _with_calibrated(found, self.calibration_.chosen != "none")


def estimate_performance(
    proba: Any,
    *,
    metrics: Sequence[str] | None = None,
    n_draws: int = 500,
    confidence: float = 0.95,
    seed: int = 0,
) -> PerformanceEstimate:
    """Expected metrics of calibrated probabilities, with intervals from drawn labels.

    Args:
        proba: shape (n_samples, n_classes), or a binary model's positive-class score
            per row (n_samples,).
        metrics: binary: accuracy, roc_auc, precision, recall, f1; multiclass: accuracy,
            roc_auc (macro one-vs-rest). All of the task's when None.
        n_draws: label draws for the interval, an integer >= 20.
        confidence: coverage of the interval, in (0, 1).
        seed: the draws.

    Raises:
        MonitoringError: an empty window, probabilities out of range, an unknown metric.
    """
    matrix = _matrix(proba)
    task = "binary" if matrix.shape[1] == 2 else "multiclass"
    names = _names(task, metrics)
    _check_draws(n_draws, confidence)
    expected = expected_metrics(matrix, names)
    drawn = drawn_metrics(matrix, names, n_draws, seed)
    tail = (1.0 - confidence) / 2.0
    found = tuple(
        EstimatedMetric(name, expected[name], *percentile(drawn[name], tail)) for name in names
    )
    return PerformanceEstimate(
        task, matrix.shape[0], found, confidence, n_draws, seed, False, matrix
    )


def _matrix(proba: Any) -> np.ndarray:
    array = np.asarray(proba, dtype=np.float64)
    matrix = np.column_stack([1.0 - array, array]) if array.ndim == 1 else array
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise MonitoringError(
            "CBPE takes probabilities of shape (n_samples, n_classes) or a binary model's "
            f"positive-class score per row; got shape {array.shape}.",
            field="proba",
        )
    if matrix.shape[0] == 0:
        raise MonitoringError(
            "The window holds no predictions; there is nothing to estimate performance on.",
            field="proba",
        )
    if not np.isfinite(matrix).all() or (matrix < -1e-6).any() or (matrix > 1 + 1e-6).any():
        raise MonitoringError(
            "CBPE needs probabilities in [0, 1]; the window holds values outside that range "
            "or missing ones. Log the model's probabilities, not its labels or margins.",
            field="proba",
        )
    return np.clip(matrix, 0.0, 1.0)


def _names(task: str, metrics: Sequence[str] | None) -> list[str]:
    valid = _BINARY if task == "binary" else _MULTICLASS
    chosen = list(valid if metrics is None else dict.fromkeys(metrics))
    unknown = [name for name in chosen if name not in valid]
    if unknown:
        raise MonitoringError(
            f"CBPE estimates {', '.join(valid)} for {task} models. Got {unknown} instead.",
            field="metrics",
        )
    return chosen


def _check_draws(n_draws: int, confidence: float) -> None:
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 20:
        raise MonitoringError(
            f"n_draws must be an integer >= 20. Got {n_draws!r} instead.", field="n_draws"
        )
    if not 0.0 < float(confidence) < 1.0:
        raise MonitoringError(
            f"confidence must lie strictly between 0 and 1 (e.g. 0.95). Got {confidence!r} "
            "instead.",
            field="confidence",
        )


def _codes(y: Any, n: int, k: int) -> np.ndarray:
    codes = np.asarray(y)
    whole = codes.dtype.kind in "iu" or (
        codes.dtype.kind in "fb" and bool(np.all(np.mod(codes, 1) == 0))
    )
    if codes.shape != (n,) or not whole:
        raise MonitoringError(
            f"Labels must be {n} class codes (integers 0..{k - 1}, in the probability "
            f"columns' order); got an array of shape {codes.shape} and dtype {codes.dtype}.",
            field="y",
        )
    codes = codes.astype(np.int64)
    if codes.min() < 0 or codes.max() >= k:
        raise MonitoringError(
            f"Labels must be class codes 0..{k - 1}; got values from {codes.min()} to "
            f"{codes.max()}.",
            field="y",
        )
    return codes


def _with_calibrated(found: PerformanceEstimate, calibrated: bool) -> PerformanceEstimate:
    from dataclasses import replace

    return replace(found, calibrated=calibrated)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
