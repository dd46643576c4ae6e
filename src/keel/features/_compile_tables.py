"""Lookup tables for per-column categorical encoders (one-hot, ordinal, target).

The tables are made by running the fitted encoder's own ``transform`` over every known
category of each column (and one value it has never seen), so a lookup returns exactly what
the batch path returns: rare buckets, unknown handling and target encodings included.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["category_table_function"]

# A value no real data holds, to learn where an encoder sends categories it has not seen.
_UNSEEN = "\x00keel-unseen\x00"


def category_table_function(step: Any, names: list[str]) -> Callable[[list[Any]], list[float]]:
    """``step`` (fitted, each output column depending on one input column) as table lookups."""
    categories = [[str(c) for c in column] for column in step.categories_]
    base_inputs = [column[0] if column else _UNSEEN for column in categories]
    base = _transform(step, names, [base_inputs])[0]
    owners: list[list[int]] = []
    tables: list[tuple[dict[str, tuple[float, ...]], tuple[float, ...]]] = []
    for j, known in enumerate(categories):
        probes = [*known, _UNSEEN]
        rows = [[*base_inputs[:j], value, *base_inputs[j + 1 :]] for value in probes]
        out = _transform(step, names, rows)
        owned = [int(i) for i in np.flatnonzero((out != out[0]).any(axis=0))]
        owners.append(owned)
        table = {
            value: tuple(float(x) for x in row[owned])
            for value, row in zip(probes, out, strict=True)
        }
        tables.append((table, table.pop(_UNSEEN)))
    if _contiguous_in_order(owners, base.size):
        return _blocks(tables)
    return _scatter(tables, owners, [float(x) for x in base])


def _transform(step: Any, names: list[str], rows: list[list[Any]]) -> np.ndarray:
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "unknown categories" warnings for the probe
        return np.asarray(step.transform(frame), dtype=np.float64)


def _contiguous_in_order(owners: list[list[int]], width: int) -> bool:
    flat = [i for owned in owners for i in owned]
    return flat == list(range(width))


def _blocks(
    tables: list[tuple[dict[str, tuple[float, ...]], tuple[float, ...]]],
) -> Callable[[list[Any]], list[float]]:
    def lookup(values: list[Any]) -> list[float]:
        out: list[float] = []
        for value, (table, unseen) in zip(values, tables, strict=True):
            out.extend(table.get(value, unseen))
        return out

    return lookup


def _scatter(
    tables: list[tuple[dict[str, tuple[float, ...]], tuple[float, ...]]],
    owners: list[list[int]],
    base: list[float],
) -> Callable[[list[Any]], list[float]]:
    def lookup(values: list[Any]) -> list[float]:
        out = list(base)
        for value, (table, unseen), owned in zip(values, tables, owners, strict=True):
            for index, x in zip(owned, table.get(value, unseen), strict=True):
                out[index] = x
        return out

    return lookup
