"""FeaturePipeline: one fitted object that training, batch scoring and serving all use.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [31.0, None, 27.0, 52.0, 45.0, 38.0],
    ...                       "plan": ["pro", "free", "pro", None, "pro", "free"],
    ...                       "churned": [0, 1, 0, 1, 1, 0]})
    >>> spec = {"numeric": {"scale": "none"}, "categorical": {"rare_below": 0}}
    >>> pipe = FeaturePipeline(spec, target="churned").fit(frame)
    >>> pipe.feature_names_out_
    ['age', 'missingindicator_age', 'plan_<missing>', 'plan_free', 'plan_pro']
    >>> pipe.transform_one({"age": None, "plan": "gold"}).tolist()  # median age; unseen plan
    [38.0, 1.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError as PydanticValidationError
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator

from keel.data import Schema, infer_schema
from keel.errors import FeatureError
from keel.features._build import Plan, plan_steps
from keel.features._checks import check_output, find_leaky_features
from keel.features._compile import compile_record_function
from keel.features._contract import check_fitted
from keel.features._prepare import category_column, numeric_column
from keel.features._report import FeatureReport, build_report
from keel.features._spec import FeatureSpec
from keel.features._task import Task, detect_task

__all__ = ["FeaturePipeline"]


class FeaturePipeline(TransformerMixin, BaseEstimator):
    """Declarative feature engineering compiled to one fitted scikit-learn pipeline.

    Args:
        spec: the ``features:`` settings, as a FeatureSpec or a plain mapping.
        schema: the data's schema (types and roles); inferred from the data when None.
        target: the target column; when ``fit`` gets no ``y``, it is read from this column.
        task: "auto", "binary", "multiclass" or "regression".
        random_state: seed for every random choice (cross-fitting folds, samples).
        history: where lag features keep each entity's recent rows for serving (a
            keel.features.HistoryStore such as StoreHistory); in the pipeline itself
            (MemoryHistory) when None.

    ``fit_transform`` returns the training features (target encodings out-of-fold, lags
    within the training rows); ``transform`` is for new rows; ``transform_one`` is the
    single-record fast path and gives exactly ``transform``'s row for the same record.
    After fitting, ``feature_sources_`` holds, for each of ``feature_names_out_``, the tuple
    of input columns it is made from (two for an interaction term).
    """

    def __init__(
        self,
        spec: FeatureSpec | Mapping[str, Any] | None = None,
        schema: Schema | None = None,
        target: str | None = None,
        task: str = "auto",
        random_state: int = 0,
        history: Any = None,
    ):
        self.spec = spec
        self.schema = schema
        self.target = target
        self.task = task
        self.random_state = random_state
        self.history = history

    def fit(self, X: pd.DataFrame, y: Any = None) -> FeaturePipeline:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> np.ndarray:
        frame, target = self._split_target(_as_frame(X), y)
        spec = _as_spec(self.spec)
        schema = self.schema if self.schema is not None else infer_schema(frame)
        task = detect_task(target, self.task) if target is not None else None
        plan = plan_steps(spec, schema, self.target, task, self.random_state, self.history)
        _require_columns(frame, [c for _, _, columns in plan.branches for c in columns])
        columns = ColumnTransformer(
            plan.branches, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False
        )
        prepared = _prepare(frame, plan)
        try:
            out = np.ascontiguousarray(columns.fit_transform(prepared, target), dtype=np.float64)
        except ValueError as exc:
            raise FeatureError(f"Fitting the feature pipeline failed: {exc}") from None
        names = [str(n) for n in columns.get_feature_names_out()]
        out, names, after = _fit_after(plan, out, names, target)
        check_output(out, names)
        leaky = []
        if target is not None:
            leaky = find_leaky_features(
                out,
                np.asarray(target),
                names,
                task or "regression",
                threshold=spec.leakage_threshold,
                random_state=self.random_state,
            )
        for finding in leaky:
            warnings.warn(finding.message, stacklevel=2)
        self.task_: Task | None = task
        self.plan_ = plan
        self.columns_ = columns
        self.after_ = after
        self.feature_names_out_ = names
        self.input_columns_ = list(dict.fromkeys(c for _, _, cs in plan.branches for c in cs))
        self.feature_sources_ = _feature_sources(columns, names)
        self.report_: FeatureReport = build_report(plan, columns, after, names, leaky)
        self._one: Callable[[Mapping[str, Any]], np.ndarray] | None = None
        return out

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Features for new rows: array of shape (n_rows, n_features), float64, finite."""
        check_fitted(self)
        frame = _as_frame(X)
        _require_columns(frame, self.input_columns_)
        out = np.ascontiguousarray(
            self.columns_.transform(_prepare(frame, self.plan_)), dtype=np.float64
        )
        for _, step in self.after_:
            out = np.ascontiguousarray(step.transform(out), dtype=np.float64)
        return out

    def transform_one(self, record: Mapping[str, Any]) -> np.ndarray:
        """Features for one record (a dict of column -> raw value; absent means missing).

        Returns:
            array of shape (n_features,), equal to ``transform`` of that record as one row.
        """
        one = self.__dict__.get("_one")
        if one is None:
            check_fitted(self)
            one = self._one = compile_record_function(self)
        return one(record)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_fitted(self)
        return np.asarray(self.feature_names_out_, dtype=object)

    def _split_target(self, frame: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, Any]:
        if y is None and self.target is not None:
            if self.target not in frame.columns:
                raise FeatureError(
                    f"The target column {self.target!r} is not in the data.", field=self.target
                )
            y = frame[self.target]
            labelled = y.notna().to_numpy()
            if not labelled.all():
                frame, y = frame.loc[labelled], y.loc[labelled]
        if self.target is not None and self.target in frame.columns:
            frame = frame.drop(columns=[self.target])
        return frame, (None if y is None else pd.Series(np.asarray(y), index=frame.index))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_one", None)  # a compiled closure; rebuilt on first use after loading
        return state


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    if hasattr(X, "to_pandas"):
        return X.to_pandas()
    raise FeatureError(f"Features are made from a DataFrame; got {type(X).__name__} instead.")


