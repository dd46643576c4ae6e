"""Every metric as a function of resample counts, so one matrix product scores many resamples.

``scorer(o, names)`` prepares per-row values once (correct or not, one-hot labels, per-row
losses, sorted scores) and returns a function of a count matrix ``W`` of shape
(n_resamples, n_samples) giving each metric per resample. With ``W`` all ones it is the
plain metric and equals scikit-learn's; with integer counts ``c`` it equals scikit-learn's
on ``np.repeat(rows, c)`` (both are tested to 1e-9).

Why not call scikit-learn per resample: measured on 50,000 rows and 1,000 resamples (CPU
seconds, one core), all 16 binary metrics take 1.5 s here, the 13 multiclass metrics with
5 classes 3.6 s and the 7 regression metrics 0.9 s; a loop calling scikit-learn on each
resample takes 0.2-0.4 s per classification resample (200-400 s in all) and 10 s for
regression.

Example:
    >>> from keel.evaluate._outcomes import outcomes
    >>> o = outcomes([0, 1, 1], np.array([0.2, 0.7, 0.4]), task="binary")
    >>> scorer(o, ["accuracy", "roc_auc"])(np.ones((1, 3)))
    {'accuracy': array([0.66666667]), 'roc_auc': array([1.])}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from keel.evaluate._metrics_rank import RankedScores, rank_scores, ranking_metrics
from keel.evaluate._outcomes import Outcomes

__all__ = ["GREATER_IS_BETTER", "TASK_METRICS", "Scorer", "scorer"]

Scorer = Callable[[np.ndarray], dict[str, np.ndarray]]

_AVERAGED = ("precision_micro", "precision_macro", "recall_micro", "recall_macro")
_MULTICLASS = (
    "accuracy",
    "balanced_accuracy",
    *_AVERAGED,
    "f1_micro",
    "f1_macro",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
    "mcc",
)
_REGRESSION = ("rmse", "mae", "mape", "r2", "pinball_q10", "pinball_q50", "pinball_q90")
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "balanced_accuracy", "precision", "recall", "f1", *_MULTICLASS[2:]),
    "multiclass": _MULTICLASS,
    "regression": _REGRESSION,
}
_LOSSES = {"log_loss", "brier", "rmse", "mae", "mape", "pinball_q10", "pinball_q50", "pinball_q90"}
GREATER_IS_BETTER = {name: name not in _LOSSES for names in TASK_METRICS.values() for name in names}
_RANKED = {"roc_auc", "pr_auc"}
_QUANTILES = {"pinball_q10": 0.1, "pinball_q50": 0.5, "pinball_q90": 0.9}


def scorer(o: Outcomes, names: Sequence[str]) -> Scorer:
    """The function from counts (n_resamples, n_samples) to each named metric per resample.

    ``names`` must already be valid for ``o.task``; undefined values (ROC AUC with one
    class) come back as NaN.
    """
    if o.task == "regression":
        columns = _regression_columns(o)
        return lambda counts: _pick(_regression_metrics(counts @ columns, counts), names)
    columns = _class_columns(o)
    ranked = _ranked(o) if _RANKED.intersection(names) else ()
    k = o.output.shape[1]

    def score(counts: np.ndarray) -> dict[str, np.ndarray]:
        values = _class_metrics(counts @ columns, counts.sum(axis=1), k)
        if ranked:
            values.update(_ranked_metrics(counts, ranked, _RANKED.intersection(names)))
        return _pick(values, names)

    return score


def _pick(values: dict[str, np.ndarray], names: Sequence[str]) -> dict[str, np.ndarray]:
    return {name: values[name] for name in names}


def _class_columns(o: Outcomes) -> np.ndarray:
    """Per row: one-hot truth, one-hot prediction, one-hot hit, log loss, Brier loss."""
    n, k = o.output.shape
    truth = np.eye(k)[o.y]
    guess = np.eye(k)[o.predicted]
    # scikit-learn clips probabilities to [eps, 1 - eps] before the log; so do we.
    eps = np.finfo(np.float64).eps
    log_loss = -np.log(np.clip(o.output[np.arange(n), o.y], eps, 1 - eps))
    error = (truth - o.output) ** 2
    # scikit-learn's binary Brier score is on the positive column only (half the row sum).
    brier = error[:, 1] if o.task == "binary" else error.sum(axis=1)
    return np.column_stack([truth, guess, truth * guess, log_loss, brier])


def _class_metrics(sums: np.ndarray, total: np.ndarray, k: int) -> dict[str, np.ndarray]:
    truth, guess, hits = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k : 3 * k]
    # scikit-learn averages over the labels seen in y_true or y_pred and scores an
    # ill-defined ratio (no prediction, no true row) as 0: zero_division="warn".
    seen = (truth + guess) > 0
    precision = _ratio(hits, guess)
    recall = _ratio(hits, truth)
    f1 = _ratio(2 * hits, truth + guess)
    accuracy = hits.sum(axis=1) / total
    values = {
        "accuracy": accuracy,
        "balanced_accuracy": _mean_over(recall, truth > 0),
        "precision_micro": accuracy,
        "recall_micro": accuracy,
        "f1_micro": accuracy,
        "precision_macro": _mean_over(precision, seen),
        "recall_macro": _mean_over(recall, seen),
        "f1_macro": _mean_over(f1, seen),
        "log_loss": sums[:, 3 * k] / total,
        "brier": sums[:, 3 * k + 1] / total,
        "mcc": _mcc(truth, guess, hits.sum(axis=1), total),
    }
    if k == 2:
        values.update(precision=precision[:, 1], recall=recall[:, 1], f1=f1[:, 1])
    return values


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.zeros_like(numerator)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _mean_over(values: np.ndarray, included: np.ndarray) -> np.ndarray:
    return (values * included).sum(axis=1) / included.sum(axis=1)


def _mcc(truth: np.ndarray, guess: np.ndarray, hits: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Gorodkin's multiclass MCC from the confusion margins, as scikit-learn computes it."""
    covariance = hits * total - (truth * guess).sum(axis=1)
    spread_guess = total**2 - (guess * guess).sum(axis=1)
    spread_truth = total**2 - (truth * truth).sum(axis=1)
    denominator = np.sqrt(spread_guess * spread_truth)
    # scikit-learn returns 0 when either side is constant.
    return _ratio(covariance, denominator)


