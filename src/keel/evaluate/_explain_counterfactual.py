"""The search behind counterfactual explanations (keel.evaluate._counterfactual): candidate
values per column, and the nearest candidate record that the model assigns a wanted class.

Candidates are scored in batches, one prediction per chunk of up to `_CHUNK_ROWS` records:
single-column changes first, then pairs of columns, pairs only where their distance is
below the best single change found (a pair farther away cannot win).

Example:
    >>> column = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])
    >>> found = candidate_values(column, 2.0, "x", 5)
    >>> found.values.tolist(), found.distances.tolist()  # IQR = 2
    ([1.0, 3.0, 4.0, 5.0], [0.5, 0.5, 1.0, 1.5])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Candidates", "Flip", "candidate_values", "is_numeric", "nearest_flip"]

#: Candidate records per prediction call: bounds memory when many pairs are scored.
_CHUNK_ROWS = 100_000

# A block of candidates: the columns changed, their new values (n, n_columns), distances (n,).
_Block = tuple[tuple[str, ...], np.ndarray, np.ndarray]
#: The nearest flip: its distance, the columns changed, their new values, the class code.
Flip = tuple[float, tuple[str, ...], np.ndarray, int]


@dataclass(frozen=True, eq=False)
class Candidates:
    """One column's candidate values and the distance of each from the record's value."""

    column: str
    values: np.ndarray
    distances: np.ndarray


def is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def candidate_values(column: pd.Series, old: Any, name: str, k: int) -> Candidates:
    """Up to ``k`` observed values of ``column`` other than ``old``, with their distances:
    |new - old| / IQR (std when the IQR is 0) if numeric, else (or from missing) 1."""
    observed = column.dropna()
    if observed.empty:
        return Candidates(name, np.empty(0), np.empty(0))
    if not is_numeric(column):
        values = observed.value_counts().index[:k].to_numpy(dtype=object)
        values = values[values != old] if not pd.isna(old) else values
        return Candidates(name, values, np.ones(values.size))
    numbers = observed.to_numpy(dtype=np.float64)
    # inverted_cdf returns observed values only: candidates stay inside the observed range.
    values = np.unique(np.quantile(numbers, np.linspace(0.0, 1.0, k), method="inverted_cdf"))
    if pd.isna(old):
        return Candidates(name, values, np.ones(values.size))
    values = values[values != old]
    return Candidates(name, values, np.abs(values - float(old)) / _scale(numbers))


def nearest_flip(
    predict: Callable[[pd.DataFrame], np.ndarray],
    row: pd.DataFrame,
    options: list[Candidates],
    wanted: np.ndarray,
    max_changes: int,
) -> tuple[Flip | None, int]:
    """The nearest change of one (then two) columns of ``row`` whose predicted class code
    (``predict`` of a frame) is in ``wanted``, and how many candidates were scored."""
    singles: list[_Block] = [((o.column,), o.values[:, None], o.distances) for o in options]
    best, searched = _best(predict, row, singles, wanted, np.inf)
    if max_changes == 2:
        pairs = [_pair(a, b) for a, b in itertools.combinations(options, 2)]
        limit = np.inf if best is None else best[0]
        better, scored = _best(predict, row, pairs, wanted, limit)
        best, searched = better or best, searched + scored
    return best, searched


def _scale(numbers: np.ndarray) -> float:
    q1, q3 = np.percentile(numbers, [25, 75])
    spread = float(q3 - q1) or float(np.std(numbers))
    return spread or 1.0


def _pair(a: Candidates, b: Candidates) -> _Block:
    left = np.repeat(np.arange(a.values.size), b.values.size)
    right = np.tile(np.arange(b.values.size), a.values.size)
    values = np.empty((left.size, 2), dtype=object)
    values[:, 0], values[:, 1] = a.values[left], b.values[right]
    return (a.column, b.column), values, a.distances[left] + b.distances[right]


def _best(
    predict: Callable[[pd.DataFrame], np.ndarray],
    row: pd.DataFrame,
    blocks: list[_Block],
    wanted: np.ndarray,
    limit: float,
) -> tuple[Flip | None, int]:
    """The nearest candidate (distance below ``limit``) predicted as a ``wanted`` class."""
    kept = [(c, v[d < limit], d[d < limit]) for c, v, d in blocks]
    kept = [block for block in kept if block[2].size]
    best: Flip | None = None
    scored = 0
    for chunk in _chunks(kept):
        codes = predict(_candidates(row, chunk))
        distances = np.concatenate([d for _, _, d in chunk])
        scored += distances.size
        hits = np.flatnonzero(np.isin(codes, wanted))
        if hits.size:
            at = int(hits[np.argmin(distances[hits])])  # ties: the first, singles in order
            if best is None or distances[at] < best[0]:
                changed, values = _locate(chunk, at)
                best = (float(distances[at]), changed, values, int(codes[at]))
    return best, scored


def _chunks(blocks: list[_Block]) -> list[list[_Block]]:
    chunks: list[list[_Block]] = [[]]
    size = 0
    for block in blocks:
        if size and size + block[2].size > _CHUNK_ROWS:
            chunks.append([])
            size = 0
        chunks[-1].append(block)
        size += block[2].size
    return [chunk for chunk in chunks if chunk]


def _candidates(row: pd.DataFrame, blocks: list[_Block]) -> pd.DataFrame:
    """The record repeated once per candidate, each block's columns set to its values."""
    total = sum(d.size for _, _, d in blocks)
    data = {c: np.repeat(row[c].to_numpy(), total) for c in row.columns}
    start = 0
    for changed, values, distances in blocks:
        for j, column in enumerate(changed):
            data[column][start : start + distances.size] = values[:, j]
        start += distances.size
    return pd.DataFrame(data, columns=row.columns)


def _locate(blocks: list[_Block], at: int) -> tuple[tuple[str, ...], np.ndarray]:
    for changed, values, distances in blocks:
        if at < distances.size:
            return changed, values[at]
        at -= distances.size
    raise AssertionError("candidate index past the end of its chunk")
