"""What an estimator loaded from MLflow is: its task, its classes and its input columns,
read from the estimator itself (scikit-learn's ``classes_`` and ``feature_names_in_``, a
LightGBM Booster's objective and feature names).

Example:
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0]], ["no", "yes", "yes"])
    >>> estimator_task(model, source="example")
    ('binary', ['no', 'yes'])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keel.errors import ModelError

__all__ = ["estimator_columns", "estimator_task", "keel_estimator"]

_BINARY_OBJECTIVES = {"binary", "cross_entropy", "xentropy"}
_MULTICLASS_OBJECTIVES = {"multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"}
_RANKING_OBJECTIVES = {
    "lambdarank",
    "rank_xendcg",
    "xendcg",
    "xe_ndcg",
    "xe_ndcg_mart",
    "xendcg_mart",
}


def estimator_task(estimator: Any, *, source: str) -> tuple[str, list[Any] | None]:
    """``(task, classes)``: "binary"/"multiclass" with the labels in ``predict_proba``'s
    column order, or ("regression", None).

    Raises:
        ModelError: the estimator is neither a classifier nor a regressor.
    """
    if _is_booster(estimator):
        return _booster_task(estimator, source)
    classes = _classes(estimator)
    if classes is not None:
        return ("binary" if len(classes) == 2 else "multiclass"), classes
    from sklearn.base import is_regressor

    if is_regressor(estimator):
        return "regression", None
    raise ModelError(
        f"The model at {source} ({type(estimator).__name__}) is neither a classifier (no "
        "classes_) nor a regressor; keel imports classifiers and regressors only.",
        field="estimator",
    )


def estimator_columns(estimator: Any) -> list[str] | None:
    """The input columns the estimator was fitted on, in its order; None when unnamed."""
    names: list[str] | None
    if _is_booster(estimator):
        names = [str(name) for name in estimator.feature_name()]
    else:
        named = getattr(estimator, "feature_names_in_", None)
        names = None if named is None else [str(name) for name in named]
    # LightGBM names unnamed inputs Column_0, Column_1, ...: those say nothing.
    if not names or all(name == f"Column_{i}" for i, name in enumerate(names)):
        return None
    return names


def keel_estimator(estimator: Any, classes: list[Any] | None) -> Any:
    """An estimator with scikit-learn's ``predict``/``predict_proba``: a bare LightGBM
    Booster becomes keel's `LightGBMMember`; anything else is returned as it is."""
    if _is_booster(estimator):
        from keel.models._native_lightgbm import LightGBMMember

        return LightGBMMember(estimator, classes)
    return estimator


def _classes(estimator: Any) -> list[Any] | None:
    try:
        classes = estimator.classes_
    except AttributeError:  # a regressor, or a Pipeline ending in one
        return None
    return None if classes is None else list(np.asarray(classes).tolist())


def _is_booster(estimator: Any) -> bool:
    try:
        import lightgbm
    except ImportError:
        return False
    return isinstance(estimator, lightgbm.Booster)


def _booster_task(booster: Any, source: str) -> tuple[str, list[Any] | None]:
    """A Booster keeps no labels: its classes are 0..k-1, the integers it was trained on."""
    objective = str(booster.params.get("objective", "regression")).split()[0]
    if objective in _BINARY_OBJECTIVES:
        return "binary", [0, 1]
    if objective in _MULTICLASS_OBJECTIVES:
        return "multiclass", list(range(int(booster.params["num_class"])))
    if objective in _RANKING_OBJECTIVES:
        raise ModelError(
            f"The LightGBM model at {source} ranks (objective {objective!r}); keel imports "
            "classifiers and regressors only.",
            field="objective",
        )
    return "regression", None
