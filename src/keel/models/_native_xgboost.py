"""XGBoost members as XGBoost's JSON model format, loaded back into the scikit-learn
wrapper (XGBClassifier or XGBRegressor) that wrote it.

``save_model`` of the wrapper keeps what the wrapper needs to predict (number of classes,
best iteration) inside the JSON, so the loaded wrapper predicts exactly as before.

Example:
    >>> import numpy as np, xgboost
    >>> X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    >>> model = xgboost.XGBClassifier(n_estimators=5).fit(X, y)
    >>> loaded = load_xgboost(dump_xgboost(model), estimator="XGBClassifier", file="0.xgb.json")
    >>> bool(np.array_equal(loaded.predict_proba(X), model.predict_proba(X)))
    True
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from keel.errors import PackageError

__all__ = ["XGBOOST_ESTIMATORS", "dump_xgboost", "is_xgboost", "load_xgboost"]

#: The wrapper classes a package may rebuild, by the name the manifest records.
XGBOOST_ESTIMATORS = ("XGBClassifier", "XGBRegressor")


def is_xgboost(estimator: Any) -> bool:
    """Whether ``estimator`` is one of the XGBoost wrappers a package can hold."""
    kind = type(estimator)
    return kind.__name__ in XGBOOST_ESTIMATORS and kind.__module__.startswith("xgboost")


def dump_xgboost(estimator: Any) -> bytes:
    """The JSON model of a fitted XGBClassifier or XGBRegressor."""
    # save_model writes the wrapper's attributes only when given a file name.
    with tempfile.TemporaryDirectory(prefix="keel-xgb-") as folder:
        path = Path(folder) / "model.json"
        estimator.save_model(str(path))
        return path.read_bytes()


def load_xgboost(data: bytes, *, estimator: str, file: str) -> Any:
    """The wrapper named ``estimator`` loaded from JSON made by `dump_xgboost`.

    Raises:
        PackageError: an estimator name keel does not rebuild, or JSON XGBoost refuses.
    """
    import xgboost

    if estimator not in XGBOOST_ESTIMATORS:
        raise PackageError(
            f"{file}: the XGBoost estimator must be one of {', '.join(XGBOOST_ESTIMATORS)}. "
            f"Got {estimator!r} instead.",
            file=file,
        )
    model = getattr(xgboost, estimator)()
    try:
        model.load_model(bytearray(data))
    except xgboost.core.XGBoostError as exc:
        raise PackageError(f"{file} is not an XGBoost JSON model: {exc}", file=file) from None
    return model
