"""The reference profile a package carries for drift monitoring: per feature column, the
share of nulls, numeric decile edges with the share of rows between each pair, and
category frequencies, plus the row count — what a drift test compares live traffic to.

Example:
    >>> import pandas as pd
    >>> from keel.data import infer_schema
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, None, 4.0], "plan": ["a", "b", "a", "a"]})
    >>> profile = reference_profile(frame, infer_schema(frame))
    >>> profile["row_count"], profile["columns"]["x"]["null_share"]
    (4, 0.25)
    >>> profile["columns"]["plan"]["categories"]
    {'a': 0.75, 'b': 0.25}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from keel.data import ColumnSchema, Schema
from keel.errors import ModelError

__all__ = ["PROFILE_FORMAT_VERSION", "reference_profile"]

PROFILE_FORMAT_VERSION = 1
#: Decile edges: 11 quantiles from the minimum to the maximum.
_QUANTILES = np.linspace(0.0, 1.0, 11)
#: Categories kept by frequency; the rest count as ``other_share``.
_MAX_CATEGORIES = 100
_NUMERIC = ("numeric", "integer")
_CATEGORICAL = ("categorical", "boolean")


def reference_profile(frame: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """The profile of ``frame``'s feature columns (those of ``schema.features()``).

    Raises:
        ModelError: ``frame`` lacks a feature column of the schema.
    """
    missing = [c.name for c in schema.features() if c.name not in frame.columns]
    if missing:
        raise ModelError(
            f"The reference data lacks the feature columns {missing} of the schema.",
            field=missing[0],
        )
    columns = {c.name: _column_profile(frame[c.name], c) for c in schema.features()}
    return {"format_version": PROFILE_FORMAT_VERSION, "row_count": len(frame), "columns": columns}


def _column_profile(values: pd.Series, column: ColumnSchema) -> dict[str, Any]:
    rows = len(values)
    present = values.dropna()
    profile: dict[str, Any] = {
        "type": column.type,
        "null_share": float(1.0 - len(present) / rows) if rows else 0.0,
    }
    if column.type in _NUMERIC:
        profile.update(_deciles(pd.to_numeric(present, errors="coerce").dropna().to_numpy()))
    elif column.type == "datetime":
        seconds = pd.to_datetime(present, errors="coerce", utc=True).dropna()
        epoch = seconds.astype("int64").to_numpy() / 1e9 if len(seconds) else np.array([])
        profile.update({"unit": "epoch_seconds", **_deciles(epoch)})
    elif column.type in _CATEGORICAL:
        profile.update(_frequencies(present))
    return profile


def _deciles(values: np.ndarray) -> dict[str, Any]:
    """Decile edges (duplicates merged) and the share of values in each bin between them."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return {"edges": [], "proportions": []}
    edges = np.unique(np.quantile(values, _QUANTILES))
    if edges.size == 1:
        return {"edges": edges.tolist(), "proportions": [1.0]}
    counts, _ = np.histogram(values, bins=edges)  # the last bin includes the maximum
    return {"edges": edges.tolist(), "proportions": (counts / values.size).tolist()}


def _frequencies(present: pd.Series) -> dict[str, Any]:
    if present.empty:
        return {"categories": {}, "other_share": 0.0}
    shares = present.astype(str).value_counts(normalize=True, sort=True)
    kept = shares.iloc[:_MAX_CATEGORIES]
    return {
        "categories": {str(k): float(v) for k, v in kept.items()},
        "other_share": float(max(0.0, 1.0 - kept.sum())) if len(shares) > len(kept) else 0.0,
    }