def _as_spec(spec: FeatureSpec | Mapping[str, Any] | None) -> FeatureSpec:
    if isinstance(spec, FeatureSpec):
        return spec
    try:
        return FeatureSpec.model_validate(dict(spec or {}))
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        where = "features." + ".".join(str(p) for p in error["loc"])
        raise FeatureError(
            f"The '{where}' setting {error['msg'].lower()}. Got {error.get('input')!r} instead.",
            field=where,
        ) from None


def _require_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise FeatureError(
            f"The data has no column {', '.join(map(repr, missing))}, which the feature "
            f"pipeline needs. Columns present: {', '.join(map(str, frame.columns))}.",
            field=missing[0],
        )


def _prepare(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The input columns in canonical form (see keel.features._prepare)."""
    prepared: dict[str, Any] = {}
    for _, _, columns in plan.branches:
        for column in columns:
            if column in prepared:
                continue
            kind = plan.kinds.get(column)
            if kind == "numeric":
                prepared[column] = numeric_column(frame[column])
            elif kind == "categorical":
                prepared[column] = category_column(frame[column])
            else:
                prepared[column] = frame[column].to_numpy()
    return pd.DataFrame(prepared, index=frame.index, copy=False)


def _fit_after(
    plan: Plan, out: np.ndarray, names: list[str], target: Any
) -> tuple[np.ndarray, list[str], list[tuple[str, Any]]]:
    fitted = []
    for name, template in plan.after:
        step = clone(template)
        out = np.ascontiguousarray(
            step.fit_transform(pd.DataFrame(out, columns=names, copy=False), target),
            dtype=np.float64,
        )
        names = [str(n) for n in step.get_feature_names_out()]
        fitted.append((name, step))
    return out, names, fitted


def _feature_sources(columns: ColumnTransformer, names: list[str]) -> list[tuple[str, ...]]:
    """The input column(s) each output feature in ``names`` is made from, so explanations
    can speak in the data's columns: an interaction term has two, a hash bucket all of its
    branch's inputs, every other feature one. Steps after the ColumnTransformer select."""
    produced = [str(n) for n in columns.get_feature_names_out()]
    made: dict[str, tuple[str, ...]] = {}
    for branch, step, inputs in columns.transformers_:
        if isinstance(step, str):  # the dropped remainder
            continue
        outputs = produced[columns.output_indices_[branch]]
        sources = _branch_sources(step, [str(c) for c in inputs], outputs)
        made.update(zip(outputs, sources, strict=True))
    everything = tuple(dict.fromkeys(c for source in made.values() for c in source))
    return [made.get(name, everything) for name in names]


def _branch_sources(step: Any, inputs: list[str], outputs: list[str]) -> list[tuple[str, ...]]:
    if len(inputs) == 1:
        return [tuple(inputs)] * len(outputs)
    terms = getattr(step, "terms_", None)
    if terms is not None:  # Interactions and AutoInteractions index their columns_
        pairs = ((step.columns_[t.left], step.columns_[t.right]) for t in terms)
        return [tuple(dict.fromkeys(pair)) for pair in pairs]
    if isinstance(step, MissingIndicator):  # named "missingindicator_<column>"
        return [(inputs[i],) for i in step.features_]
    # Every other step names its outputs "<column>" or "<column>_<suffix>".
    return [_longest_prefix(name, inputs) for name in outputs]


def _longest_prefix(name: str, inputs: list[str]) -> tuple[str, ...]:
    matches = [c for c in inputs if name == c or name.startswith(f"{c}_")]
    return (max(matches, key=len),) if matches else tuple(inputs)
