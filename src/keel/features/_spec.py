"""The ``features:`` section of keel.yaml: what to do to each kind of column.

Defaults make a sound pipeline for a linear model or a tree alike (median imputation with
missing indicators, standard scaling, one-hot with a rare-category bucket, calendar parts
of datetimes); every choice can be changed per kind of column or per column.

Example:
    >>> spec = FeatureSpec.model_validate({"numeric": {"impute": "mean", "scale": "robust"},
    ...                                    "columns": {"income": {"transform": "log"}}})
    >>> spec.settings_for("income", "numeric").transform
    'log'
    >>> spec.settings_for("age", "numeric").scale
    'robust'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CategoricalSpec",
    "ColumnSpec",
    "FeatureSpec",
    "InteractionSpec",
    "LagSpec",
    "NumericSpec",
    "SelectSpec",
    "TextSpec",
]

Impute = Literal["mean", "median", "constant", "none"]
Scale = Literal["standard", "robust", "minmax", "quantile", "none"]
Power = Literal["none", "log", "box_cox", "yeo_johnson"]
Encode = Literal["onehot", "ordinal", "frequency", "hashing", "target"]
DatetimePart = Literal["calendar", "cyclical", "elapsed"]
Stat = Literal["mean", "std", "min", "max"]
SelectMethod = Literal["variance", "correlation", "mutual_info", "importance", "rfe"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bins(_Spec):
    """Cut a numeric column into ``n`` bins (replacing its scaled value)."""

    n: int = Field(5, ge=2, le=1000)
    strategy: Literal["quantile", "uniform", "kmeans"] = "quantile"
    encode: Literal["onehot", "ordinal"] = "onehot"


class NumericSpec(_Spec):
    """Numeric and integer columns: impute, then transform, clip, and scale or bin."""

    impute: Impute = "median"
    #: The value ``impute: constant`` fills in.
    fill_value: float = 0.0
    #: Add a 0/1 column per feature that had missing values in training.
    indicator: bool = True
    transform: Power = "none"
    #: Clip to these training quantiles, e.g. [0.01, 0.99].
    clip: tuple[float, float] | None = None
    scale: Scale = "standard"
    bins: Bins | None = None

    @model_validator(mode="after")
    def _clip_is_ordered(self) -> NumericSpec:
        if self.clip is not None and not 0.0 <= self.clip[0] < self.clip[1] <= 1.0:
            raise ValueError(
                f"clip must be two quantiles with 0 <= lower < upper <= 1; got {list(self.clip)}"
            )
        return self


class CategoricalSpec(_Spec):
    """Categorical columns. Unknown categories at serving time go to a documented bucket:
    the rare bucket (onehot), -1 (ordinal), 0.0 (frequency), their hash bucket (hashing),
    the training target mean (target)."""

    encode: Encode = "onehot"
    #: Categories rarer than this share (< 1) or count (>= 1) share one "infrequent" column.
    rare_below: float = Field(0.01, ge=0)
    max_categories: int | None = Field(None, ge=2)
    hash_buckets: int = Field(32, ge=1, le=1 << 20)


class ColumnSpec(_Spec):
    """Settings for one named column, over the settings of its kind. ``drop`` leaves it out."""

    drop: bool = False
    impute: Impute | None = None
    fill_value: float | None = None
    indicator: bool | None = None
    transform: Power | None = None
    clip: tuple[float, float] | None = None
    scale: Scale | None = None
    bins: Bins | int | None = None
    encode: Encode | None = None
    rare_below: float | None = Field(None, ge=0)
    max_categories: int | None = Field(None, ge=2)
    hash_buckets: int | None = Field(None, ge=1, le=1 << 20)


class TextSpec(_Spec):
    """Text columns: TF-IDF with a vocabulary cap."""

    max_features: int = Field(200, ge=1, le=100_000)
    ngram_max: int = Field(1, ge=1, le=3)


class LagSpec(_Spec):
    """Per-entity time-series features from strictly earlier rows."""

    by: str = Field(min_length=1)
    time: str | None = None
    columns: list[str] = Field(min_length=1)
    lags: list[int] = Field(default_factory=list)
    windows: list[int | str] = Field(default_factory=list)
    stats: list[Stat] = Field(default_factory=lambda: list[Stat](["mean"]))
    ewm: list[float] = Field(default_factory=list)
    diffs: list[int] = Field(default_factory=list)


class InteractionSpec(_Spec):
    """Chosen interactions of raw numeric columns."""

    pairs: list[tuple[str, str]] = Field(default_factory=list)
    ratios: list[tuple[str, str]] = Field(default_factory=list)
    polynomial: list[str] = Field(default_factory=list)


class SelectSpec(_Spec):
    """Feature selection after all transforms; methods run in the order given."""

    method: SelectMethod | list[SelectMethod] = "importance"
    keep: int | None = Field(None, ge=1)
    threshold: float | None = None


class FeatureSpec(_Spec):
    """What the feature pipeline does to each kind of column (keel.yaml ``features:``)."""

    numeric: NumericSpec = Field(default_factory=NumericSpec)
    categorical: CategoricalSpec = Field(default_factory=CategoricalSpec)
    datetime: list[DatetimePart] = Field(default_factory=lambda: list[DatetimePart](["calendar"]))
    #: ISO date that ``elapsed`` counts from; default the earliest training timestamp.
    reference_time: str | None = None
    text: TextSpec = Field(default_factory=TextSpec)
    lags: LagSpec | None = None
    interactions: Literal["auto"] | InteractionSpec | None = None
    select: SelectSpec | None = None
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    #: An output feature that alone predicts the target at least this well is flagged.
    leakage_threshold: float = Field(0.99, gt=0.5, le=1.0)

    def settings_for(self, column: str, kind: Literal["numeric", "categorical"]) -> Any:
        """The effective settings of ``column``: its kind's settings with its overrides."""
        base = self.numeric if kind == "numeric" else self.categorical
        override = self.columns.get(column)
        if override is None:
            return base
        changes = {
            key: value
            for key, value in override.model_dump(exclude_unset=True).items()
            if key in type(base).model_fields and value is not None
        }
        if isinstance(changes.get("bins"), int):
            changes["bins"] = Bins(n=changes["bins"])
        elif isinstance(changes.get("bins"), dict):
            changes["bins"] = Bins.model_validate(changes["bins"])
        return base.model_copy(update=changes)
