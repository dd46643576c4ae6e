"""CatBoost, an optional family: available when ``pip install catboost`` has been run.

It is imported on first build only, so that keel works without it. Like LightGBM and
XGBoost it caps its rounds, stops early on the validation loss and reports that loss.

Example:
    >>> catboost = CatBoost("catboost", frozenset({"binary"}), cost=10, iterative=True,
    ...                     requires="catboost")
    >>> sorted(catboost.space(1000))
    ['depth', 'l2_leaf_reg', 'learning_rate']
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from keel.train._catalog_base import Algorithm
from keel.train._catalog_common import (
    MAX_ROUNDS,
    REPORT_EVERY,
    Context,
    OnRound,
    StopFitting,
    capped,
    check_classes,
    int_range,
    seen_rows,
)
from keel.train._spaces import Dimension, Range

__all__ = ["CatBoost"]


class CatBoost(Algorithm):
    """CatBoost's oblivious trees, searched over depth, learning rate and L2 penalty."""

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "learning_rate": Range(0.005, 0.5, log=True),
            "depth": int_range(4, 10),
            "l2_leaf_reg": Range(1.0, 10.0, log=True),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        return {
            "learning_rate": 0.1,
            "depth": 6,
            "l2_leaf_reg": 3.0,
            "n_estimators": MAX_ROUNDS,
            "random_strength": 1.0,
            "bagging_temperature": 1.0,
            "border_count": 254,
        }

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        catboost = importlib.import_module("catboost")
        params = {"n_estimators": MAX_ROUNDS, **params}
        common: dict[str, Any] = {
            "random_seed": seed,
            "thread_count": context.n_jobs,
            "verbose": False,
        }
        common["allow_writing_files"] = False  # no catboost_info/ folder in the user's cwd
        if context.task == "regression":
            return catboost.CatBoostRegressor(**common, **params)
        if context.class_weight is not None:
            common["auto_class_weights"] = "Balanced"
        if context.task == "multiclass":
            common["loss_function"] = "MultiClass"
        return catboost.CatBoostClassifier(**common, **params)

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
        classes = check_classes(y, self.context(estimator))
        rounds = estimator.get_params()["n_estimators"]
        estimator.set_params(n_estimators=capped(rounds, max_rounds))
        kwargs: dict[str, Any] = {"sample_weight": sample_weight}
        reporter = None
        if X_valid is not None and y_valid is not None:
            kwargs["eval_set"] = seen_rows(X_valid, y_valid, classes)
            kwargs["early_stopping_rounds"] = early_stopping_rounds or None
            if on_round is not None:
                reporter = _CatBoostReporter(on_round)
                kwargs["callbacks"] = [reporter]
        estimator.fit(X, y, **kwargs)
        if reporter is not None and reporter.raised is not None:
            raise reporter.raised
        return estimator

    def best_rounds(self, estimator: Any) -> int | None:
        best = estimator.get_best_iteration()
        return int(best) + 1 if best is not None else int(estimator.tree_count_)


class _CatBoostReporter:
    """Calls ``on_round``; what it raises is kept and re-raised after CatBoost stops, since
    CatBoost would wrap it in a CatBoostError (seen with catboost 1.2.10) and
    ``optuna.TrialPruned`` must reach the caller as itself."""

    def __init__(self, on_round: OnRound):
        self.on_round = on_round
        self.raised: BaseException | None = None

    def after_iteration(self, info: Any) -> bool:
        rounds = info.iteration
        validation = info.metrics.get("validation")
        if rounds % REPORT_EVERY or not validation:
            return True
        try:
            self.on_round(rounds, float(next(iter(validation.values()))[-1]))
        except StopFitting:
            return False  # CatBoost stops and keeps the iterations so far
        except BaseException as error:  # re-raised by CatBoost.fit
            self.raised = error
            return False
        return True
