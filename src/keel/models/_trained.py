"""Trained: the model a package holds — input signature, feature pipeline, member models
and how their outputs combine — independent of how it was trained.

A Trained comes from an AutoML run (`Trained.from_automl`), from any fitted estimator
(`Trained.from_estimator`, for models trained outside keel), or from a loaded package
(``ModelPackage.trained()``). Its ``output`` is what the training side predicted: the
same member calls, the same ensemble, so a loaded package reproduces AutoML exactly.

Example:
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from keel.data import infer_schema
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(frame, ["no", "no", "yes", "yes"])
    >>> trained = Trained.from_estimator(model, infer_schema(frame))
    >>> trained.task, trained.classes, trained.predict(frame).tolist()
    ('binary', ['no', 'yes'], ['no', 'no', 'yes', 'yes'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.data import Schema
from keel.errors import ModelError
from keel.features import FeaturePipeline
from keel.train._catalog import get_algorithm
from keel.train._ensemble import EnsembleChoice

if TYPE_CHECKING:
    from keel.train import AutoML

__all__ = ["EXTERNAL", "TASKS", "Trained"]

TASKS = ("binary", "multiclass", "regression")
#: The family of a member trained outside keel's catalog: any estimator with ``predict``
#: (and ``predict_proba`` for classification) over the schema's feature columns.
EXTERNAL = "external"


@dataclass
class Trained:
    """A trained model: what a package stores and what both prediction backends run.

    Args:
        task: "binary", "multiclass" or "regression".
        classes: the original labels, in the order of the probability columns; None for
            regression.
        schema: the input signature; its ``features()`` are the model's input columns.
        features: the fitted feature pipeline, or None when the members take the schema's
            feature columns as a DataFrame (an imported scikit-learn Pipeline, say).
        members: (family, params, fitted estimator) per member model.
        choice: how member outputs combine (single, blend or stack); None for one member.
        metric: the metric the model was selected on, when known.
    """

    task: str
    classes: list[Any] | None
    schema: Schema
    features: FeaturePipeline | None
    members: list[tuple[str, dict[str, Any], Any]]
    choice: EnsembleChoice | None
    metric: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ModelError(
                f"The task must be one of {', '.join(TASKS)}. Got {self.task!r} instead.",
                field="task",
            )
        self.classes = _checked_classes(self.task, self.classes)
        _check_members(self.members, self.choice)

    @classmethod
    def from_automl(cls, model: AutoML, schema: Schema) -> Trained:
        """The model a fitted ``keel.train.AutoML`` chose, with ``schema`` as its signature.

        Raises:
            ModelError: ``model`` is not fitted, or ``schema`` lacks a column its feature
                pipeline reads.
        """
        fitted = getattr(model, "model_", None)
        if fitted is None:
            raise ModelError("The AutoML model is not fitted; call fit before packaging it.")
        features: FeaturePipeline = model.features_
        missing = [c for c in features.input_columns_ if c not in schema.names]
        if missing:
            raise ModelError(
                f"The schema lacks the columns {missing} that the feature pipeline reads; "
                "give the schema of the data the model was trained on.",
                field="schema",
            )
        classes = None if model.task_ == "regression" else list(model.classes_)
        members, metric = list(fitted.members), model.metric_.name
        return cls(model.task_, classes, schema, features, members, fitted.choice, metric)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        schema: Schema,
        *,
        task: str | None = None,
        classes: Sequence[Any] | None = None,
    ) -> Trained:
        """Wrap a fitted estimator that takes ``schema``'s feature columns as a DataFrame.

        Args:
            estimator: a fitted model with ``predict`` (and ``predict_proba`` for
                classification): a scikit-learn Pipeline, an LGBMClassifier...
            task: inferred when None: a classifier with two ``classes_`` is binary, more
                is multiclass, anything else regression.
            classes: the labels of the probability columns; the estimator's ``classes_``
                when None.

        Raises:
            ModelError: the estimator is not fitted, lacks a method its task needs, or
                ``classes`` does not match its ``classes_``.
        """
        _check_fitted(estimator)
        known = _estimator_classes(estimator)
        task = task or _infer_task(estimator, known)
        if task != "regression":
            classes = _external_classes(estimator, known, classes)
        return cls(
            task,
            None if classes is None else list(classes),
            schema,
            None,
            [(EXTERNAL, _simple_params(estimator), estimator)],
            None,
        )

    @property
    def description(self) -> str:
        """What the model is: ``"lightgbm"``, ``"blend of lightgbm, xgboost"``..."""
        names = ", ".join(family for family, _, _ in self.members)
        kind = "single" if self.choice is None else self.choice.kind
        return names if kind == "single" else f"{kind} of {names}"

    def feature_matrix(self, frame: pd.DataFrame) -> np.ndarray | pd.DataFrame:
        """What the members take: the feature pipeline's array of shape (n_rows,
        n_features), or, without a pipeline, the schema's feature columns of ``frame``."""
        if not isinstance(frame, pd.DataFrame):
            raise ModelError(f"A model predicts on a DataFrame; got {type(frame).__name__}.")
        if self.features is not None:
            return self.features.transform(frame)
        names = [column.name for column in self.schema.features()]
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ModelError(
                f"The input lacks the feature columns {missing} of the model's schema.",
                field=missing[0],
            )
        return frame[names]

    def output(self, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities of shape (n_rows, n_classes) in ``classes`` order, or values of
        shape (n_rows,) for regression."""
        X = self.feature_matrix(frame)
        outputs = [self._member_output(family, model, X) for family, _, model in self.members]
        return combine(outputs, self.choice)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Labels (the original class values) or regression values, one per row."""
        output = self.output(frame)
        if self.classes is None:
            return output
        return np.asarray(self.classes)[np.argmax(output, axis=1)]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), columns in ``classes`` order."""
        if self.classes is None:
            raise ModelError("predict_proba is for classification; this model is a regressor.")
        return self.output(frame)

    def _member_output(self, family: str, model: Any, X: Any) -> np.ndarray:
        if family != EXTERNAL:
            return get_algorithm(family).predict(model, X, self.task)
        if self.classes is None:
            return np.asarray(model.predict(X), dtype=np.float64).reshape(len(X))
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        if proba.ndim != 2 or proba.shape[1] != len(self.classes):
            raise ModelError(
                f"The external model gave probabilities of shape {proba.shape}; expected "
                f"({len(X)}, {len(self.classes)}), one column per class {self.classes}."
            )
        return proba


def combine(outputs: list[np.ndarray], choice: EnsembleChoice | None) -> np.ndarray:
    """The members' ``outputs`` (in member order) combined as ``choice`` says; the same
    arithmetic as ``keel.train._finalize.FittedModel.predict``."""
    if choice is None or choice.kind == "single":
        return outputs[0]
    # The choice indexes the finalists of the search; only its members were kept.
    by_finalist: list[Any] = [None] * (max(choice.members) + 1)
    for index, output in zip(choice.members, outputs, strict=True):
        by_finalist[index] = output
    return choice.predict(by_finalist)


def _checked_classes(task: str, classes: Sequence[Any] | None) -> list[Any] | None:
    if task == "regression":
        if classes:
            raise ModelError("A regression model has no classes.", field="classes")
        return None
    if classes is None or len(classes) < 2:
        raise ModelError(
            f"A {task} model needs two or more classes. Got {classes!r} instead.",
            field="classes",
        )
    plain = [c.item() if isinstance(c, np.generic) else c for c in classes]
    odd = [c for c in plain if not isinstance(c, str | int | float | bool)]
    if odd:
        raise ModelError(
            f"Class labels must be strings, numbers or booleans. Got {odd[0]!r} "
            f"({type(odd[0]).__name__}) instead.",
            field="classes",
        )
    return plain


def _check_members(members: list[tuple[str, dict[str, Any], Any]], choice: Any) -> None:
    if not members:
        raise ModelError("A trained model needs at least one member model.", field="members")
    if choice is not None and choice.kind != "single" and len(choice.members) != len(members):
        raise ModelError(
            f"The {choice.kind} combines {len(choice.members)} models but {len(members)} "
            "members were given; give one member per model of the ensemble.",
            field="members",
        )


def _check_fitted(estimator: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(estimator, "predict"):
        raise ModelError(f"{type(estimator).__name__} has no predict method; it is not a model.")
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise ModelError(
            f"{type(estimator).__name__} is not fitted; fit it before packaging it."
        ) from None
    except TypeError:  # not a scikit-learn estimator: trust its predict
        pass


def _estimator_classes(estimator: Any) -> list[Any] | None:
    try:
        classes = getattr(estimator, "classes_", None)
    except AttributeError:
        return None
    return None if classes is None else list(np.asarray(classes).tolist())


def _infer_task(estimator: Any, known: list[Any] | None) -> str:
    if known is None or not hasattr(estimator, "predict_proba"):
        return "regression"
    return "binary" if len(known) == 2 else "multiclass"


def _external_classes(
    estimator: Any, known: list[Any] | None, classes: Sequence[Any] | None
) -> list[Any]:
    if not hasattr(estimator, "predict_proba"):
        raise ModelError(
            f"{type(estimator).__name__} has no predict_proba, which a classifier needs.",
            field="task",
        )
    if classes is None:
        if known is None:
            raise ModelError(
                f"{type(estimator).__name__} has no classes_; pass classes=[...].",
                field="classes",
            )
        return known
    if known is not None and len(known) != len(classes):
        raise ModelError(
            f"classes lists {len(classes)} labels but the model has {len(known)} classes "
            f"({known}); give one label per probability column.",
            field="classes",
        )
    return list(classes)


def _simple_params(estimator: Any) -> dict[str, Any]:
    """The estimator's own scalar hyperparameters (nested steps are left out)."""
    try:
        params = estimator.get_params(deep=False)
    except (AttributeError, TypeError):
        return {}
    return {k: v for k, v in params.items() if v is None or isinstance(v, str | int | float)}
