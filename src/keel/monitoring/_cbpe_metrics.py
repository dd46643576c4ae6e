"""The arithmetic of CBPE: expected metrics from probabilities, and the same metrics
computed on labels drawn from them (or on real labels), many draws at a time.

Every realised metric is vectorised over draws: labels are a matrix of shape
(n_draws, n_samples), ROC AUC is the Mann-Whitney rank sum (one ``rankdata`` of the scores,
then a matrix product with the positive masks). Measured here (CPU, every binary metric,
500 draws): 0.5 s on 100,000 rows and 5.7 s on 1,000,000, where one scikit-learn
``roc_auc_score`` call on 1,000,000 rows takes 0.29 s (about 140 s for 500 draws).

Example:
    >>> import numpy as np
    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> expected_metrics(p, ["accuracy"])
    {'accuracy': 0.7666666666666667}
    >>> realized_metrics(p, np.array([[0, 1, 1]]), ["accuracy", "roc_auc"])["roc_auc"].tolist()
    [1.0]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["drawn_metrics", "expected_metrics", "percentile", "realized_metrics"]

# Draws are made in chunks of about this many values, so memory stays near 64 MB.
_CHUNK_VALUES = 8_000_000


def expected_metrics(proba: np.ndarray, names: list[str]) -> dict[str, float]:
    predicted = np.argmax(proba, axis=1)
    chosen = proba[np.arange(proba.shape[0]), predicted]
    out = {"accuracy": float(chosen.mean())}
    if "roc_auc" in names:
        columns = [1] if proba.shape[1] == 2 else range(proba.shape[1])
        out["roc_auc"] = float(np.mean([_expected_auc(proba[:, c]) for c in columns]))
    if proba.shape[1] == 2:
        p, flagged = proba[:, 1], predicted == 1
        true_pos, false_pos = p[flagged].sum(), (1.0 - p[flagged]).sum()
        false_neg = p[~flagged].sum()
        out["precision"] = _ratio(true_pos, true_pos + false_pos)
        out["recall"] = _ratio(true_pos, true_pos + false_neg)
        out["f1"] = _ratio(2 * true_pos, 2 * true_pos + false_pos + false_neg)
    return {name: out[name] for name in names}


def _expected_auc(p: np.ndarray) -> float:
    """Area under the expected ROC curve: each row is p of a positive and 1 - p of a
    negative; rows level in score share their pairs half and half (trapezoids)."""
    ordered = np.sort(p)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    positive = np.add.reduceat(ordered, starts)
    negative = np.add.reduceat(1.0 - ordered, starts)
    below = np.cumsum(negative) - negative
    pairs = positive.sum() * negative.sum()
    return _ratio(float(np.sum(positive * (below + negative / 2))), float(pairs))


def drawn_metrics(
    proba: np.ndarray, names: list[str], n_draws: int, seed: int
) -> dict[str, np.ndarray]:
    """Each metric on ``n_draws`` label sets drawn from ``proba``, shape (n_draws,) each."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(proba, axis=1)[:, :-1].astype(np.float32)
    ranks = _ranks(proba) if "roc_auc" in names else []
    size = max(1, min(n_draws, _CHUNK_VALUES // proba.shape[0]))
    parts = []
    for start in range(0, n_draws, size):
        # float32 uniforms: half the memory traffic of float64, and a probability's
        # resolution of 6e-8 is far below what a draw can tell apart.
        u = rng.random((min(size, n_draws - start), proba.shape[0]), dtype=np.float32)
        labels = np.zeros(u.shape, dtype=np.int16)
        for column in range(cumulative.shape[1]):
            labels += u >= cumulative[:, column]
        parts.append(realized_metrics(proba, labels, names, ranks))
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def realized_metrics(
    proba: np.ndarray, labels: np.ndarray, names: list[str], ranks: list[np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Each metric for each row of ``labels`` (shape (n_draws, n_samples), class codes);
    ``ranks`` are the scores' average ranks per one-vs-rest class, computed once by the
    caller when it scores many label sets (one ``rankdata`` of 1,000,000 rows costs 0.15 s)."""
    predicted = np.argmax(proba, axis=1)
    out = {"accuracy": (labels == predicted).mean(axis=1)}
    if "roc_auc" in names:
        columns = [1] if proba.shape[1] == 2 else list(range(proba.shape[1]))
        ranked = ranks or _ranks(proba)
        per_class = [_rank_auc(r, labels == c) for r, c in zip(ranked, columns, strict=True)]
        out["roc_auc"] = np.mean(per_class, axis=0)
    if proba.shape[1] == 2:
        hits, flagged = labels == 1, predicted == 1
        true_pos = (hits & flagged).sum(axis=1).astype(np.float64)
        false_pos = flagged.sum() - true_pos
        false_neg = hits.sum(axis=1) - true_pos
        out["precision"] = _ratios(true_pos, true_pos + false_pos)
        out["recall"] = _ratios(true_pos, true_pos + false_neg)
        out["f1"] = _ratios(2 * true_pos, 2 * true_pos + false_pos + false_neg)
    return {name: out[name] for name in names}


def _ranks(proba: np.ndarray) -> list[np.ndarray]:
    """Average ranks (ties share, as scikit-learn's AUC) of each one-vs-rest score column."""
    from scipy.stats import rankdata

    columns = [1] if proba.shape[1] == 2 else range(proba.shape[1])
    return [rankdata(proba[:, c]) for c in columns]


def _rank_auc(ranks: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC per row of the boolean ``positive`` (average ranks: ties half)."""
    n_pos = positive.sum(axis=1).astype(np.float64)
    n_neg = positive.shape[1] - n_pos
    rank_sum = positive.astype(np.float64) @ ranks
    return _ratios(rank_sum - n_pos * (n_pos + 1) / 2, n_pos * n_neg)


def percentile(values: np.ndarray, tail: float) -> tuple[float, float]:
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else math.nan


def _ratios(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)
