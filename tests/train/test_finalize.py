"""The finalist stage keeps the budget even when the search's probes underestimate it."""

from __future__ import annotations

import time

import numpy as np

from keel.train._cv import make_folds
from keel.train._finalize import finalize
from keel.train._metrics import get_metric
from keel.train._objective import Evaluation, Problem
from keel.train._search import SearchResult
from keel.train._spec import TrainSpec


def _problem(rows: int = 4_000) -> Problem:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 8))
    y = X[:, 0] * 2 + rng.normal(size=rows)
    folds = make_folds("kfold", 5, y, task="regression", seed=0)
    return Problem(
        X, y, "regression", 0, get_metric("r2", "regression"), folds,
        folds[0].train, 0, 1, None, 20,
    )  # fmt: skip


def _claimed_fast(depth: int) -> Evaluation:
    """A probe that claims its fit took a microsecond: its CV estimate is far too low."""
    params = {"n_estimators": 60, "max_depth": depth, "min_samples_leaf": 1}
    return Evaluation("extra_trees", params, loss=0.1 * depth, seconds=1e-6, train_rows=3_200)


def test_finalists_stop_when_measured_cv_shows_the_estimates_are_too_low() -> None:
    problem = _problem()
    search = SearchResult(evaluations=[_claimed_fast(depth) for depth in range(1, 6)])
    spec = TrainSpec(ensemble="none")
    started = time.perf_counter()
    one_cv = _time_one_cv(problem, search)
    # Time for the first finalist's CV and its refit, not for all five.
    deadline = time.perf_counter() + 2.5 * one_cv
    fitted = finalize(problem, search, spec, deadline=deadline)
    assert 1 <= len(fitted.finalists) < 5
    assert time.perf_counter() <= deadline + one_cv, time.perf_counter() - started


def _time_one_cv(problem: Problem, search: SearchResult) -> float:
    started = time.perf_counter()
    solo = SearchResult(evaluations=search.evaluations[:1])
    finalize(problem, solo, TrainSpec(ensemble="none"), deadline=time.perf_counter() + 600)
    return time.perf_counter() - started
