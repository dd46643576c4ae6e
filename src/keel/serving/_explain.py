"""SHAP for one record, on the native model: keel.evaluate's ``explain_one``, or for a
LightGBM booster LightGBM's own TreeSHAP (``pred_contrib``: exact, and about a millisecond,
where ``explain_one`` does not recognize the package's booster wrapper as a tree model).

A package keeps the model as ``keel.models.Trained``: a feature pipeline (or none) in front
of its members. ``explain_one`` reads keel's AutoML shape (``features_`` + ``model_``) or a
plain estimator, so a Trained with a pipeline is shown to it in the AutoML shape, and one
without (an estimator trained outside keel) as its estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keel.errors import EvaluationError
from keel.serving._errors import ApiError
from keel.serving._host import ServedModel
from keel.serving._host_rows import decode_rows

__all__ = ["explain_record"]


def explain_record(served: ServedModel, rows: np.ndarray) -> dict[str, Any]:
    """``LocalExplanation.to_dict()`` of the one validated row in ``rows``.

    Raises:
        ApiError: 501 when the model cannot be explained without background rows (a
            package keeps none: only single tree models are explained).
    """
    from keel.evaluate import explain_one

    trained = served.predictor.trained
    record = decode_rows(rows, served.schema)
    booster = _lone_booster(trained)
    if booster is not None:
        return _booster_shap(booster, record, trained)
    try:
        return explain_one(_explainable(trained), record).to_dict()
    except EvaluationError as exc:
        raise ApiError(501, f"This model cannot be explained here: {exc}") from None


def _lone_booster(trained: Any) -> Any:
    if trained.features is not None or len(trained.members) != 1:
        return None
    return getattr(trained.members[0][2], "booster_", None) if _is_lgb(trained) else None


def _is_lgb(trained: Any) -> bool:
    booster = getattr(trained.members[0][2], "booster_", None)
    return type(booster).__module__.startswith("lightgbm")


def _booster_shap(booster: Any, record: Any, trained: Any) -> dict[str, Any]:
    """LocalExplanation.to_dict()'s shape from LightGBM's contributions (raw score space:
    log-odds for a classifier)."""
    values = np.asarray(booster.predict(record, pred_contrib=True))[0]
    width = record.shape[1] + 1
    label = None
    if trained.classes is not None and len(values) > width:  # multiclass: the top class
        per_class = values.reshape(-1, width)
        pick = int(np.argmax(per_class.sum(axis=1)))
        values, label = per_class[pick], trained.classes[pick]
    elif trained.classes is not None:
        label = trained.classes[-1]
    row = record.iloc[0]
    contributions = sorted(
        (
            {"feature": name, "value": _plain(row[name]), "shap": float(v)}
            for name, v in zip(record.columns, values[:-1], strict=True)
        ),
        key=lambda c: -abs(c["shap"]),
    )
    space = "value" if trained.classes is None else "log_odds"
    return {
        "contributions": contributions,
        "base_value": float(values[-1]),
        "prediction": float(values.sum()),
        "output_space": space,
        "label": _plain(label),
        "explainer": "tree",
    }


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _explainable(trained: Any) -> Any:
    if trained.features is None and len(trained.members) == 1:
        return trained.members[0][2]
    return _AutoMLView(trained)


class _AutoMLView:
    """A Trained as explain_one sees keel's AutoML: ``features_``, ``model_`` (members and a
    ``predict`` on the pipeline's matrix), ``task_`` and ``classes_``."""

    def __init__(self, trained: Any):
        self.features_ = trained.features
        self.model_ = _Members(trained)
        self.task_ = trained.task
        self.classes_ = np.asarray(trained.classes if trained.classes is not None else [])

    def predict(self, frame: Any) -> Any:  # explain_one only checks that it exists
        raise NotImplementedError


class _Members:
    def __init__(self, trained: Any):
        self._trained = trained
        self.members = trained.members

    def predict(self, X: np.ndarray) -> np.ndarray:
        from keel.models._trained import combine

        trained = self._trained
        outputs = [trained._member_output(f, m, X) for f, _, m in trained.members]
        return combine(outputs, trained.choice)
