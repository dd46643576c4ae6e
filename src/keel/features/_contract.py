"""The estimator-contract checks keel's feature transformers share: is a step fitted, are
its inputs the columns it was fitted on, is a setting in range, is a raw value missing.

Example:
    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0)
    (True, True, False)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from keel.errors import FeatureError

__all__ = ["check_fitted", "check_input_features", "input_frame", "is_missing", "require_setting"]


def require_setting(
    ok: bool, owner: str, setting: str, expected: str, value: Any, *, where: str = ""
) -> None:
    """Raise the one-template error for a bad ``owner.setting`` unless ``ok``; ``where``
    follows the owner in the message (" (auto)")."""
    if not ok:
        raise FeatureError(
            f"The {setting!r} setting of {owner}{where} must {expected}. Got {value!r} instead.",
            field=f"{owner}.{setting}",
        )


def is_missing(value: Any) -> bool:
    """Whether a raw value is missing: ``None``, NaN, ``pd.NA``, ``NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    return isinstance(value, np.datetime64 | np.timedelta64) and bool(np.isnat(value))


def input_frame(step: Any, X: Any, fitted: bool) -> pd.DataFrame:
    """``X`` as a DataFrame holding the step's input columns in fit order.

    At fit time it records ``feature_names_in_`` and ``n_features_in_`` on the step.
    """
    name = type(step).__name__
    if not isinstance(X, pd.DataFrame):
        raise FeatureError(
            f"{name} needs a pandas DataFrame (its column names name the outputs). "
            f"Got {type(X).__name__} instead."
        )
    if not fitted:
        step.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        step.n_features_in_ = X.shape[1]
        return X.set_axis(step.feature_names_in_, axis=1)
    check_fitted(step)
    X = X.set_axis([str(c) for c in X.columns], axis=1)
    missing = [c for c in step.feature_names_in_ if c not in X.columns]
    if missing:
        raise FeatureError(
            f"{name} was fitted on columns {list(step.feature_names_in_)}; "
            f"the data lacks {missing}.",
            field=missing[0],
        )
    return X[list(step.feature_names_in_)]


def check_fitted(step: Any) -> None:
    """Raise FeatureError (not scikit-learn's NotFittedError) when ``step`` is not fitted."""
    try:
        check_is_fitted(step)
    except NotFittedError:
        name = type(step).__name__
        raise FeatureError(f"This {name} is not fitted yet: call fit first.") from None


def check_input_features(step: Any, input_features: Any) -> None:
    """``get_feature_names_out``'s argument, when given, must be the fitted input names."""
    check_fitted(step)
    if input_features is not None and list(input_features) != list(step.feature_names_in_):
        raise FeatureError(
            f"{type(step).__name__} was fitted on columns {list(step.feature_names_in_)}. "
            f"Got input_features {list(input_features)} instead."
        )
