"""What the profile's checks share: the findings they report, the column summaries, the
settings they run under (checked once, in ``_Limits``) and plain JSON-ready values."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from keel.errors import ConfigError

Severity = Literal["error", "warning", "info"]
Kind = Literal["numeric", "boolean", "categorical", "datetime", "other"]
Task = Literal["binary", "multiclass", "regression"]
Role = Literal["feature", "target", "ignored"]

_EXAMPLES = 5  # examples kept per finding
_TOP = 10  # top values kept per categorical column


@dataclass(frozen=True)
class Finding:
    """One thing a check found.

    ``value`` is the check's headline number: a share for ``missing``, ``near_constant``,
    ``constant`` and ``class_imbalance`` (the minority share); a count for ``duplicates``,
    ``train_test_overlap``, ``infinite``, ``outliers_iqr`` and ``outliers_robust_z``; the
    number of distinct values for ``high_cardinality``; ROC AUC or ``|Spearman rho|`` for
    ``target_leakage`` (1.0 when a column equals or relabels the target).
    ``examples`` holds up to five plain values: row numbers (0-based positions), extreme
    values, class shares or value pairs, as the message says.
    """

    check: str
    column: str | None
    severity: Severity
    message: str
    value: float | None = None
    examples: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "value": _json_float(self.value),
            "examples": _jsonable(self.examples),
        }


@dataclass(frozen=True)
class ColumnSummary:
    """What one column holds. ``min``/``max``/``mean``/``std``/``quartiles`` are over finite
    values of numeric columns (``min``/``max`` are ISO strings for datetimes);
    ``top_values`` are the most frequent non-null values of the other kinds, as text."""

    name: str
    dtype: str
    kind: Kind
    role: Role
    count: int
    null_share: float
    n_unique: int
    min: float | str | None = None
    max: float | str | None = None
    mean: float | None = None
    std: float | None = None
    quartiles: tuple[float, float, float] | None = None
    top_values: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {key: _jsonable(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class _Limits:
    missing_warn: float
    near_constant: float
    cardinality_share: float
    cardinality_max: int
    iqr_k: float
    robust_z: float
    imbalance_share: float
    max_classes: int
    leakage_auc: float
    leakage_spearman: float
    leakage_max_rows: int
    leakage_folds: int
    seed: int

    def __post_init__(self) -> None:
        for name in ("missing_warn", "near_constant", "cardinality_share", "imbalance_share"):
            _require(name, getattr(self, name), 0.0, 1.0, "a number in (0, 1]")
        for name in ("leakage_auc", "leakage_spearman"):
            _require(name, getattr(self, name), 0.5, 1.0, "a number in (0.5, 1]")
        for name in ("iqr_k", "robust_z"):
            _require(name, getattr(self, name), 0.0, math.inf, "a number > 0")
        for name, low in (("cardinality_max", 1), ("max_classes", 2), ("leakage_folds", 2)):
            _require(name, getattr(self, name), low - 1, math.inf, f"an integer >= {low}")
        _require("leakage_max_rows", self.leakage_max_rows, 99, math.inf, "an integer >= 100")


def _require(name: str, value: object, low: float, high: float, expected: str) -> None:
    integral = "integer" in expected
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (not integral or isinstance(value, int)) and low < value <= high  # type: ignore[operator]
    if not ok:
        raise ConfigError(
            f"The {name!r} setting of profile_frame must be {expected}. Got {value!r} instead.",
            field=name,
        )


def _positions(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask)[:_EXAMPLES])


def _plain(value: Any) -> Any:
    """A numpy or pandas scalar as the Python value it stands for."""
    return value.item() if isinstance(value, np.generic) else value


def _json_float(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)
