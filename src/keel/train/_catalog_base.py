"""What an algorithm family is to the search: a space, defaults, and build / fit / predict.

Each family is an `Algorithm` subclass (one per family group module). The search treats
them alike: ``sample`` a config from an Optuna trial, ``build`` an unfitted estimator, ``fit``
it (capping boosting rounds, early stopping on a validation set, reporting the validation
loss to ``on_round``), ``predict`` probabilities or values.

Example:
    >>> import numpy as np
    >>> from keel.train._catalog import get_algorithm
    >>> logistic = get_algorithm("logistic")
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> model = logistic.build(logistic.defaults(4, "binary"), "binary", 3, 0, 1, None)
    >>> logistic.predict(logistic.fit(model, X, y), X, "binary").shape  # 3 classes, 2 seen
    (4, 3)
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import is_classifier
from threadpoolctl import ThreadpoolController

from keel.errors import TrainError
from keel.train._catalog_common import Context, OnRound, check_classes
from keel.train._spaces import Dimension, SpaceOverride, clip, merge, suggest

if TYPE_CHECKING:
    import optuna  # annotations only: optuna loads when a study runs

__all__ = ["Algorithm"]


@dataclass(frozen=True)
class Algorithm:
    """One algorithm family: its search space, defaults and how to fit and predict with it.

    Args:
        name: the name keel.yaml uses (``train.algorithms``, ``train.spaces``).
        tasks: the tasks it supports.
        cost: relative cost of one default fit on 10,000 rows (logistic = 1); the search
            tries cheap families first.
        iterative: it fits boosting rounds, which ``fit`` can cap (``max_rounds``, a
            fidelity), stop early on a validation set and report round by round.
        requires: the optional package it needs, or None when keel's own dependencies do.

    A subclass defines `space`, `base_values` and `_make`, and overrides `fit` and
    `best_rounds` when it is iterative. Instances are immutable and safe to share.
    """

    name: str
    tasks: frozenset[str]
    cost: float
    iterative: bool = False
    requires: str | None = None

    #: Wrap fit and predict in a thread limit: the library has no thread count of its own
    #: (OpenMP in HistGradientBoosting, BLAS in the linear models).
    limit_threads: ClassVar[bool] = False
    #: ``fit`` takes a ``checkpoint`` (keel.train._checkpoint.FitCheckpoint): it saves its
    #: model every so many rounds and resumes from the newest one.
    checkpoints: ClassVar[bool] = False

    def space(self, n_rows: int) -> dict[str, Dimension]:
        """The params searched by default and their ranges, for ``n_rows`` training rows."""
        raise NotImplementedError

    def base_values(self, task: str) -> dict[str, Any]:
        """A value for every param keel.yaml may set: the library's default, except for
        the rounds of iterative families (`MAX_ROUNDS`, meant to be cut by early stopping)."""
        raise NotImplementedError

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        raise NotImplementedError

    @property
    def params(self) -> frozenset[str]:
        """The params keel.yaml's ``train.spaces.<name>`` may set."""
        return frozenset(name for task in self.tasks for name in self.base_values(task))

    @property
    def available(self) -> bool:
        """Whether the package it needs imports."""
        if self.requires is None:
            return True
        try:
            importlib.import_module(self.requires)
        except ImportError:
            return False
        return True

    def defaults(
        self, n_rows: int, task: str, overrides: SpaceOverride | None = None
    ) -> dict[str, Any]:
        """The first config to try: every searched param at its default, moved inside the
        space (and ``overrides``) so that it can be enqueued as a trial of this space."""
        base = self.base_values(task)
        space = merge(self.space(n_rows), self._checked(overrides))
        return {name: clip(base.get(name), dimension) for name, dimension in space.items()}

    def sample(
        self, trial: optuna.Trial, n_rows: int, task: str, overrides: SpaceOverride | None = None
    ) -> dict[str, Any]:
        """A config drawn by ``trial`` from the space, with ``overrides`` applied."""
        space = merge(self.space(n_rows), self._checked(overrides))
        return {name: suggest(trial, name, dimension) for name, dimension in space.items()}

    def build(
        self,
        params: dict[str, Any],
        task: str,
        n_classes: int,
        seed: int,
        n_jobs: int,
        class_weight: str | None,
    ) -> Any:
        """An unfitted scikit-learn-compatible estimator for ``params``.

        Args:
            params: a config from `defaults` or `sample` (params left out take their
                `base_values`, or the library's default).
            n_classes: the number of classes of the task (1 for regression).
            n_jobs: the threads it may use, passed to the library explicitly.
            class_weight: ``"balanced"`` to weight classes inversely to their frequency.
        """
        if task not in self.tasks:
            raise TrainError(f"The algorithm {self.name!r} does not support {task} tasks.")
        if class_weight not in (None, "balanced"):
            raise TrainError(
                "The 'class_weight' setting of train must be 'balanced' or null. "
                f"Got {class_weight!r} instead.",
                field="train.class_weight",
            )
        unknown = set(params) - self.params
        if unknown:
            raise TrainError(
                f"The {self.name} params {sorted(unknown)} are unknown; "
                f"expected some of {', '.join(sorted(self.params))}."
            )
        context = Context(task, n_classes, n_jobs, class_weight)
        estimator = self._make(dict(params), context, seed)
        estimator._keel = context
        return estimator

    def fit(
        self,
        estimator: Any,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_valid: np.ndarray | None = None,
        y_valid: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        max_rounds: int | None = None,
        on_round: OnRound | None = None,
        early_stopping_rounds: int | None = 50,
    ) -> Any:
        """Fit ``estimator`` (from `build`) on X (shape (n_samples, n_features)) and y.

        Iterative families fit at most ``max_rounds`` rounds and, given (X_valid, y_valid),
        stop when its loss has not improved for ``early_stopping_rounds`` rounds (None: never)
        and call ``on_round(rounds_done, validation_loss)`` every `REPORT_EVERY` rounds;
        whatever ``on_round`` raises (``optuna.TrialPruned``) propagates. Validation rows of a
        class the fit did not see are left out. Other families ignore these arguments.

        Returns:
            the fitted estimator.
        """
        context = self.context(estimator)
        check_classes(y, context)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        with self._threads(context):
            estimator.fit(X, y, **kwargs)
        return estimator

    def predict(self, estimator: Any, X: np.ndarray, task: str) -> np.ndarray:
        """Probabilities of shape (n_samples, n_classes) (every class of the task, even one
        the fit did not see), or values of shape (n_samples,) for regression."""
        context = self.context(estimator)
        with self._threads(context):
            if task == "regression":
                return np.asarray(estimator.predict(X), dtype=np.float64)
            proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        seen = context.classes if context.classes is not None else estimator.classes_
        n_classes = max(context.n_classes, int(np.max(seen)) + 1)
        if proba.shape[1] == n_classes:
            return proba
        full = np.zeros((proba.shape[0], n_classes))
        full[:, np.asarray(seen, dtype=np.intp)] = proba
        return full

    def best_rounds(self, estimator: Any) -> int | None:
        """The rounds a refit should use (the best on validation), None if not iterative."""
        return None

    def context(self, estimator: Any) -> Context:
        """What `build` recorded on ``estimator`` (a clone lost it: assume one thread)."""
        context = getattr(estimator, "_keel", None)
        if context is None:
            task = "multiclass" if is_classifier(estimator) else "regression"
            context = Context(task, 0, 1, None)
            estimator._keel = context
        return context

    def _threads(self, context: Context) -> contextlib.AbstractContextManager[Any]:
        if self.limit_threads:
            return _thread_controller().limit(limits=context.n_jobs)
        return contextlib.nullcontext()

    def _checked(self, overrides: SpaceOverride | None) -> SpaceOverride | None:
        if overrides is not None and overrides.family != self.name:
            raise TrainError(
                f"A search-space override for {overrides.family!r} was given to {self.name!r}."
            )
        return overrides


@functools.cache
def _thread_controller() -> ThreadpoolController:
    """One controller for the process: ``threadpool_limits`` rescans the loaded native
    libraries on every call (1.7 ms measured here, most of a one-row logistic predict),
    ``ThreadpoolController.limit`` on a kept controller takes 0.02 ms."""
    return ThreadpoolController()
