"""CatBoost members as CatBoost's own binary model format (``.cbm``), when CatBoost is
installed (it is an optional family).

Example:
    >>> is_catboost(object())
    False
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from keel.errors import PackageError

__all__ = ["CATBOOST_ESTIMATORS", "dump_catboost", "is_catboost", "load_catboost"]

CATBOOST_ESTIMATORS = ("CatBoostClassifier", "CatBoostRegressor")


def is_catboost(estimator: Any) -> bool:
    """Whether ``estimator`` is a CatBoost scikit-learn model."""
    kind = type(estimator)
    return kind.__name__ in CATBOOST_ESTIMATORS and kind.__module__.startswith("catboost")


def dump_catboost(estimator: Any) -> bytes:
    """The ``.cbm`` bytes of a fitted CatBoostClassifier or CatBoostRegressor."""
    with tempfile.TemporaryDirectory(prefix="keel-cbm-") as folder:
        path = Path(folder) / "model.cbm"
        estimator.save_model(str(path), format="cbm")
        return path.read_bytes()


def load_catboost(data: bytes, *, estimator: str, file: str) -> Any:
    """The CatBoost model named ``estimator`` loaded from ``.cbm`` bytes.

    Raises:
        PackageError: CatBoost is not installed, the name is not a CatBoost model class, or
            CatBoost refuses the bytes.
    """
    if estimator not in CATBOOST_ESTIMATORS:
        raise PackageError(
            f"{file}: the CatBoost estimator must be one of {', '.join(CATBOOST_ESTIMATORS)}. "
            f"Got {estimator!r} instead.",
            file=file,
        )
    try:
        catboost = importlib.import_module("catboost")
    except ImportError:
        raise PackageError(
            f"{file} is a CatBoost model and CatBoost is not installed: pip install catboost",
            file=file,
        ) from None
    model = getattr(catboost, estimator)()
    try:
        model.load_model(blob=data, format="cbm")
    except Exception as exc:  # CatBoostError: the library has no narrower type for this
        raise PackageError(f"{file} is not a CatBoost model: {exc}", file=file) from None
    return model
