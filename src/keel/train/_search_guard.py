"""What runs beside a trial: the round guard boosting fits call (time slices, pruning, in
this process or in a Ray task), the grid of a grid-sampled family, and the evaluation
function executors call."""

from __future__ import annotations

import math
import time
from typing import Any

import optuna

from keel.train._catalog import Algorithm
from keel.train._catalog_common import StopFitting
from keel.train._objective import Evaluation, Problem, evaluate_probe

__all__ = ["RoundGuard", "evaluate_trial", "grid_points"]


def grid_points(dist: Any) -> list[Any]:
    """Three points of a numeric range (geometric when log), every choice of a categorical."""
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        return list(dist.choices)
    low, high = dist.low, dist.high
    middle = math.sqrt(low * high) if getattr(dist, "log", False) else (low + high) / 2
    points = [low, middle, high]
    if isinstance(dist, optuna.distributions.IntDistribution):
        return sorted({round(p) for p in points})
    return points


class RoundGuard:
    """Called by boosting fits every few rounds: stops a fit at the deadline, and reports to
    Optuna's pruner (through the trial object, or, in a Ray task, through the study the task
    reopens from keel's database by its URL, name and trial id)."""

    def __init__(self, deadline: float, trial: Any, prune: bool = True):
        self.deadline = deadline  # time.time() seconds
        self.trial, self.prune = trial, prune

    def __call__(self, step: int, loss: float) -> None:
        if time.time() > self.deadline:
            raise StopFitting(f"stopped at round {step}: its share of the time ran out")
        if self.prune and self.trial is not None and math.isfinite(loss):
            trial = self._trial()
            trial.report(loss, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at round {step}")

    def _trial(self) -> optuna.Trial:
        if isinstance(self.trial, tuple):
            url, study_name, trial_id = self.trial
            study = optuna.load_study(study_name=study_name, storage=url)
            self.trial = optuna.Trial(study, trial_id)
        return self.trial


def evaluate_trial(
    problem: Problem,
    algorithm: Algorithm,
    params: dict[str, Any],
    guard: RoundGuard | None,
    secondary: str | None,
) -> Evaluation:
    return evaluate_probe(problem, algorithm, params, on_round=guard, secondary=secondary)
