"""Cross-validation folds that cannot leak: by class, by group, by time, repeated.

Every fold list passes `check_folds` before it is returned: no row on both sides, no group
on both sides of a group fold, and no training row at or after a validation row's time.

Example:
    >>> y = np.array([0, 1] * 5)
    >>> folds = make_folds("auto", 5, y, task="binary")
    >>> [len(f.valid) for f in folds]
    [2, 2, 2, 2, 2]
    >>> times = np.array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    >>> [(f.train.tolist(), f.valid.tolist()) for f in make_folds("time", 2, y, task="binary",
    ...                                                          times=times)]
    [([0, 1, 2, 3], [4, 5, 6, 7]), ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])]
    >>> out_of_fold([(f, np.full(len(f.valid), 1.0)) for f in folds], 10, 1)[:3]
    array([1., 1., 1.])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from keel.errors import TrainError
from keel.train._cv_fold import Fold, setting_error
from keel.train._cv_time import latest_rows, time_folds

__all__ = ["Fold", "check_folds", "holdout_split", "make_folds", "oof_mask", "out_of_fold"]


class _Splitter(Protocol):
    def split(
        self, X: np.ndarray, y: np.ndarray | None = None, groups: np.ndarray | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...


STRATEGIES = ("auto", "kfold", "stratified", "group", "time", "repeated")


def make_folds(
    strategy: str,
    n_splits: int,
    y: np.ndarray,
    *,
    task: str,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
    repeats: int = 1,
    seed: int = 0,
) -> list[Fold]:
    """The folds of ``strategy`` over the rows of ``y`` (label codes for classification).

    "auto" picks group folds when ``groups`` are given, else time folds when ``times`` are,
    else stratified folds for classification and k-fold for regression. ``repeats`` > 1
    reshuffles kfold, stratified, group and repeated folds that many times; time folds
    cannot be repeated.

    Raises:
        TrainError: a setting is impossible for this data (``field`` names it).
    """
    y = np.asarray(y)
    n_rows = len(y)
    strategy = _resolve(strategy, task, groups, times)
    _check_counts(n_splits, repeats, n_rows, strategy)
    if strategy == "group":
        folds = _group_folds(n_splits, y, task, _need(groups, "groups", n_rows), repeats, seed)
    elif strategy == "time":
        folds = time_folds(n_splits, _need(times, "times", n_rows))
    else:
        classify = task != "regression" and strategy != "kfold"
        if classify:
            _check_classes(y, n_splits, "train.cv.folds")
        splitter = _splitter(classify, n_splits, repeats, seed)
        folds = _collect(splitter.split(np.zeros((n_rows, 1)), y), n_splits)
    check_folds(
        folds,
        n_rows,
        groups=groups if strategy == "group" else None,
        times=times if strategy == "time" else None,
    )
    return folds


def check_folds(
    folds: Sequence[Fold],
    n_rows: int,
    *,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> None:
    """Raises TrainError when a fold leaks or is empty; returns None when all are sound."""
    for fold in folds:
        problem = _leak(fold, n_rows, groups, times)
        if problem is not None:
            raise TrainError(
                f"Fold {fold.index} (repeat {fold.repeat}) {problem}.", field="train.cv"
            )


def holdout_split(
    n_rows: int,
    y: np.ndarray,
    *,
    task: str,
    test_size: float = 0.2,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and test row positions: by group when ``groups`` are given, else the
    latest ``test_size`` of rows when ``times`` are, else stratified for classification.

    Grouped classification holds out one fold of a shuffled StratifiedGroupKFold with
    round(1 / test_size) folds, so every class reaches the test set at about the asked share.
    """
    if not 0.0 < test_size < 1.0:
        raise setting_error("holdout", "a share in (0, 1)", test_size, section="train")
    if times is not None and groups is None:
        train, test = latest_rows(_need(times, "times", n_rows), test_size)
        check_folds([Fold(train, test)], n_rows, times=times)
        return train, test
    y = np.asarray(y)
    if groups is not None:
        groups = _need(groups, "groups", n_rows)
    elif task != "regression":
        _check_classes(y, 2, "train.holdout")
    splitter = _holdout_splitter(task != "regression", groups is not None, test_size, seed)
    try:
        train, test = next(splitter.split(np.zeros((n_rows, 1)), y, groups))
    except ValueError as error:
        raise TrainError(
            f"Cannot hold out {test_size:.0%} of {n_rows} rows: {error}", field="train.holdout"
        ) from None
    check_folds([Fold(train, test)], n_rows, groups=groups)
    return np.sort(train), np.sort(test)


def out_of_fold(
    predictions: Sequence[tuple[Fold, np.ndarray]], n_rows: int, n_outputs: int
) -> np.ndarray:
    """Each row's prediction from the fold that validated it, averaged over repeats.

    Returns an array of shape (n_rows,) when ``n_outputs`` is 1, else (n_rows, n_outputs);
    rows no fold validated (the first block of time folds) are NaN, see `oof_mask`.
    """
    shape = (n_rows,) if n_outputs == 1 else (n_rows, n_outputs)
    total = np.zeros(shape)
    seen = np.zeros(n_rows)
    for fold, predicted in predictions:
        predicted = np.asarray(predicted, dtype=float).reshape((len(fold.valid), *shape[1:]))
        total[fold.valid] += predicted
        seen[fold.valid] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / (seen if n_outputs == 1 else seen[:, None])


