"""LightGBM and XGBoost: boosting rounds capped, stopped early and reported round by round.

Both fit at most ``max_rounds`` rounds (a fidelity for successive halving), stop when the
validation loss has not improved for ``early_stopping_rounds`` rounds, and report that loss
(log loss, or squared error for regression) to ``on_round`` every `REPORT_EVERY` rounds
from inside the library's training loop, so a pruner can stop a trial mid-fit.

Example:
    >>> lightgbm = LightGBM("lightgbm", frozenset({"regression"}), cost=3, iterative=True)
    >>> lightgbm.defaults(10_000, "regression")["num_leaves"]
    31
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import lightgbm
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
from keel.train._catalog_common import sample_weight as balanced_weights
from keel.train._checkpoint import FitCheckpoint
from keel.train._spaces import Dimension, Range

__all__ = ["LightGBM", "XGBoost"]

_LIGHTGBM_EVAL_XY = "eval_X" in inspect.signature(lightgbm.LGBMModel.fit).parameters


class LightGBM(Algorithm):
    """LightGBM, searched like FLAML does, from defaults close to the library's own."""

    checkpoints: ClassVar[bool] = True

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "learning_rate": Range(0.01, 1.0, log=True),
            "num_leaves": int_range(4, min(2**15, n_rows), log=True),  # 2**min(15, log2 n)
            "min_child_samples": int_range(2, 128, log=True),
            "colsample_bytree": Range(0.1, 1.0),
            "subsample": Range(0.5, 1.0),
            "reg_alpha": Range(1e-10, 1.0, log=True),
            "reg_lambda": Range(1e-10, 10.0, log=True),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        return {
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_child_samples": 20,
            "colsample_bytree": 1.0,
            "subsample": 1.0,
            "reg_alpha": 0.0,
            "reg_lambda": 0.0,
            "n_estimators": MAX_ROUNDS,
            "max_depth": -1,
            "boosting_type": "gbdt",
            "max_bin": 255,
            "min_split_gain": 0.0,
            "min_child_weight": 1e-3,
            "subsample_freq": 0,
        }

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        params = {"n_estimators": MAX_ROUNDS, **params}
        if params.get("subsample", 1.0) < 1.0:
            params.setdefault("subsample_freq", 1)  # LightGBM ignores subsample without it
        if context.task == "regression":
            return lightgbm.LGBMRegressor(
                random_state=seed, n_jobs=context.n_jobs, verbose=-1, **params
            )
        return lightgbm.LGBMClassifier(
            random_state=seed,
            n_jobs=context.n_jobs,
            verbose=-1,
            class_weight=context.class_weight,
            **params,
        )

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
        checkpoint: FitCheckpoint | None = None,
    ) -> Any:
        classes = check_classes(y, self.context(estimator))
        estimator.set_params(n_estimators=capped(estimator.n_estimators, max_rounds))
        callbacks: list[Any] = []
        kwargs: dict[str, Any] = {}
        if checkpoint is not None:
            kwargs.update(_lightgbm_resume(estimator, checkpoint))
            callbacks.append(_lightgbm_saver(checkpoint))
        if X_valid is not None and y_valid is not None:
            kwargs.update(_lightgbm_eval(*seen_rows(X_valid, y_valid, classes)))
            # LightGBM refuses early stopping in dart mode.
            if early_stopping_rounds and estimator.boosting_type != "dart":
                callbacks.append(lightgbm.early_stopping(early_stopping_rounds, verbose=False))
            if on_round is not None:
                callbacks.append(_lightgbm_reporter(on_round))
        return estimator.fit(X, y, sample_weight=sample_weight, callbacks=callbacks, **kwargs)

    def best_rounds(self, estimator: Any) -> int | None:
        best = int(estimator.best_iteration_ or 0)  # 0 when it did not stop early
        return best if best > 0 else int(estimator.booster_.current_iteration())


def _lightgbm_eval(X_valid: np.ndarray, y_valid: np.ndarray) -> dict[str, Any]:
    # LightGBM 4.7 deprecates eval_set for eval_X / eval_y; keel allows LightGBM >= 4.0.
    if _LIGHTGBM_EVAL_XY:
        return {"eval_X": (X_valid,), "eval_y": (y_valid,)}
    return {"eval_set": [(X_valid, y_valid)]}


def _lightgbm_resume(estimator: Any, checkpoint: FitCheckpoint) -> dict[str, Any]:
    """Start from the checkpoint's trees and grow only the rounds still missing."""
    if checkpoint.resume is None:
        return {}
    done, model = checkpoint.resume
    estimator.set_params(n_estimators=max(1, estimator.n_estimators - done))
    return {"init_model": lightgbm.Booster(model_str=model.decode())}


