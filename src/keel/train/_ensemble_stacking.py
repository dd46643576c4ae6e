"""Stacking: a regularized linear model fitted on the base models' out-of-fold predictions.

What the stacker sees, per base model:

- binary: the logit of the positive-class probability (clipped to [1e-7, 1 - 1e-7]); the
  negative column carries no more information, and in logit space a weighted sum of
  calibrated models is again a calibrated score, which a logistic regression can use as is;
- multiclass: the log of every clipped class probability. A multinomial logistic regression
  is linear in its log-odds, so log-probabilities let it add the models' evidence; on raw
  probabilities it cannot express "both models are fairly sure" and stacks worse;
- regression: the predictions themselves, combined by a ridge regression.

Example:
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=60)
    >>> stacker = fit_stacker([y + 0.1, y + rng.normal(size=60)], y, "regression", seed=0)
    >>> stacker.predict([np.array([1.1]), np.array([1.0])]).round(1)
    array([1.])
    >>> bool(stacker.cv_loss_ < 0.1)
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from keel.errors import TrainError

__all__ = ["Stacker", "fit_stacker"]

_EPS = 1e-7


class Stacker(BaseEstimator):
    """A logistic (classification) or ridge (regression) model over base-model predictions.

    Args:
        task: "binary", "multiclass" or "regression".
        C: inverse L2 strength of the logistic regression.
        alpha: L2 strength of the ridge regression.
        cv_splits: folds of the inner cross-validation that scores the stacker
            (fewer when the rarest class has fewer rows).
        seed: shuffles the inner folds.

    Attributes:
        oof_: the stacker's own out-of-fold predictions on the rows it was fitted on.
        cv_loss_: log loss (classification) or mean squared error of ``oof_``, or the
            ``loss`` given to `fit_stacker`; comparable to a base model's OOF loss.
        model_: the fitted scikit-learn model.
        classes_: the class codes present in y (classification).
    """

    def __init__(
        self,
        task: str = "binary",
        *,
        C: float = 1.0,
        alpha: float = 1.0,
        cv_splits: int = 5,
        seed: int = 0,
    ):
        self.task = task
        self.C = C
        self.alpha = alpha
        self.cv_splits = cv_splits
        self.seed = seed

    def fit(self, predictions: Sequence[np.ndarray], y: np.ndarray) -> Stacker:
        """Fits on base-model OOF predictions (each (n_samples,) or (n_samples, n_classes))."""
        X, y = self._features(predictions), np.asarray(y)
        if not np.isfinite(X).all():
            raise TrainError(
                "The stacker needs a prediction for every row; pass only the rows the "
                "folds validated (see oof_mask).",
                field="train.ensemble",
            )
        self.classes_ = np.unique(y)
        model = self._model()
        method = "predict" if self.task == "regression" else "predict_proba"
        self.oof_ = self._full(cross_val_predict(model, X, y, cv=self._folds(y), method=method))
        self.model_ = clone(model).fit(X, y)
        if self.task == "regression":
            self.cv_loss_ = float(mean_squared_error(y, self.oof_))
        else:
            self.cv_loss_ = float(log_loss(y, self.oof_, labels=np.arange(self.n_outputs_)))
        return self

    def predict(self, predictions: Sequence[np.ndarray]) -> np.ndarray:
        """Probabilities of shape (n_samples, n_classes), or a regression's (n_samples,)."""
        X = self._features(predictions)
        if self.task == "regression":
            return np.asarray(self.model_.predict(X), dtype=float)
        return self._full(self.model_.predict_proba(X))

    def _features(self, predictions: Sequence[np.ndarray]) -> np.ndarray:
        arrays = [np.asarray(p, dtype=float) for p in predictions]
        if self.task == "regression":
            return np.column_stack([a.reshape(len(a)) for a in arrays])
        self.n_outputs_ = arrays[0].shape[1]
        if self.task == "binary":
            positive = np.column_stack([np.clip(a[:, 1], _EPS, 1 - _EPS) for a in arrays])
            return np.log(positive) - np.log1p(-positive)
        return np.log(np.clip(np.hstack(arrays), _EPS, 1.0))

    def _model(self) -> BaseEstimator:
        if self.task == "regression":
            return Ridge(alpha=self.alpha)
        return LogisticRegression(C=self.C, max_iter=1000)

    def _folds(self, y: np.ndarray) -> KFold | StratifiedKFold:
        if self.task == "regression":
            return KFold(min(self.cv_splits, len(y)), shuffle=True, random_state=self.seed)
        rarest = int(np.unique(y, return_counts=True)[1].min())
        if rarest < 2:
            raise TrainError(
                f"Stacking needs at least 2 rows of every class; one class has {rarest}.",
                field="train.ensemble",
            )
        return StratifiedKFold(min(self.cv_splits, rarest), shuffle=True, random_state=self.seed)

    def _full(self, proba: np.ndarray) -> np.ndarray:
        """Widens probabilities over the classes seen in y to every class of the base models."""
        if self.task == "regression":
            return np.asarray(proba, dtype=float)
        full = np.zeros((len(proba), self.n_outputs_))
        full[:, self.classes_] = proba
        return full


def fit_stacker(
    oof: Sequence[np.ndarray],
    y: np.ndarray,
    task: str,
    seed: int,
    cv_splits: int = 5,
    *,
    loss: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> Stacker:
    """A `Stacker` fitted on ``oof``; with ``loss``, ``cv_loss_`` is measured with it."""
    stacker = Stacker(task, cv_splits=cv_splits, seed=seed)
    stacker.fit(oof, y)
    if loss is not None:
        stacker.cv_loss_ = float(loss(np.asarray(y), stacker.oof_))
    return stacker
