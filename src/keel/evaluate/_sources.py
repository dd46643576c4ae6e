"""From a feature pipeline's output features back to the input columns they are made from.

Explanations computed on the transformed matrix (one-hot columns, missing indicators,
interaction terms) are summed back into the data's own columns, so a user reads "plan",
not "plan_pro" and "plan_free". A feature made from two columns (an interaction term)
gives each half, which keeps the sum over columns equal to the sum over features.

Example:
    >>> sources = [("age",), ("plan",), ("plan",), ("age", "income")]
    >>> aggregation_matrix(sources, ["age", "plan", "income"]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]
    >>> sources_by_name(["age", "missingindicator_age", "plan_pro", "age*income"],
    ...                 ["age", "plan", "income"])
    [('age',), ('age',), ('plan',), ('age', 'income')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["aggregation_matrix", "feature_sources", "sources_by_name", "to_columns"]

# FeaturePipeline's names that do not start with their column (keel.features._build).
_INDICATOR = "missingindicator_"
_TERM = re.compile(r"^(.+?)(?:\*(.+)|/(.+)|\^2)$")


def feature_sources(pipe: Any) -> list[tuple[str, ...]]:
    """For each output feature of a fitted FeaturePipeline, the input columns it came from.

    Pipelines fitted before ``feature_sources_`` existed are mapped by name instead.
    """
    known = getattr(pipe, "feature_sources_", None)
    if known is not None:
        return [tuple(source) for source in known]
    return sources_by_name(list(pipe.feature_names_out_), list(pipe.input_columns_))


def sources_by_name(names: Sequence[str], columns: Sequence[str]) -> list[tuple[str, ...]]:
    """Each name's column: the longest column it starts with ("<column>_<suffix>"), the
    column of a missing indicator, the two of an interaction term, else every column."""
    return [_by_name(str(name), list(columns)) for name in names]


def aggregation_matrix(sources: Sequence[tuple[str, ...]], columns: Sequence[str]) -> np.ndarray:
    """Weights of shape (n_features, n_columns): row f spreads feature f equally over its
    source columns, so every row sums to 1 and aggregation keeps totals."""
    at = {column: j for j, column in enumerate(columns)}
    weights = np.zeros((len(sources), len(columns)))
    for f, source in enumerate(sources):
        for column in source:
            weights[f, at[column]] = 1.0 / len(source)
    return weights


def to_columns(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Feature-level values of shape (n, n_features[, n_outputs]) summed into columns."""
    return np.einsum("nf...,fc->nc...", values, weights)


def _by_name(name: str, columns: list[str]) -> tuple[str, ...]:
    prefixed = [c for c in columns if name == c or name.startswith(f"{c}_")]
    if prefixed:
        return (max(prefixed, key=len),)
    if name.startswith(_INDICATOR) and name[len(_INDICATOR) :] in columns:
        return (name[len(_INDICATOR) :],)
    term = _TERM.match(name)
    if term is not None:
        parts = [p for p in term.groups() if p is not None]
        if all(p in columns for p in parts):
            return tuple(dict.fromkeys(parts))
    return tuple(columns)