def _lightgbm_saver(checkpoint: FitCheckpoint) -> Any:
    def save(env: lightgbm.callback.CallbackEnv) -> None:
        rounds = env.iteration + 1  # counts the trees of an init_model too
        if rounds % checkpoint.every == 0:
            checkpoint.save(rounds, env.model.model_to_string().encode())

    return save


def _lightgbm_reporter(on_round: OnRound) -> Any:
    def report(env: lightgbm.callback.CallbackEnv) -> None:
        rounds = env.iteration + 1
        if rounds % REPORT_EVERY == 0 and env.evaluation_result_list:
            try:
                on_round(rounds, float(env.evaluation_result_list[0][2]))
            except StopFitting:  # keep the rounds so far: LightGBM's own way to stop early
                raise lightgbm.callback.EarlyStopException(
                    env.iteration, env.evaluation_result_list
                ) from None

    return report


class XGBoost(Algorithm):
    checkpoints: ClassVar[bool] = True

    """XGBoost with the histogram method, from the library's defaults."""

    def space(self, n_rows: int) -> dict[str, Dimension]:
        return {
            "learning_rate": Range(0.01, 1.0, log=True),
            "max_depth": int_range(2, 12),
            "min_child_weight": Range(1e-3, 128.0, log=True),
            "subsample": Range(0.5, 1.0),
            "colsample_bytree": Range(0.1, 1.0),
            "reg_alpha": Range(1e-10, 1.0, log=True),
            "reg_lambda": Range(1e-10, 10.0, log=True),
        }

    def base_values(self, task: str) -> dict[str, Any]:
        return {
            "learning_rate": 0.3,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
            "reg_alpha": 0.0,
            "reg_lambda": 1.0,
            "n_estimators": MAX_ROUNDS,
            "gamma": 0.0,
            "max_bin": 256,
            "colsample_bylevel": 1.0,
            "grow_policy": "depthwise",
            "max_leaves": 0,
        }

    def _make(self, params: dict[str, Any], context: Context, seed: int) -> Any:
        params = {"n_estimators": MAX_ROUNDS, **params}
        import xgboost  # 20 MB and 20 ms: loaded for XGBoost models only (keel serve too)

        model = xgboost.XGBRegressor if context.task == "regression" else xgboost.XGBClassifier
        return model(tree_method="hist", random_state=seed, n_jobs=context.n_jobs, **params)

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
        checkpoint: FitCheckpoint | None = None,
    ) -> Any:
        context = self.context(estimator)
        classes = check_classes(y, context)
        if classes is not None:
            # XGBoost wants labels 0..m-1: re-code the classes this fit sees.
            context.classes = classes
            y = np.searchsorted(classes, y)
            if sample_weight is None:
                sample_weight = balanced_weights(y, context.class_weight)
        import xgboost

        from keel.train._catalog_xgboost import XGBoostReporter, XGBoostSaver

        kwargs: dict[str, Any] = {"sample_weight": sample_weight, "verbose": False}
        stopping: int | None = None
        callbacks: list[xgboost.callback.TrainingCallback] = []
        if X_valid is not None and y_valid is not None:
            X_valid, y_valid = seen_rows(X_valid, y_valid, classes)
            if classes is not None:
                y_valid = np.searchsorted(classes, y_valid)
            kwargs["eval_set"] = [(X_valid, y_valid)]
            stopping = early_stopping_rounds or None
            callbacks = [XGBoostReporter(on_round)] if on_round is not None else []
        estimator.set_params(n_estimators=capped(estimator.n_estimators, max_rounds))
        if checkpoint is not None:
            callbacks.append(XGBoostSaver(checkpoint))
            if checkpoint.resume is not None:
                done, model = checkpoint.resume
                booster = xgboost.Booster()
                booster.load_model(bytearray(model))
                kwargs["xgb_model"] = booster
                estimator.set_params(n_estimators=max(1, estimator.n_estimators - done))
        estimator.set_params(early_stopping_rounds=stopping, callbacks=callbacks or None)
        try:
            return estimator.fit(X, y, **kwargs)
        finally:
            # Not kept: a later fit without a validation set, or pickling, would trip on them.
            estimator.set_params(early_stopping_rounds=None, callbacks=None)

    def best_rounds(self, estimator: Any) -> int | None:
        try:
            return int(estimator.best_iteration) + 1
        except AttributeError:  # it did not stop early
            return int(estimator.get_booster().num_boosted_rounds())
