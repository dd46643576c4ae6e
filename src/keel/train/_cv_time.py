"""Folds and holdouts by time: every cut falls on a change of timestamp, so rows that share
a timestamp are never split between training and validation."""

from __future__ import annotations

import numpy as np

from keel.errors import TrainError
from keel.train._cv_fold import Fold, setting_error

__all__ = ["latest_rows", "time_folds"]


def time_folds(n_splits: int, times: np.ndarray) -> list[Fold]:
    # By hand: TimeSeriesSplit cuts by row count, so rows sharing a timestamp could straddle
    # train and valid; here every cut is moved onto a change of timestamp.
    order = np.argsort(times, kind="stable")
    starts = _run_starts(times[order])
    if len(starts) < n_splits:
        raise setting_error(
            "folds", f"< the number of distinct timestamps ({len(starts) + 1})", n_splits
        )
    ideal = np.arange(1, n_splits + 1) * len(times) / (n_splits + 1)
    picks = np.searchsorted(starts, ideal)
    for k in range(n_splits):  # keep the cuts distinct and leave room for the later ones
        low = picks[k - 1] + 1 if k else 0
        picks[k] = min(max(picks[k], low), len(starts) - n_splits + k)
    cuts = [*starts[picks], len(times)]
    return [
        Fold(np.sort(order[: cuts[k]]), np.sort(order[cuts[k] : cuts[k + 1]]), 0, k)
        for k in range(n_splits)
    ]


def _run_starts(sorted_times: np.ndarray) -> np.ndarray:
    """Positions (> 0) in sorted order where a new timestamp begins."""
    return np.flatnonzero(sorted_times[1:] != sorted_times[:-1]) + 1


def latest_rows(times: np.ndarray, test_size: float) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(times, kind="stable")
    starts = _run_starts(times[order])
    if len(starts) == 0:
        raise TrainError(
            "A time holdout needs at least two distinct timestamps; all rows share one.",
            field="train.holdout",
        )
    ideal = len(times) * (1.0 - test_size)
    cut = starts[np.argmin(np.abs(starts - ideal))]
    return np.sort(order[:cut]), np.sort(order[cut:])
