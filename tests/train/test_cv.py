"""Folds per strategy, the leakage checks, the holdout split and out-of-fold assembly."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import keel.train._cv
from keel.errors import TrainError
from keel.train._cv import Fold, check_folds, holdout_split, make_folds, oof_mask, out_of_fold

RNG = np.random.default_rng(0)
Y_BINARY = RNG.permutation(np.array([0] * 30 + [1] * 10))
Y_MULTI = RNG.permutation(np.repeat([0, 1, 2], [20, 12, 8]))
Y_REG = RNG.normal(size=40)
GROUPS = np.repeat(np.arange(10), 4)
TIMES = np.repeat(np.arange(8), 5)  # five rows per timestamp: ties everywhere


def _validated_once(folds: list[Fold], n_rows: int) -> None:
    counts = np.zeros(n_rows, dtype=int)
    for fold in folds:
        assert np.intersect1d(fold.train, fold.valid).size == 0
        assert len(fold.train) + len(fold.valid) == n_rows
        counts[fold.valid] += 1
    assert (counts == 1).all()


@pytest.mark.parametrize(
    ("strategy", "y", "task"),
    [
        ("kfold", Y_REG, "regression"),
        ("auto", Y_REG, "regression"),
        ("stratified", Y_BINARY, "binary"),
        ("auto", Y_MULTI, "multiclass"),
    ],
)
def test_every_row_is_validated_exactly_once(strategy: str, y: np.ndarray, task: str) -> None:
    folds = make_folds(strategy, 4, y, task=task, seed=3)
    assert [(f.repeat, f.index) for f in folds] == [(0, i) for i in range(4)]
    _validated_once(folds, len(y))


def test_stratified_folds_keep_the_class_shares() -> None:
    for fold in make_folds("stratified", 4, Y_MULTI, task="multiclass"):
        assert np.bincount(Y_MULTI[fold.valid]).tolist() == [5, 3, 2]


@pytest.mark.parametrize(("y", "task"), [(Y_BINARY, "binary"), (Y_REG, "regression")])
def test_group_folds_never_split_a_group(y: np.ndarray, task: str) -> None:
    folds = make_folds("auto", 5, y, task=task, groups=GROUPS, seed=1)
    _validated_once(folds, len(y))
    for fold in folds:
        assert not set(GROUPS[fold.train]) & set(GROUPS[fold.valid])


def test_time_folds_train_only_on_the_past_and_keep_ties_together() -> None:
    folds = make_folds("auto", 3, Y_REG, task="regression", times=TIMES)
    assert len(folds) == 3
    ends = []
    for fold in folds:
        assert TIMES[fold.train].max() < TIMES[fold.valid].min()
        assert set(TIMES[fold.train]) | set(TIMES[fold.valid]) == set(TIMES[: fold.valid.max() + 1])
        ends.append(fold.valid.max())
    assert ends == sorted(ends) and ends[-1] == len(TIMES) - 1
    blocks = np.concatenate([f.valid for f in folds])
    assert len(blocks) == len(np.unique(blocks))  # consecutive blocks, each row once


def test_time_folds_follow_timestamps_not_row_order() -> None:
    times = RNG.permutation(np.repeat(np.arange(6), 3)).astype("datetime64[D]")
    for fold in make_folds("time", 2, np.zeros(18), task="regression", times=times):
        assert times[fold.train].max() < times[fold.valid].min()


def test_time_folds_survive_one_huge_tied_block() -> None:
    times = np.array([0] * 30 + [1, 2, 3])
    folds = make_folds("time", 3, np.zeros(33), task="regression", times=times)
    assert [set(times[f.valid].tolist()) for f in folds] == [{1}, {2}, {3}]


def test_repeats_reshuffle_and_each_repeat_covers_every_row() -> None:
    folds = make_folds("repeated", 4, Y_BINARY, task="binary", repeats=3, seed=0)
    assert [(f.repeat, f.index) for f in folds] == [(r, i) for r in range(3) for i in range(4)]
    for repeat in range(3):
        _validated_once([f for f in folds if f.repeat == repeat], len(Y_BINARY))
    assert not np.array_equal(folds[0].valid, folds[4].valid)
    grouped = make_folds("group", 5, Y_REG, task="regression", groups=GROUPS, repeats=2)
    assert len(grouped) == 10 and grouped[-1].repeat == 1


def test_same_seed_same_folds_and_another_seed_other_folds() -> None:
    def valids(seed: int) -> list[list[int]]:
        return [
            f.valid.tolist() for f in make_folds("kfold", 4, Y_REG, task="regression", seed=seed)
        ]

    assert valids(7) == valids(7)
    assert valids(7) != valids(8)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"n_splits": 1}, "train.cv.folds", "Got 1 instead"),
        ({"n_splits": 41}, "train.cv.folds", "number of rows (40)"),
        ({"strategy": "stratified", "n_splits": 9}, "train.cv.folds", "Class 2 has only 8 row(s)"),
        ({"strategy": "group"}, "train.cv.strategy", "data.entity"),
        ({"strategy": "time"}, "train.cv.strategy", "data.timestamp"),
        ({"groups": GROUPS[:5] * 0}, "train.cv.strategy", "Got 5"),
        ({"groups": GROUPS % 3}, "train.cv.folds", "number of groups (3)"),
        ({"times": TIMES // 4, "n_splits": 2}, "train.cv.folds", "distinct timestamps (2)"),
        ({"times": TIMES, "repeats": 2}, "train.cv.repeats", "exactly 1 for time folds"),
        ({"strategy": "random"}, "train.cv.strategy", "'random'"),
    ],
)
def test_impossible_settings_name_the_field(kwargs: dict, field: str, words: str) -> None:
    settings = {"strategy": "auto", "n_splits": 4, **kwargs}
    with pytest.raises(TrainError) as caught:
        make_folds(
            settings.pop("strategy"),
            settings.pop("n_splits"),
            Y_MULTI,
            task="multiclass",
            **settings,
        )
    assert caught.value.field == field
    assert words in str(caught.value)


def test_check_folds_catches_each_kind_of_leak() -> None:
    rows = np.arange(6)
    cases = [
        (Fold(rows[:4], rows[3:]), {}, "both train and valid"),
        (Fold(rows[:6], rows[:0]), {}, "empty side"),
        (Fold(rows[:3], rows[3:]), {"groups": np.array([0, 0, 1, 1, 2, 2])}, "group 1"),
        (Fold(rows[:3], rows[3:]), {"times": np.array([0, 1, 2, 2, 3, 4])}, "no earlier"),
    ]
    for fold, context, words in cases:
        with pytest.raises(TrainError, match=words):
            check_folds([fold], 6, **context)
    check_folds([Fold(rows[:3], rows[3:])], 6, times=np.arange(6))


def test_holdout_is_stratified_grouped_or_latest() -> None:
    train, test = holdout_split(40, Y_BINARY, task="binary", seed=0)
    assert len(test) == 8 and np.bincount(Y_BINARY[test]).tolist() == [6, 2]
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(40))
    train, test = holdout_split(40, Y_BINARY, task="binary", groups=GROUPS)
    assert not set(GROUPS[train]) & set(GROUPS[test]) and set(Y_BINARY[test]) == {0, 1}
    train, test = holdout_split(40, Y_REG, task="regression", groups=GROUPS, test_size=0.3)
    assert not set(GROUPS[train]) & set(GROUPS[test])
    train, test = holdout_split(40, Y_REG, task="regression", times=TIMES[::-1], test_size=0.25)
    assert TIMES[::-1][test].min() > TIMES[::-1][train].max() and len(test) == 10


def test_holdout_refuses_impossible_settings() -> None:
    with pytest.raises(TrainError) as caught:
        holdout_split(40, Y_REG, task="regression", test_size=1.5)
    assert caught.value.field == "train.holdout"
    with pytest.raises(TrainError, match="Class 1 has only 1 row\\(s\\)"):
        holdout_split(5, np.array([0, 0, 0, 0, 1]), task="binary")
    with pytest.raises(TrainError, match="two distinct timestamps"):
        holdout_split(4, np.zeros(4), task="regression", times=np.zeros(4))


def test_out_of_fold_averages_repeats_and_marks_uncovered_rows() -> None:
    folds = make_folds("repeated", 2, Y_REG, task="regression", repeats=2)
    oof = out_of_fold([(f, np.full(len(f.valid), f.repeat * 2.0)) for f in folds], 40, 1)
    assert oof.shape == (40,) and np.allclose(oof, 1.0)
    time_folds = make_folds("time", 3, Y_REG, task="regression", times=TIMES)
    proba = [(f, np.tile([0.25, 0.75], (len(f.valid), 1))) for f in time_folds]
    oof = out_of_fold(proba, 40, 2)
    mask = oof_mask(time_folds, 40)
    assert oof.shape == (40, 2) and np.isnan(oof[~mask]).all() and not mask.all()
    assert np.allclose(oof[mask], [0.25, 0.75])


def test_docstring_examples_run() -> None:
    assert doctest.testmod(keel.train._cv).failed == 0
