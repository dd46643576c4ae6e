"""From a FeatureSpec and the data's schema to the scikit-learn steps that do the work.

Each kind of column becomes one branch of a ColumnTransformer (columns with the same
effective settings share a branch); selection runs after, on the joined output. The
branches are scikit-learn's own transformers wherever one does the job; keel's own fill the
gaps (per-entity lags, datetime parts, frequency and hashing encoders, interactions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from keel.data import Schema
from keel.errors import FeatureError
from keel.features._datetime import DatetimeFeatures
from keel.features._encoders import FrequencyEncoder, HashingEncoder, Log1p, QuantileClipper
from keel.features._interactions import Interactions
from keel.features._interactions_auto import AutoInteractions
from keel.features._lags import LagFeatures
from keel.features._selection import FeatureSelector
from keel.features._spec import Bins, CategoricalSpec, FeatureSpec, InteractionSpec, NumericSpec
from keel.features._task import Task
from keel.features._text import TextFeatures

__all__ = ["Plan", "plan_steps"]

_NUMERIC_TYPES = ("numeric", "integer", "boolean")
_NOT_INPUTS = {"target", "id", "ignore", "timestamp", "entity"}


@dataclass
class Plan:
    """The branches of the ColumnTransformer and the steps after it."""

    branches: list[tuple[str, Any, list[str]]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # input column -> its kind
    excluded: dict[str, str] = field(default_factory=dict)  # column -> why it is not used
    after: list[tuple[str, BaseEstimator]] = field(default_factory=list)


def plan_steps(
    spec: FeatureSpec,
    schema: Schema,
    target: str | None,
    task: Task | None,
    seed: int,
    history: Any = None,
) -> Plan:
    """The steps that turn the columns of ``schema`` into features, as ``spec`` says."""
    plan = Plan()
    _sort_columns(plan, spec, schema, target)
    _check_named_columns(spec, schema)
    numeric = [c for c, kind in plan.kinds.items() if kind == "numeric"]
    _numeric_branches(plan, spec, numeric)
    categorical = [c for c, kind in plan.kinds.items() if kind == "categorical"]
    _categorical_branches(plan, spec, categorical, task, seed)
    datetimes = [c for c, kind in plan.kinds.items() if kind == "datetime"]
    if datetimes:
        parts: list[str] = list(spec.datetime)
        plan.branches.append(
            ("datetime", DatetimeFeatures(parts=parts, reference=spec.reference_time), datetimes)
        )
    texts = [c for c, kind in plan.kinds.items() if kind == "text"]
    if texts:
        text = TextFeatures(
            max_features=spec.text.max_features, ngram_range=(1, spec.text.ngram_max)
        )
        plan.branches.append(("text", text, texts))
    _lag_branch(plan, spec, history)
    _interaction_branch(plan, spec, numeric, task, seed)
    if spec.select is not None:
        if task is None:
            raise FeatureError(
                "features.select needs a target to select by.", field="features.select"
            )
        select = spec.select
        methods: str | list[str] = (
            list(select.method) if isinstance(select.method, list) else select.method
        )
        plan.after.append(
            (
                "select",
                FeatureSelector(
                    method=methods,
                    task=task,
                    keep=select.keep,
                    threshold=select.threshold,
                    random_state=seed,
                ),
            )
        )
    if not plan.branches:
        raise FeatureError(
            "No column is left to make features from: every column is the target, an id, "
            "ignored or dropped.",
            field="features",
        )
    return plan


def _sort_columns(plan: Plan, spec: FeatureSpec, schema: Schema, target: str | None) -> None:
    if target is not None:
        plan.excluded[target] = "the target"
    for column in schema.columns:
        override = spec.columns.get(column.name)
        if column.name == target or column.role == "target":
            plan.excluded[column.name] = "the target"
        elif column.role in _NOT_INPUTS:
            plan.excluded[column.name] = f"role {column.role} in the schema"
        elif override is not None and override.drop:
            plan.excluded[column.name] = "drop: true in features.columns"
        else:
            plan.kinds[column.name] = "numeric" if column.type in _NUMERIC_TYPES else column.type


def _check_named_columns(spec: FeatureSpec, schema: Schema) -> None:
    known = {c.name for c in schema.columns}
    for name in spec.columns:
        if name not in known:
            raise FeatureError(
                f"features.columns names {name!r}, which is not a column of the data. "
                f"Columns: {', '.join(sorted(known))}.",
                field=f"features.columns.{name}",
            )


def _groups(columns: list[str], settings: Any) -> dict[Any, list[str]]:
    groups: dict[Any, list[str]] = {}
    for column in columns:
        groups.setdefault(settings(column), []).append(column)
    return groups


def _numeric_branches(plan: Plan, spec: FeatureSpec, columns: list[str]) -> None:
    groups = _groups(columns, lambda c: spec.settings_for(c, "numeric"))
    for index, (settings, names) in enumerate(groups.items()):
        plan.branches.append((f"numeric{index}", _numeric_pipeline(settings), names))
    flagged = [c for c in columns if spec.settings_for(c, "numeric").indicator]
    if flagged:
        indicator = MissingIndicator(features="missing-only", error_on_new=False)
        plan.branches.append(("missing", indicator, flagged))


def _numeric_pipeline(settings: NumericSpec) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    if settings.impute != "none":
        steps.append(
            (
                "impute",
                SimpleImputer(
                    strategy=settings.impute,
                    fill_value=settings.fill_value,
                    keep_empty_features=True,
                ),
            )
        )
    if settings.transform == "log":
        steps.append(("log", Log1p()))
    elif settings.transform != "none":
        method = "box-cox" if settings.transform == "box_cox" else "yeo-johnson"
        steps.append(("power", PowerTransformer(method=method, standardize=False)))
    if settings.clip is not None:
        steps.append(("clip", QuantileClipper(lower=settings.clip[0], upper=settings.clip[1])))
    if settings.bins is not None:
        steps.append(("bins", _binner(settings.bins)))
    elif settings.scale != "none":
        steps.append(("scale", _scaler(settings.scale)))
    if not steps:
        steps.append(
            (
                "identity",
                SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True),
            )
        )
    pipeline = Pipeline(steps)
    if settings.transform == "log" or settings.clip is not None:
        # keel's Log1p and QuantileClipper name their outputs after their input columns.
        pipeline.set_output(transform="pandas")
    return pipeline


def _binner(bins: Bins) -> KBinsDiscretizer:
    encode = "onehot-dense" if bins.encode == "onehot" else "ordinal"
    options: dict[str, Any] = {"n_bins": bins.n, "encode": encode, "strategy": bins.strategy}
    if bins.strategy == "quantile":
        options["quantile_method"] = "averaged_inverted_cdf"
    return KBinsDiscretizer(**options)


def _scaler(scale: str) -> BaseEstimator:
    if scale == "standard":
        return StandardScaler()
    if scale == "robust":
        return RobustScaler()
    if scale == "minmax":
        return MinMaxScaler()
    return QuantileTransformer(n_quantiles=1000, subsample=100_000, random_state=0)


def _categorical_branches(
    plan: Plan, spec: FeatureSpec, columns: list[str], task: Task | None, seed: int
) -> None:
    groups = _groups(columns, lambda c: spec.settings_for(c, "categorical"))
    for index, (settings, names) in enumerate(groups.items()):
        encoder = _encoder(settings, task, seed, names)
        plan.branches.append((f"categorical{index}", encoder, names))


def _encoder(settings: CategoricalSpec, task: Task | None, seed: int, names: list[str]) -> Any:
    rare: float | int | None = settings.rare_below or None
    if rare is not None and rare >= 1:
        rare = int(rare)
    if settings.encode == "onehot":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=rare,
            max_categories=settings.max_categories,
            sparse_output=False,
        )
    if settings.encode == "ordinal":
        return OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            min_frequency=rare,
            max_categories=settings.max_categories,
        )
    if settings.encode == "frequency":
        return FrequencyEncoder()
    if settings.encode == "hashing":
        return HashingEncoder(n_features=settings.hash_buckets)
    if task is None:
        raise FeatureError(
            f"Target encoding of {', '.join(names)} needs a target: set data.target or pass y.",
            field="features.categorical.encode",
        )
    # Cross-fitting folds: a row's encoding never sees its own target.
    if task == "regression":
        return TargetEncoder(target_type="continuous", cv=KFold(5, shuffle=True, random_state=seed))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return TargetEncoder(target_type=task, cv=folds)


def _lag_branch(plan: Plan, spec: FeatureSpec, history: Any) -> None:
    lags = spec.lags
    if lags is None:
        return
    inputs = [lags.by, *([lags.time] if lags.time else []), *lags.columns]
    step = LagFeatures(
        by=lags.by,
        time=lags.time,
        columns=list(lags.columns),
        lags=list(lags.lags),
        windows=list(lags.windows),
        stats=list(lags.stats),
        ewm=list(lags.ewm),
        diffs=list(lags.diffs),
        history=history,
    )
    plan.branches.append(("lags", step, list(dict.fromkeys(inputs))))


def _interaction_branch(
    plan: Plan, spec: FeatureSpec, numeric: list[str], task: Task | None, seed: int
) -> None:
    wanted = spec.interactions
    if wanted is None:
        return
    if wanted == "auto":
        if task is None:
            raise FeatureError(
                "interactions: auto needs a target to score candidates by.",
                field="features.interactions",
            )
        if len(numeric) >= 2:
            step: Any = AutoInteractions(task=task, random_state=seed)
            plan.branches.append(("interactions", step, numeric))
        return
    assert isinstance(wanted, InteractionSpec)
    used = [c for pair in [*wanted.pairs, *wanted.ratios] for c in pair] + list(wanted.polynomial)
    step = Interactions(
        pairs=list(wanted.pairs), ratios=list(wanted.ratios), polynomial=list(wanted.polynomial)
    )
    plan.branches.append(("interactions", step, list(dict.fromkeys(used))))
