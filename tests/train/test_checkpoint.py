"""Boosting refits save checkpoints and an interrupted one resumes from the newest."""

from __future__ import annotations

import numpy as np
import pytest

from keel.train._catalog import get_algorithm
from keel.train._checkpoint import Checkpoints, MemoryCheckpoints, checkpoint_key
from keel.train._cv import make_folds
from keel.train._metrics import get_metric
from keel.train._objective import Problem, refit


class _Interrupted(Exception):
    pass


class _DiesAfter(MemoryCheckpoints):
    """Keeps checkpoints, then 'kills the process' once ``rounds`` are saved."""

    def __init__(self, rounds: int):
        super().__init__()
        self.rounds, self.saved_rounds = rounds, []

    def save(self, key: str, data: bytes) -> None:
        super().save(key, data)
        done = int(data.split(b"\n", 1)[0])
        self.saved_rounds.append(done)
        if done >= self.rounds:
            raise _Interrupted


def _problem(task: str = "binary") -> Problem:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + rng.normal(scale=0.5, size=400) > 0).astype(np.int64)
    folds = make_folds("stratified", 3, y, task=task, seed=0)
    return Problem(
        X, y, task, 2, get_metric("roc_auc", task), folds, folds[0].train, 0, 1, None, 50
    )


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_an_interrupted_refit_resumes_from_its_newest_checkpoint(family: str) -> None:
    problem, algorithm = _problem(), get_algorithm(family)
    params = algorithm.defaults(400, "binary")
    store = _DiesAfter(rounds=100)
    with pytest.raises(_Interrupted):
        refit(problem, algorithm, params, rounds=200, checkpoints=store)  # 220 rounds wanted
    assert store.saved_rounds == [50, 100]
    resumed_saves: list[int] = []

    class _Watching(MemoryCheckpoints):
        def save(self, key: str, data: bytes) -> None:
            super().save(key, data)
            resumed_saves.append(int(data.split(b"\n", 1)[0]))

    again = _Watching()
    again._saved = dict(store._saved)
    model = refit(problem, algorithm, params, rounds=200, checkpoints=again)
    assert resumed_saves == [150, 200]  # it did not start again from round one
    trees = algorithm.best_rounds(model)
    assert trees == 220
    proba = algorithm.predict(model, problem.X, "binary")
    assert proba.shape == (400, 2) and np.isfinite(proba).all()


def test_other_families_and_no_store_fit_as_before() -> None:
    problem = _problem()
    store = MemoryCheckpoints()
    logistic = get_algorithm("logistic")
    refit(problem, logistic, logistic.defaults(400, "binary"), None, checkpoints=store)
    assert store._saved == {}
    lightgbm = get_algorithm("lightgbm")
    plain = refit(problem, lightgbm, lightgbm.defaults(400, "binary"), 40)
    assert lightgbm.best_rounds(plain) == 44


def test_keys_differ_by_params_rounds_and_data() -> None:
    X, y = np.ones((10, 2)), np.arange(10)
    base = checkpoint_key("lightgbm", {"a": 1}, 100, X, y)
    assert base == checkpoint_key("lightgbm", {"a": 1}, 100, X.copy(), y.copy())
    assert base != checkpoint_key("lightgbm", {"a": 2}, 100, X, y)
    assert base != checkpoint_key("lightgbm", {"a": 1}, 101, X, y)
    assert base != checkpoint_key("lightgbm", {"a": 1}, 100, X * 2, y)
    assert issubclass(MemoryCheckpoints, Checkpoints)
