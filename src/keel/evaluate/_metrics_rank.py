"""ROC AUC and average precision under resample counts, from one sort of the scores.

scikit-learn sorts the scores on every call; a bootstrap of 1,000 resamples would sort
1,000 times. Here positives and negatives are each sorted once, and each positive learns
once how many negatives score below it (and below or level with it). A resample then
needs only running sums of its counts, a few passes over the count matrix. Measured on
50,000 rows and 1,000 resamples of every binary metric: 1.5 s of CPU, where summing the
counts of tied scores into groups per resample first took 5.5 s.
Ties follow scikit-learn: a positive level with a negative earns half a pair (AUC), and
there is one threshold per distinct score (average precision).

Example:
    >>> ranked = rank_scores(np.array([0.1, 0.4, 0.4, 0.8]), np.array([0, 0, 1, 1]))
    >>> {name: v.tolist() for name, v in ranking_metrics(np.ones((1, 4)), ranked).items()}
    {'roc_auc': [0.875], 'pr_auc': [0.8333333333333333]}
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

__all__ = ["RankedScores", "rank_scores", "ranking_metrics"]


@dataclass(frozen=True)
class RankedScores:
    """Where each positive stands among the negatives, found with one sort.

    Attributes:
        positives: row positions of the positives, by ascending score (n_positives,).
        negatives: row positions of the negatives, by ascending score (n_negatives,).
        below: per positive, the number of negatives scoring strictly lower.
        level_or_below: per positive, the negatives scoring lower or equal; None when no
            positive ties a negative (then it equals ``below``).
        first_level: per positive, the index of the first positive with the same score.
    """

    positives: np.ndarray
    negatives: np.ndarray
    below: np.ndarray
    level_or_below: np.ndarray | None
    first_level: np.ndarray


def rank_scores(scores: np.ndarray, positive: np.ndarray) -> RankedScores:
    """Sort positives and negatives by score once; ``positive`` is a 0/1 or bool mask."""
    is_positive = np.asarray(positive, dtype=bool)
    positives, negatives = np.flatnonzero(is_positive), np.flatnonzero(~is_positive)
    positives = positives[np.argsort(scores[positives], kind="stable")]
    negatives = negatives[np.argsort(scores[negatives], kind="stable")]
    positive_scores, negative_scores = scores[positives], scores[negatives]
    below = np.searchsorted(negative_scores, positive_scores, side="left")
    level_or_below = np.searchsorted(negative_scores, positive_scores, side="right")
    tied = not np.array_equal(below, level_or_below)
    first_level = np.searchsorted(positive_scores, positive_scores, side="left")
    return RankedScores(positives, negatives, below, level_or_below if tied else None, first_level)


def ranking_metrics(
    counts: np.ndarray, ranked: RankedScores, names: Collection[str] = ("roc_auc", "pr_auc")
) -> dict[str, np.ndarray]:
    """ROC AUC ("roc_auc") and average precision ("pr_auc") per resample, those in ``names``.

    Args:
        counts: resample counts of shape (n_resamples, n_samples).

    Returns:
        name -> array of shape (n_resamples,). AUC is NaN where a resample lacks a class;
        average precision is NaN where it has no positive.
    """
    positive_counts = np.take(counts, ranked.positives, axis=1)
    negatives_before = _running_total(np.take(counts, ranked.negatives, axis=1))
    below = np.take(negatives_before, ranked.below, axis=1)
    values = {}
    if "roc_auc" in names:
        values["roc_auc"] = _roc_auc(positive_counts, below, negatives_before, ranked)
    if "pr_auc" in names:
        n_negative = negatives_before[:, -1]
        values["pr_auc"] = _average_precision(positive_counts, below, n_negative, ranked)
    return values


def _roc_auc(
    positive_counts: np.ndarray,
    below: np.ndarray,
    negatives_before: np.ndarray,
    ranked: RankedScores,
) -> np.ndarray:
    """The Mann-Whitney share of (positive, negative) pairs in order, a tie counting half:
    the trapezoidal area scikit-learn computes."""
    pairs = positive_counts.sum(axis=1) * negatives_before[:, -1]
    if ranked.level_or_below is None:
        return _divide(np.einsum("ij,ij->i", positive_counts, below), pairs)
    level_or_below = np.take(negatives_before, ranked.level_or_below, axis=1)
    ordered = np.einsum("ij,ij->i", positive_counts, below + level_or_below) / 2
    return _divide(ordered, pairs)


def _average_precision(
    positive_counts: np.ndarray, below: np.ndarray, n_negative: np.ndarray, ranked: RankedScores
) -> np.ndarray:
    """scikit-learn's sum over thresholds of (R_t - R_{t-1}) P_t: each positive adds its
    share of recall at the precision of the threshold at its score."""
    positives_before = _running_total(positive_counts)
    n_positive = positives_before[:, -1]
    # At the threshold of a positive's score: positives and negatives scoring at least it.
    true_pos = n_positive[:, None] - np.take(positives_before, ranked.first_level, axis=1)
    flagged = true_pos + (n_negative[:, None] - below)
    precision = np.divide(true_pos, flagged, out=np.zeros_like(true_pos), where=flagged > 0)
    return _divide(np.einsum("ij,ij->i", positive_counts, precision), n_positive)


def _running_total(counts: np.ndarray) -> np.ndarray:
    """Column j holds the sum of the first j columns of ``counts`` (so column 0 is 0)."""
    total = np.zeros((counts.shape[0], counts.shape[1] + 1))
    np.cumsum(counts, axis=1, out=total[:, 1:])
    return total


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)
