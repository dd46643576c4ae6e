"""The profile's view of one column: its kind, role, null count and value counts, computed
once and shared by every check, and the summary it reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.data._findings import _TOP, ColumnSummary, Kind, Role
from keel.errors import SchemaError


@dataclass
class _Column:
    """One column with what several checks share: its kind, null count and value counts."""

    name: str
    label: Any  # the frame's own column label (names are str(label))
    series: pd.Series
    kind: Kind
    role: Role
    counts: pd.Series  # non-null value counts, most frequent first
    nulls: int

    @classmethod
    def of(cls, series: pd.Series, label: Any, role: Role) -> _Column:
        kind = _kind(series.dtype)
        if kind == "categorical" and series.dtype == object:
            series = _hashable(series)
        counts = series.value_counts(dropna=True, sort=True)
        return cls(str(label), label, series, kind, role, counts, int(series.isna().sum()))

    @property
    def n_unique(self) -> int:
        return len(self.counts)

    def numbers(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Numeric or datetime values as float64 (datetimes in ns), NaN where missing."""
        s = self.series if rows is None else self.series.iloc[rows]
        if self.kind == "datetime":
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            stamps = s.to_numpy("datetime64[ns]")
            return np.where(np.isnat(stamps), np.nan, stamps.astype("int64").astype("float64"))
        return s.to_numpy(dtype="float64", na_value=np.nan)

    def summary(self) -> ColumnSummary:
        n = len(self.series)
        extra: dict[str, Any] = {}
        if self.kind == "numeric":
            extra = _numeric_summary(self.numbers())
        elif self.kind == "datetime" and self.n_unique:
            extra = {"min": self.series.min().isoformat(), "max": self.series.max().isoformat()}
        else:
            top = self.counts.iloc[:_TOP]
            extra = {"top_values": tuple((str(k), int(v)) for k, v in top.items())}
        return ColumnSummary(
            name=self.name, dtype=str(self.series.dtype), kind=self.kind, role=self.role,
            count=n - self.nulls, null_share=self.nulls / n if n else 0.0,
            n_unique=self.n_unique, **extra,
        )  # fmt: skip


def _kind(dtype: Any) -> Kind:
    types = pd.api.types
    if types.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return "numeric"
    if types.is_string_dtype(dtype) or types.is_object_dtype(dtype):
        return "categorical"
    return "other"


def _hashable(series: pd.Series) -> pd.Series:
    """Object columns may hold lists or dicts, which cannot be counted or hashed: use text."""
    try:
        pd.util.hash_pandas_object(series.iloc[:1000], index=False)
    except TypeError:
        return series.astype(str).where(series.notna())
    return series


def _numeric_summary(x: np.ndarray) -> dict[str, Any]:
    finite = x[np.isfinite(x)]
    if not finite.size:
        return {}
    q1, q2, q3 = (float(q) for q in np.quantile(finite, [0.25, 0.5, 0.75]))
    return {
        "min": float(finite.min()),
        "max": float(finite.max()),
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        "quartiles": (q1, q2, q3),
    }


def _columns(frame: pd.DataFrame, target: str | None, ignore: Sequence[str]) -> list[_Column]:
    names = [str(label) for label in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SchemaError(f"Column names must be unique to profile a frame; repeated: {repeated}.")
    for what, name in [("target", target), *(("ignore", n) for n in ignore)]:
        if name is not None and name not in names:
            shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
            raise SchemaError(
                f"The {what} column {name!r} is not in the frame; its columns: {shown}."
            )
    roles: list[Role] = [
        "target" if n == target else "ignored" if n in ignore else "feature" for n in names
    ]
    return [_Column.of(frame.iloc[:, i], frame.columns[i], role) for i, role in enumerate(roles)]
