"""LightGBM members as LightGBM's own text format, loaded into a Booster that predicts
exactly like the LGBMClassifier or LGBMRegressor it was saved from.

Text rather than a pickle of the scikit-learn wrapper: the text is LightGBM's stable,
documented model format, it cannot run code when read, and it loads without keel.

Example:
    >>> import numpy as np, lightgbm
    >>> X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    >>> model = lightgbm.LGBMClassifier(n_estimators=5, min_child_samples=2, verbose=-1)
    >>> model = model.fit(X, y)
    >>> loaded = load_lightgbm(dump_lightgbm(model), classes=[0, 1], file="0.lgb.txt")
    >>> bool(np.array_equal(loaded.predict_proba(X), model.predict_proba(X)))
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keel.errors import PackageError

__all__ = ["LightGBMMember", "dump_lightgbm", "is_lightgbm", "load_lightgbm"]


class LightGBMMember:
    """A LightGBM Booster with the scikit-learn wrapper's ``predict`` and ``predict_proba``.

    Args:
        booster: the loaded ``lightgbm.Booster``.
        classes: the labels of the probability columns (the wrapper's ``classes_``), or None
            for a regressor.
    """

    def __init__(self, booster: Any, classes: list[Any] | None = None):
        self.booster_ = booster
        self.classes_ = None if classes is None else np.asarray(classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of shape (n_samples, n_classes), as LGBMClassifier gives them."""
        if self.classes_ is None:
            raise PackageError("This LightGBM member is a regressor; it has no probabilities.")
        raw = np.asarray(self.booster_.predict(X))
        if raw.ndim == 1:  # binary: LightGBM returns the positive class only
            return np.vstack((1.0 - raw, raw)).transpose()
        return raw

    def predict(self, X: Any) -> np.ndarray:
        """Values (regressor) or the label of the most probable class (classifier)."""
        if self.classes_ is None:
            return np.asarray(self.booster_.predict(X))
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def n_features_in_(self) -> int:
        return int(self.booster_.num_feature())


def is_lightgbm(estimator: Any) -> bool:
    """Whether ``estimator`` is a fitted LightGBM scikit-learn model or a `LightGBMMember`."""
    if isinstance(estimator, LightGBMMember):
        return True
    try:
        import lightgbm
    except ImportError:
        return False
    return isinstance(estimator, lightgbm.LGBMModel)


def dump_lightgbm(estimator: Any) -> bytes:
    """The model text of a fitted LGBMModel (or `LightGBMMember`): its best iteration when
    it stopped early, which is also the iteration its ``predict`` uses."""
    booster = getattr(estimator, "booster_", None)
    if booster is None:
        raise PackageError(f"{type(estimator).__name__} is not a fitted LightGBM model.")
    return str(booster.model_to_string()).encode("utf-8")


def load_lightgbm(data: bytes, *, classes: list[Any] | None, file: str) -> LightGBMMember:
    """A `LightGBMMember` from model text made by `dump_lightgbm`.

    Raises:
        PackageError: the text is not a LightGBM model (``.file`` names it).
    """
    import lightgbm

    try:
        booster = lightgbm.Booster(model_str=data.decode("utf-8"))
    except (UnicodeDecodeError, lightgbm.basic.LightGBMError) as exc:
        raise PackageError(f"{file} is not a LightGBM model text: {exc}", file=file) from None
    return LightGBMMember(booster, classes)