def oof_mask(folds: Iterable[Fold], n_rows: int) -> np.ndarray:
    """A boolean array of shape (n_rows,): True where some fold validated the row."""
    mask = np.zeros(n_rows, dtype=bool)
    for fold in folds:
        mask[fold.valid] = True
    return mask


def _resolve(strategy: str, task: str, groups: object, times: object) -> str:
    if strategy not in STRATEGIES:
        raise setting_error("strategy", f"one of {STRATEGIES}", strategy)
    if strategy != "auto":
        return strategy
    if groups is not None:
        return "group"
    if times is not None:
        return "time"
    return "kfold" if task == "regression" else "stratified"


def _check_counts(n_splits: int, repeats: int, n_rows: int, strategy: str) -> None:
    if not (isinstance(n_splits, (int, np.integer)) and 2 <= n_splits <= n_rows):
        raise setting_error(
            "folds", f"an integer >= 2 and <= the number of rows ({n_rows})", n_splits
        )
    if not (
        isinstance(repeats, (int, np.integer))
        and 1 <= repeats <= (1 if strategy == "time" else np.inf)
    ):
        raise setting_error("repeats", "an integer >= 1 (exactly 1 for time folds)", repeats)


def _need(values: np.ndarray | None, name: str, n_rows: int) -> np.ndarray:
    cause = {"groups": "set data.entity", "times": "set data.timestamp"}[name]
    if values is None or len(values) != n_rows or pd.isna(values).any():
        got = "none" if values is None else f"{len(values)} with {pd.isna(values).sum()} missing"
        raise TrainError(
            f"The chosen train.cv strategy needs {n_rows} {name}, one per row and none "
            f"missing ({cause}). Got {got} instead.",
            field="train.cv.strategy",
        )
    return np.asarray(values)


def _check_classes(y: np.ndarray, needed: int, field: str) -> None:
    classes, counts = np.unique(y, return_counts=True)
    rarest = int(np.argmin(counts))
    if counts[rarest] < needed:
        hint = "lower it" if field == "train.cv.folds" else "drop that class"
        raise TrainError(
            f"Class {classes[rarest].item()!r} has only {counts[rarest]} row(s), fewer than "
            f"the {needed} that {field} needs to stratify: {hint} or gather more rows of it.",
            field=field,
        )


def _leak(
    fold: Fold, n_rows: int, groups: np.ndarray | None, times: np.ndarray | None
) -> str | None:
    if any(len(s) == 0 or s.min() < 0 or s.max() >= n_rows for s in (fold.train, fold.valid)):
        return f"has an empty side or a row outside 0..{n_rows - 1}"
    if np.intersect1d(fold.train, fold.valid).size:
        return "has rows in both train and valid"
    if (
        groups is not None
        and (shared := np.intersect1d(groups[fold.train], groups[fold.valid])).size
    ):
        return f"has group {shared.tolist()[0]!r} on both sides"
    if times is not None and times[fold.train].max() >= times[fold.valid].min():
        return "trains on a row no earlier than one it validates on"
    return None


def _splitter(classify: bool, n_splits: int, repeats: int, seed: int) -> _Splitter:
    if repeats > 1:
        repeated = RepeatedStratifiedKFold if classify else RepeatedKFold
        return repeated(n_splits=n_splits, n_repeats=repeats, random_state=seed)
    single = StratifiedKFold if classify else KFold
    return single(n_splits, shuffle=True, random_state=seed)


def _holdout_splitter(classify: bool, grouped: bool, test_size: float, seed: int) -> _Splitter:
    if grouped and classify:  # one fold of a stratified group split: every class is held out
        return StratifiedGroupKFold(max(2, round(1 / test_size)), shuffle=True, random_state=seed)
    if grouped:
        return GroupShuffleSplit(1, test_size=test_size, random_state=seed)
    if classify:
        return StratifiedShuffleSplit(1, test_size=test_size, random_state=seed)
    return ShuffleSplit(1, test_size=test_size, random_state=seed)


def _collect(splits: Iterable[tuple[np.ndarray, np.ndarray]], n_splits: int) -> list[Fold]:
    return [
        Fold(np.sort(train), np.sort(valid), i // n_splits, i % n_splits)
        for i, (train, valid) in enumerate(splits)
    ]


def _group_folds(
    n_splits: int, y: np.ndarray, task: str, groups: np.ndarray, repeats: int, seed: int
) -> list[Fold]:
    n_groups = len(np.unique(groups))
    if n_groups < n_splits:
        raise setting_error("folds", f"<= the number of groups ({n_groups})", n_splits)
    splitter = StratifiedGroupKFold if task != "regression" else GroupKFold
    folds = []
    for repeat in range(repeats):
        cv = splitter(n_splits, shuffle=True, random_state=seed + repeat)
        for fold in _collect(cv.split(np.zeros((len(y), 1)), y, groups), n_splits):
            folds.append(Fold(fold.train, fold.valid, repeat, fold.index))
    return folds
