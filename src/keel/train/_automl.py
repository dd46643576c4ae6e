"""AutoML: the feature pipeline, a cost-aware search over algorithm families, full
cross-validation of the finalists, an ensemble when it beats the best single model, and
a final refit — all inside one time budget.

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> frame = load_breast_cancer(as_frame=True).frame
    >>> model = AutoML(budget_s=8, seed=0, algorithms=["logistic", "lightgbm"])
    >>> model = model.fit(frame.drop(columns="target"), frame["target"])
    >>> model.task_, model.metric_.name, model.predict_proba(frame.head(2)).shape
    ('binary', 'roc_auc', (2, 2))
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from keel.errors import TrainError
from keel.features import FeaturePipeline, detect_task
from keel.train._catalog import algorithms_for
from keel.train._checkpoint import Checkpoints
from keel.train._cv import make_folds
from keel.train._executors import make_executor
from keel.train._finalize import FittedModel, finalize, finalize_seconds
from keel.train._metrics import default_metric, get_metric
from keel.train._objective import Problem
from keel.train._search import Search, TrialRecord
from keel.train._spaces import parse_space
from keel.train._spec import TrainSpec

__all__ = ["AutoML"]

# Probes train on at most this many rows: the cheap fidelity that keeps large data sets
# from starving the search (finalists are cross-validated on every row).
MAX_PROBE_ROWS = 40_000
# The search stops when what is left of the budget is what the finalists' CV and the refit
# are estimated to need, and never after this share of it.
SEARCH_SHARE = 0.9


class AutoML(BaseEstimator):
    """Search algorithms and hyperparameters for the best model within a time budget.

    Args:
        spec: keel.yaml's ``train:`` settings (TrainSpec or a mapping); defaults when None.
        task, metric, budget_s, trials, seed, algorithms: shortcuts that override ``spec``.
        features: keel.yaml's ``features:`` settings for the feature pipeline.
        schema: the data's schema (column types and roles); inferred when None.
        n_jobs: threads per model fit (divided among parallel trials).
        storage: an Optuna storage (keel's database URL) for resumable studies; in memory
            when None.
        study_name: the prefix of this search's studies in ``storage``.
        on_trial: called with each finished trial (progress views, tracking).
        checkpoints: where the final boosting refit saves its progress, so an interrupted
            fit resumes from its newest checkpoint (keel.train._checkpoint.Checkpoints).
    """

    def __init__(
        self,
        spec: TrainSpec | Mapping[str, Any] | None = None,
        *,
        task: str | None = None,
        metric: str | None = None,
        budget_s: float | None = None,
        trials: int | None = None,
        seed: int | None = None,
        algorithms: list[str] | None = None,
        features: Any = None,
        schema: Any = None,
        n_jobs: int = 1,
        storage: Any = None,
        study_name: str = "automl",
        on_trial: Callable[[TrialRecord], None] | None = None,
        checkpoints: Checkpoints | None = None,
    ):
        self.spec = spec
        self.task = task
        self.metric = metric
        self.budget_s = budget_s
        self.trials = trials
        self.seed = seed
        self.algorithms = algorithms
        self.features = features
        self.schema = schema
        self.n_jobs = n_jobs
        self.storage = storage
        self.study_name = study_name
        self.on_trial = on_trial
        self.checkpoints = checkpoints

    def fit(self, X: pd.DataFrame, y: Any, *, groups: Any = None, times: Any = None) -> AutoML:
        """Search and fit. ``groups`` (an entity per row) and ``times`` (a timestamp per row)
        select group or time-ordered folds under ``cv.strategy: auto``."""
        started = time.perf_counter()
        spec = self.effective_spec()
        frame, target, groups, times = _labelled(X, y, groups, times)
        task = detect_task(target, spec.task)
        codes, self.classes_ = _encode(target, task)
        metric = get_metric(spec.metric or default_metric(task), task)
        pipe = FeaturePipeline(self.features, schema=self.schema, task=task, random_state=spec.seed)
        matrix = pipe.fit_transform(frame, codes)
        problem = self._problem(spec, matrix, codes, task, metric, groups, times)
        budget = spec.search.budget_seconds
        executor = make_executor(spec.engine, spec.jobs)
        try:
            search = Search(
                problem,
                algorithms_for(task, spec.algorithms),
                spec.search,
                executor=executor,
                storage=self.storage,
                study_name=self.study_name,
                started=started,
                deadline=started + SEARCH_SHARE * budget,
                overrides={f: parse_space(f, raw) for f, raw in spec.spaces.items()},
                on_trial=self.on_trial,
                reserve=lambda evaluations: finalize_seconds(evaluations, problem, budget),
            ).run()
        finally:
            executor.close()
        if not search.evaluations:
            raise TrainError(_no_model_message(search.trials, budget), field="train.search.budget")
        end = started + budget - search.resumed_seconds  # a resumed search used some already
        self.model_: FittedModel = finalize(
            problem, search, spec, deadline=end, checkpoints=self.checkpoints
        )
        self.features_, self.task_, self.metric_, self.spec_ = pipe, task, metric, spec
        self.leaderboard_ = search.trials
        self.pareto_ = pareto_front(search.evaluations) if spec.search.secondary else []
        self.first_model_s_ = search.first_model_s
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), columns in ``classes_`` order."""
        if self.task_ == "regression":
            raise TrainError("predict_proba is for classification; this model is a regressor.")
        return self.model_.predict(self.features_.transform(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted labels (classification, original label values) or values (regression)."""
        output = self.model_.predict(self.features_.transform(X))
        if self.task_ == "regression":
            return output
        return np.asarray(self.classes_)[np.argmax(output, axis=1)]

    def __getstate__(self) -> dict[str, Any]:
        # A saved model keeps what predicts, not the callbacks and the study storage.
        return {**self.__dict__, "on_trial": None, "storage": None, "checkpoints": None}

    def effective_spec(self) -> TrainSpec:
        """``spec`` with the shortcut arguments applied."""
        base = (
            self.spec
            if isinstance(self.spec, TrainSpec)
            else TrainSpec.model_validate(dict(self.spec or {}))
        )
        return base.with_overrides(
            task=self.task,
            metric=self.metric,
            seed=self.seed,
            algorithms=self.algorithms,
            budget=self.budget_s,
            trials=self.trials,
        )

    def _problem(
        self,
        spec: TrainSpec,
        matrix: np.ndarray,
        codes: np.ndarray,
        task: str,
        metric: Any,
        groups: Any,
        times: Any,
    ) -> Problem:
        folds = make_folds(
            spec.cv.strategy,
            spec.cv.folds,
            codes,
            task=task,
            groups=groups,
            times=times,
            repeats=spec.cv.repeats,
            seed=spec.seed,
        )
        probe = folds[0].train
        if probe.size > MAX_PROBE_ROWS:
            rng = np.random.default_rng(spec.seed)
            probe = np.sort(rng.choice(probe, size=MAX_PROBE_ROWS, replace=False))
        per_fit = max(1, self.n_jobs // spec.jobs)
        n_classes = 0 if task == "regression" else len(self.classes_)
        return Problem(
            matrix,
            codes,
            task,
            n_classes,
            metric,
            folds,
            probe,
            spec.seed,
            per_fit,
            spec.class_weight,
            spec.early_stopping_rounds,
        )


def _labelled(X: Any, y: Any, groups: Any, times: Any) -> tuple[pd.DataFrame, pd.Series, Any, Any]:
    if not isinstance(X, pd.DataFrame):
        raise TrainError(f"AutoML trains on a DataFrame; got {type(X).__name__} instead.")
    target = pd.Series(np.asarray(y), index=X.index)
    if len(target) != len(X):
        raise TrainError(f"X has {len(X)} rows but y has {len(target)}.", field="target")
    keep = target.notna().to_numpy()
    if not keep.any():
        raise TrainError("The target has no values: every row is missing it.", field="target")
    values = target.loc[keep].unique()
    if len(values) < 2:
        raise TrainError(
            f"The target has a single class ({values[0]!r}); a model needs at least two.",
            field="target",
        )
    groups = None if groups is None else np.asarray(groups)[keep]
    times = None if times is None else np.asarray(times)[keep]
    return X.loc[keep], target.loc[keep], groups, times


def _encode(target: pd.Series, task: str) -> tuple[np.ndarray, np.ndarray]:
    if task == "regression":
        return target.to_numpy(dtype=np.float64), np.array([])
    classes, codes = np.unique(target.to_numpy(), return_inverse=True)
    if classes.size < 2:
        raise TrainError(
            f"The target has a single class ({classes[0]!r}); a classifier needs at least two.",
            field="target",
        )
    return codes.astype(np.int64), classes


def _no_model_message(trials: list[TrialRecord], budget: float) -> str:
    if not trials:
        return f"No trial could start within the {budget:g} s budget; raise train.search.budget."
    reasons = sorted({t.message for t in trials if t.message})[:3]
    return f"None of the {len(trials)} trials produced a model within {budget:g} s: " + "; ".join(
        reasons
    )


def pareto_front(evaluations: list[Any]) -> list[Any]:
    """The evaluations no other beats on both the loss and the secondary objective, by loss."""
    points = sorted(
        (e for e in evaluations if e.secondary is not None), key=lambda e: (e.loss, e.secondary)
    )
    front, best_secondary = [], math.inf
    for evaluation in points:
        if evaluation.secondary < best_secondary:
            front.append(evaluation)
            best_secondary = evaluation.secondary
    return front