def _ranked(o: Outcomes) -> tuple[RankedScores, ...]:
    """Sorted scores per one-vs-rest class (only the positive class when binary)."""
    classes = [1] if o.task == "binary" else range(o.output.shape[1])
    return tuple(rank_scores(o.output[:, c], o.y == c) for c in classes)


def _ranked_metrics(
    counts: np.ndarray, ranked: tuple[RankedScores, ...], names: set[str]
) -> dict[str, np.ndarray]:
    """ROC AUC and average precision, macro-averaged one-vs-rest when multiclass.

    A resample missing a class leaves that class's curve undefined, and so the average.
    """
    per_class = [ranking_metrics(counts, ranking, names) for ranking in ranked]
    return {name: np.mean([v[name] for v in per_class], axis=0) for name in names}


def _regression_columns(o: Outcomes) -> np.ndarray:
    """Per row: squared, absolute, absolute-percentage and quantile errors; centred y, y**2."""
    residual = o.y - o.output
    # Centring makes the total sum of squares (sum y**2 - (sum y)**2 / n) lose no digits
    # when y sits far from zero; R2 does not change under a shift of y.
    centred = o.y - o.y.mean()
    eps = np.finfo(np.float64).eps
    pinball = [np.maximum(q * residual, (q - 1) * residual) for q in _QUANTILES.values()]
    return np.column_stack(
        [
            residual**2,
            np.abs(residual),
            np.abs(residual) / np.maximum(np.abs(o.y), eps),
            centred,
            centred**2,
            *pinball,
        ]
    )


def _regression_metrics(sums: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    total = counts.sum(axis=1)
    means = sums / total[:, None]
    values = {
        "rmse": np.sqrt(means[:, 0]),
        "mae": means[:, 1],
        "mape": means[:, 2],
        "r2": _r2(sums[:, 0], sums[:, 4] - sums[:, 3] ** 2 / total, sums[:, 4]),
    }
    values.update({name: means[:, 5 + i] for i, name in enumerate(_QUANTILES)})
    return values


def _r2(residual_ss: np.ndarray, total_ss: np.ndarray, raw_ss: np.ndarray) -> np.ndarray:
    # A resample whose targets are all equal has total_ss 0 up to rounding; scikit-learn
    # then returns 1.0 for a perfect fit and 0.0 otherwise (force_finite=True).
    constant = total_ss <= 1e-12 * raw_ss
    safe = np.where(constant, 1.0, total_ss)
    return np.where(constant, np.where(residual_ss == 0, 1.0, 0.0), 1.0 - residual_ss / safe)
