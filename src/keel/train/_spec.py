"""The ``train:`` section of keel.yaml: what to search, how to score it, and within what budget.

Example:
    >>> spec = TrainSpec.model_validate({"metric": "roc_auc", "search": {"budget": "2m"}})
    >>> spec.search.budget_seconds
    120.0
    >>> TrainSpec().cv.folds
    5
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from keel.errors import TrainError

__all__ = ["CVSpec", "SearchSpec", "TrainSpec", "parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Seconds in ``value``: a number of seconds, or a string like ``"90s"``, ``"10m"``, ``"1h"``.

    Raises:
        ValueError: the value is not a positive duration.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f"must be a duration like 60, '90s', '10m' or '1h'; got {value!r}")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if not seconds > 0:
        raise ValueError(f"must be a positive duration; got {value!r}")
    return seconds


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchSpec(_Spec):
    """Hyperparameter search: sampler, pruner and budget (time and/or trials)."""

    sampler: Literal["tpe", "random", "grid", "cmaes"] = "tpe"
    pruner: Literal["hyperband", "successive_halving", "median", "none"] = "hyperband"
    #: Wall-time budget of the whole fit (search and final refit): seconds or "10m".
    budget: float | str = "60s"
    #: Stop after this many trials, whatever time is left.
    trials: int | None = Field(None, ge=1)
    #: A second objective to trade against the metric; the Pareto front is reported.
    secondary: Literal["latency", "size"] | None = None

    @field_validator("budget")
    @classmethod
    def _budget_is_a_duration(cls, value: float | str) -> float | str:
        parse_duration(value)
        return value

    @property
    def budget_seconds(self) -> float:
        return parse_duration(self.budget)


class CVSpec(_Spec):
    """Cross-validation of every finalist (trials themselves start on one fold)."""

    folds: int = Field(5, ge=2, le=50)
    strategy: Literal["auto", "kfold", "stratified", "group", "time", "repeated"] = "auto"
    repeats: int = Field(1, ge=1, le=20)


class TrainSpec(_Spec):
    """keel.yaml ``train:``."""

    task: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    #: The metric to optimize; the task's default (roc_auc, log_loss, r2) when None.
    metric: str | None = None
    #: Algorithm families to search; every installed one that fits the task when None.
    algorithms: list[str] | None = Field(None, min_length=1)
    search: SearchSpec = Field(default_factory=SearchSpec)
    cv: CVSpec = Field(default_factory=CVSpec)
    #: Share of the rows held out (never seen by the search) to score the final model.
    holdout: float = Field(0.2, gt=0.0, lt=0.9)
    ensemble: Literal["auto", "none", "blend", "stacking"] = "auto"
    class_weight: Literal["balanced"] | None = None
    early_stopping_rounds: int = Field(50, ge=1)
    seed: int = 0
    jobs: int = Field(1, ge=1, le=512)
    engine: Literal["local", "ray"] = "local"
    #: Per-family search-space overrides: {lightgbm: {num_leaves: [8, 256]}}.
    spaces: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> TrainSpec:
        """A validated copy with ``changes`` applied (None leaves a setting as it is);
        ``budget``, ``trials`` and ``secondary`` go to ``search``.

        Raises:
            TrainError: a changed value is not allowed; the message names the setting.
        """
        search_keys = set(SearchSpec.model_fields)
        data = self.model_dump()
        for key, value in changes.items():
            if value is not None:
                (data["search"] if key in search_keys else data)[key] = value
        try:
            return TrainSpec.model_validate(data)
        except PydanticValidationError as exc:
            error = exc.errors()[0]
            where = "train." + ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            raise TrainError(
                f"The '{where}' setting {message}. Got {error.get('input')!r} instead.",
                field=where,
            ) from None
