"""Fit fairlearn's mitigators and wrap them so they predict the model's labels reproducibly.

Example:
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": np.arange(40.0)})
    >>> y = (np.arange(40) % 3 == 0).astype(int)
    >>> groups = pd.DataFrame({"g": ["a", "b"] * 20})
    >>> model = LogisticRegression().fit(X, y)
    >>> predictor = fit_mitigator(
    ...     model, "threshold_optimizer", "demographic_parity", X, y, groups, model.classes_
    ... )
    >>> predictor.predict(X.head(3), sensitive_features=groups.head(3)).shape
    (3,)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ExponentiatedGradient,
    TruePositiveRateParity,
)
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from keel.errors import EvaluationError
from keel.evaluate._fairness_input import row_groups, sensitive_frame

__all__ = ["CONSTRAINTS", "METHODS", "MitigatedPredictor", "fit_mitigator"]

METHODS = ("threshold_optimizer", "exponentiated_gradient")
CONSTRAINTS = ("demographic_parity", "equalized_odds", "true_positive_rate_parity")
_MOMENTS = {
    "demographic_parity": DemographicParity,
    "equalized_odds": EqualizedOdds,
    "true_positive_rate_parity": TruePositiveRateParity,
}


class MitigatedPredictor:
    """A fitted fairlearn mitigator that predicts in the model's original labels.

    ``predict(X, sensitive_features=...)`` draws fairlearn's randomized decisions with
    ``seed`` unless given another ``random_state``. A threshold optimizer needs the
    sensitive columns (its thresholds are per group) and refuses groups it never saw;
    an exponentiated-gradient mixture ignores them.

    Attributes:
        mitigator: the fitted ``ThresholdOptimizer`` or ``ExponentiatedGradient``.
        classes: the model's labels; code 1 is the positive class.
        transform: what turns ``X`` into the mitigator's input (keel AutoML's feature
            pipeline for exponentiated gradient), or None.
        seed: the default ``random_state`` of ``predict``.
    """

    def __init__(
        self,
        mitigator: Any,
        classes: np.ndarray,
        transform: Callable[[Any], Any] | None = None,
        seed: int = 0,
        groups: frozenset[str] = frozenset(),
    ):
        self.mitigator = mitigator
        self.classes = classes
        self.transform = transform
        self.seed = seed
        self.groups = groups

    def predict(
        self, X: Any, *, sensitive_features: Any = None, random_state: int | None = None
    ) -> np.ndarray:
        """Mitigated labels for ``X``, shape (n_samples,)."""
        codes = self.predict_codes(
            X, sensitive_features=sensitive_features, random_state=random_state
        )
        return self.classes[codes]

    def predict_codes(
        self, X: Any, *, sensitive_features: Any = None, random_state: int | None = None
    ) -> np.ndarray:
        """Mitigated class codes (1 = positive class) for ``X``."""
        state = self.seed if random_state is None else random_state
        if not isinstance(self.mitigator, ThresholdOptimizer):
            features = X if self.transform is None else self.transform(X)
            return np.asarray(self.mitigator.predict(features, random_state=state), dtype=np.int64)
        if sensitive_features is None:
            raise EvaluationError(
                "A threshold optimizer needs sensitive_features to predict: its thresholds "
                "are per group.",
                field="sensitive_features",
            )
        frame = sensitive_frame(sensitive_features, len(X))
        self._check_known(frame)
        codes = self.mitigator.predict(
            X, sensitive_features=_fairlearn_groups(frame), random_state=state
        )
        return np.asarray(codes, dtype=np.int64)

    def _check_known(self, frame: pd.DataFrame) -> None:
        # fairlearn silently predicts negative for a group it has no threshold for.
        unseen = sorted(set(row_groups(frame, list(frame.columns))) - self.groups)
        if unseen:
            raise EvaluationError(
                f"The sensitive group(s) {', '.join(unseen[:5])} were not seen when the "
                f"mitigator was fitted (seen: {', '.join(sorted(self.groups))}); it has no "
                "threshold for them. Refit on rows that include them.",
                field="sensitive_features",
            )


def fit_mitigator(
    model: Any,
    method: str,
    constraint: str,
    X: Any,
    y_codes: np.ndarray,
    sensitive: pd.DataFrame,
    classes: np.ndarray,
    estimator: Any = None,
    seed: int = 0,
) -> MitigatedPredictor:
    """Fit ``method`` under ``constraint`` on (X, y codes 0/1, sensitive string columns)."""
    groups = frozenset(row_groups(sensitive, list(sensitive.columns)))
    if method == "threshold_optimizer":
        optimizer = ThresholdOptimizer(
            estimator=model, constraints=constraint, prefit=True, predict_method="predict_proba"
        )
        _fit(optimizer, X, y_codes, sensitive, method)
        return MitigatedPredictor(optimizer, classes, None, seed, groups)
    pipeline = getattr(model, "features_", None)
    transform = None if pipeline is None else pipeline.transform
    base = (
        LogisticRegression(max_iter=1000, random_state=seed)
        if estimator is None
        else clone(estimator)
    )
    reduction = ExponentiatedGradient(base, constraints=_MOMENTS[constraint]())
    _fit(reduction, X if transform is None else transform(X), y_codes, sensitive, method)
    return MitigatedPredictor(reduction, classes, transform, seed, groups)


def _fit(mitigator: Any, X: Any, y_codes: np.ndarray, sensitive: pd.DataFrame, method: str) -> None:
    try:
        with warnings.catch_warnings():
            # fairlearn 0.15's reductions use pandas idioms pandas 3 deprecates (Series.at
            # enlargement); the warnings are fairlearn's to fix and say nothing to the user.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"fairlearn\.")
            mitigator.fit(X, y_codes, sensitive_features=_fairlearn_groups(sensitive))
    except ValueError as error:
        raise EvaluationError(
            f"The {method} mitigation could not be fitted on these rows: {error}. Check that "
            "each group holds both classes, and that the estimator accepts these features.",
            field="sensitive",
        ) from None


def _fairlearn_groups(frame: pd.DataFrame) -> pd.Series | pd.DataFrame:
    return frame.iloc[:, 0] if frame.shape[1] == 1 else frame
