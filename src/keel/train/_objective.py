"""Scoring one configuration of one algorithm: on one fold (a probe, the cheap fidelity
every trial gets) or on every fold (the finalists), with early stopping and pruning.

A probe trains on fold 0's training rows — subsampled on large data — and early-stops on
fold 0's validation rows. Only configurations that look good in probes pay for a full
cross-validation, which keeps the search from starving on large data sets.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keel.train._catalog import MAX_ROUNDS, Algorithm, sample_weight
from keel.train._checkpoint import Checkpoints, FitCheckpoint, checkpoint_key
from keel.train._cv import Fold, out_of_fold
from keel.train._metrics import Metric

__all__ = ["Evaluation", "Problem", "evaluate_cv", "evaluate_probe", "refit"]

# A boosting refit saves a checkpoint at most every this many rounds.
_MIN_CHECKPOINT_ROUNDS = 50


@dataclass(frozen=True)
class Problem:
    """Everything a trial needs, shared read-only by every worker."""

    X: np.ndarray
    y: np.ndarray
    task: str
    n_classes: int
    metric: Metric
    folds: list[Fold]
    probe_rows: np.ndarray  # the training rows of the probe: fold 0's, maybe subsampled
    seed: int
    n_jobs: int
    class_weight: str | None
    early_stopping_rounds: int

    @property
    def probe_fold(self) -> Fold:
        return self.folds[0]


@dataclass
class Evaluation:
    """The outcome of scoring one configuration."""

    family: str
    params: dict[str, Any]
    loss: float
    seconds: float
    rounds: int | None = None
    fold_losses: list[float] = field(default_factory=list)
    #: Out-of-fold predictions over every row (full CV), or fold 0's validation rows (probe).
    predictions: np.ndarray | None = None
    secondary: float | None = None
    full_cv: bool = False
    #: The probe's fitted model (kept for the best probe of each family only): the final
    #: model when the budget leaves no time to refit.
    model: Any = None
    #: Rows the model was trained on (per fold for full CV).
    train_rows: int = 0


def evaluate_probe(
    problem: Problem,
    algorithm: Algorithm,
    params: dict[str, Any],
    *,
    on_round: Callable[[int, float], None] | None = None,
    secondary: str | None = None,
) -> Evaluation:
    """Fit on the probe rows, early-stop and score on fold 0's validation rows."""
    started = time.perf_counter()
    model, predictions = _fit_fold(
        problem, algorithm, params, problem.probe_rows, problem.probe_fold.valid, on_round
    )
    loss = problem.metric.loss(problem.y[problem.probe_fold.valid], predictions)
    rounds = algorithm.best_rounds(model)
    extra = _secondary(secondary, algorithm, model, problem)
    seconds = time.perf_counter() - started
    return Evaluation(
        algorithm.name,
        dict(params),
        loss,
        seconds,
        rounds,
        [loss],
        predictions,
        extra,
        model=model,
        train_rows=len(problem.probe_rows),
    )


def evaluate_cv(
    problem: Problem, algorithm: Algorithm, params: dict[str, Any], max_rounds: int | None = None
) -> Evaluation:
    """Fit on every fold's training rows; out-of-fold predictions and the mean fold loss.

    ``max_rounds`` caps boosting (the probe's rounds: its time slice may have cut them)."""
    started = time.perf_counter()
    per_fold, losses, rounds = [], [], []
    for fold in problem.folds:
        model, predictions = _fit_fold(
            problem, algorithm, params, fold.train, fold.valid, None, max_rounds
        )
        per_fold.append((fold, predictions))
        losses.append(problem.metric.loss(problem.y[fold.valid], predictions))
        best = algorithm.best_rounds(model)
        if best is not None:
            rounds.append(best)
    width = problem.n_classes if problem.task != "regression" else 1
    oof = out_of_fold(per_fold, len(problem.y), width)
    seconds = time.perf_counter() - started
    mean_rounds = int(np.mean(rounds)) if rounds else None
    return Evaluation(
        algorithm.name,
        dict(params),
        float(np.mean(losses)),
        seconds,
        mean_rounds,
        losses,
        oof,
        full_cv=True,
        train_rows=int(np.mean([f.train.size for f in problem.folds])),
    )


def refit(
    problem: Problem,
    algorithm: Algorithm,
    params: dict[str, Any],
    rounds: int | None,
    checkpoints: Checkpoints | None = None,
) -> Any:
    """The configuration fitted on every row; boosting runs the rounds CV chose, scaled up a
    little for the larger training set (as LightGBM's and XGBoost's CV guides suggest).

    With ``checkpoints``, a boosting refit saves its model every tenth of its rounds (at
    least 50) and an interrupted one resumes from the newest save."""
    estimator = algorithm.build(
        params, problem.task, problem.n_classes, problem.seed, problem.n_jobs, problem.class_weight
    )
    max_rounds = None if rounds is None else max(1, round(rounds * 1.1))
    options: dict[str, Any] = {}
    if checkpoints is not None and algorithm.checkpoints:
        key = checkpoint_key(algorithm.name, params, max_rounds, problem.X, problem.y)
        every = max(_MIN_CHECKPOINT_ROUNDS, (max_rounds or MAX_ROUNDS) // 10)
        options["checkpoint"] = FitCheckpoint(checkpoints, key, every)
    weights = sample_weight(problem.y, problem.class_weight)
    return algorithm.fit(
        estimator,
        problem.X,
        problem.y,
        sample_weight=weights,
        max_rounds=max_rounds,
        early_stopping_rounds=None,
        **options,
    )


def _fit_fold(
    problem: Problem,
    algorithm: Algorithm,
    params: dict[str, Any],
    train: np.ndarray,
    valid: np.ndarray,
    on_round: Callable[[int, float], None] | None,
    max_rounds: int | None = None,
) -> tuple[Any, np.ndarray]:
    estimator = algorithm.build(
        params, problem.task, problem.n_classes, problem.seed, problem.n_jobs, problem.class_weight
    )
    y_train = problem.y[train]
    model = algorithm.fit(
        estimator,
        problem.X[train],
        y_train,
        X_valid=problem.X[valid],
        y_valid=problem.y[valid],
        sample_weight=sample_weight(y_train, problem.class_weight),
        max_rounds=max_rounds or MAX_ROUNDS,
        on_round=on_round,
        early_stopping_rounds=problem.early_stopping_rounds,
    )
    return model, algorithm.predict(model, problem.X[valid], problem.task)


def _secondary(
    kind: str | None, algorithm: Algorithm, model: Any, problem: Problem
) -> float | None:
    if kind == "size":
        return float(len(pickle.dumps(model)))
    if kind == "latency":
        row = problem.X[:1]
        timings = []
        for _ in range(15):
            started = time.perf_counter_ns()
            algorithm.predict(model, row, problem.task)
            timings.append(time.perf_counter_ns() - started)
        return float(np.median(timings)) / 1000.0  # microseconds per single-row prediction
    return None
