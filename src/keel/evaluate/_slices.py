"""Error analysis: the slices of the data (one column's bin, or two columns' bins) where
the model errs most, ranked by how much of the total error they explain.

A row's error is 1 for a misclassification (0 otherwise) or the absolute error for
regression. Numeric columns are cut at quantiles, categorical columns keep their most
frequent values (the rest is "other"), and a missing value is a bin of its own. Slices are
ranked by the size-weighted gap, (slice error - overall error) * size / n: a slice matters
when it is both worse and large. Each slice carries a confidence interval for its error:
Wilson's for error rates, Student's t for mean absolute errors.

Example:
    >>> from keel.evaluate._outcomes import outcomes
    >>> X = pd.DataFrame({"plan": ["free"] * 50 + ["pro"] * 50})
    >>> wrong = np.r_[np.zeros(35), np.ones(15), np.zeros(50)]  # free's last 15 rows
    >>> scored = outcomes(np.zeros(100), np.c_[1 - wrong, wrong], classes=[0, 1])
    >>> worst = worst_slices(scored, X, pairs=False)[0]
    >>> worst.description, worst.size, worst.error
    ('plan = free', 50, 0.3)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes

__all__ = ["Slice", "worst_slices"]

#: Categorical values kept per column; rarer ones share the bin "other".
MAX_CATEGORIES = 10


@dataclass(frozen=True)
class Slice:
    """One slice of the rows and how the model errs on it.

    Attributes:
        features: the columns that define it (one or two).
        description: e.g. "age in [52, 90] & sex = F".
        size: its rows.
        error: its error rate (classification) or mean absolute error (regression).
        overall_error: the same over every row.
        gap: ``error - overall_error``.
        weighted_gap: ``gap * size / n``, the ranking key.
        ci_low, ci_high: the confidence interval of ``error``.
    """

    features: tuple[str, ...]
    description: str
    size: int
    error: float
    overall_error: float
    gap: float
    weighted_gap: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["features"] = list(self.features)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


@dataclass(frozen=True, eq=False)
class _Binned:
    """One column cut into bins: a bin code per row and a description per code."""

    column: str
    codes: np.ndarray
    labels: list[str]


def worst_slices(
    o: Outcomes,
    X: pd.DataFrame,
    *,
    bins: int = 5,
    pairs: bool = True,
    min_size: int | None = None,
    top: int = 10,
    confidence: float = 0.95,
) -> list[Slice]:
    """The ``top`` slices with the largest size-weighted error gap (positive gaps only).

    Args:
        o: the model's outcomes on the rows of X (same rows, same order).
        X: the columns to slice by.
        bins: quantile bins per numeric column.
        pairs: also slice by every pair of columns.
        min_size: slices with fewer rows are skipped; None: 30 or 1% of the rows,
            whichever is larger.
        confidence: coverage of each slice's interval.

    Raises:
        EvaluationError: X is not a DataFrame with o's rows, or a setting is out of range.
    """
    _check(o, X, bins, top, confidence)
    error = _errors(o)
    smallest = min_size if min_size is not None else max(30, math.ceil(o.n / 100))
    binned = [_bin(X[c], str(c), bins) for c in X.columns]
    groups: list[tuple[_Binned, ...]] = [(b,) for b in binned]
    if pairs:
        groups += list(itertools.combinations(binned, 2))
    found = [row for group in groups for row in _candidates(group, error, smallest)]
    found.sort(key=lambda row: -row[0])
    overall = float(error.mean())
    chosen = [row for row in found if row[0] > 0][:top]
    return [_slice(row, overall, o, confidence) for row in chosen]


def _check(o: Outcomes, X: Any, bins: int, top: int, confidence: float) -> None:
    if not isinstance(X, pd.DataFrame):
        raise EvaluationError(
            f"X must be a pandas DataFrame of the columns to slice by; got {type(X).__name__}.",
            field="X",
        )
    if len(X) != o.n:
        raise EvaluationError(
            f"X has {len(X)} rows but the outcomes have {o.n}; they must describe the same "
            "rows, in the same order.",
            field="X",
        )
    if bins < 2 or top < 1 or not 0 < confidence < 1:
        raise EvaluationError(
            "bins must be >= 2, top >= 1 and confidence in (0, 1). Got "
            f"bins={bins!r}, top={top!r}, confidence={confidence!r} instead.",
            field="bins" if bins < 2 else "top" if top < 1 else "confidence",
        )


def _errors(o: Outcomes) -> np.ndarray:
    if o.is_classification:
        return (o.predicted != o.y).astype(np.float64)
    return np.abs(o.y - o.output)


def _bin(column: pd.Series, name: str, bins: int) -> _Binned:
    values = column.reset_index(drop=True)
    missing = values.isna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique() > bins:
        codes, labels = _quantile_bins(values.to_numpy(dtype=np.float64), missing, name, bins)
    else:
        codes, labels = _value_bins(values, missing, name)
    codes[missing] = len(labels)
    return _Binned(name, codes, [*labels, f"{name} is missing"])


def _quantile_bins(
    values: np.ndarray, missing: np.ndarray, name: str, bins: int
) -> tuple[np.ndarray, list[str]]:
    edges = np.unique(np.quantile(values[~missing], np.linspace(0, 1, bins + 1)[1:-1]))
    codes = np.searchsorted(edges, np.where(missing, 0.0, values), side="right")
    present = [c for c in range(edges.size + 1) if (codes[~missing] == c).any()]
    remap = np.zeros(edges.size + 1, dtype=np.intp)
    remap[present] = np.arange(len(present))
    labels = []
    for code in present:
        inside = values[~missing & (codes == code)]
        labels.append(f"{name} in [{inside.min():.4g}, {inside.max():.4g}]")
    return remap[codes], labels


def _value_bins(values: pd.Series, missing: np.ndarray, name: str) -> tuple[np.ndarray, list[str]]:
    counts = values[~missing].value_counts()
    kept = counts.index[:MAX_CATEGORIES]
    codes = pd.Index(kept).get_indexer(values)
    labels = [f"{name} = {v}" for v in kept]
    if len(counts) > len(kept):
        codes = np.where(codes < 0, len(kept), codes)
        labels.append(f"{name} = other ({len(counts) - len(kept)} rarer values)")
    return codes.astype(np.intp), labels


def _candidates(
    group: tuple[_Binned, ...], error: np.ndarray, smallest: int
) -> list[tuple[float, tuple[_Binned, ...], tuple[int, ...], int, float, float]]:
    """(weighted gap, group, bin codes, size, error sum, squared error sum) per slice of
    the group with at least ``smallest`` rows, counted for all slices at once."""
    widths = [len(b.labels) for b in group]
    cell = np.ravel_multi_index(tuple(b.codes for b in group), widths)
    cells = math.prod(widths)
    size = np.bincount(cell, minlength=cells)
    total = np.bincount(cell, weights=error, minlength=cells)
    squares = np.bincount(cell, weights=error**2, minlength=cells)
    n, overall = error.size, error.mean()
    out = []
    for index in np.flatnonzero(size >= smallest):
        weighted = (total[index] / size[index] - overall) * size[index] / n
        codes = tuple(int(c) for c in np.unravel_index(index, widths))
        out.append((float(weighted), group, codes, int(size[index]), total[index], squares[index]))
    return out


def _slice(row: tuple[Any, ...], overall: float, o: Outcomes, confidence: float) -> Slice:
    weighted, group, codes, size, total, squares = row
    error = total / size
    low, high = _interval(size, total, squares, o.is_classification, confidence)
    return Slice(
        features=tuple(b.column for b in group),
        description=" & ".join(b.labels[c] for b, c in zip(group, codes, strict=True)),
        size=size,
        error=float(error),
        overall_error=overall,
        gap=float(error - overall),
        weighted_gap=weighted,
        ci_low=low,
        ci_high=high,
    )


def _interval(
    size: int, total: float, squares: float, binary: bool, confidence: float
) -> tuple[float, float]:
    from scipy import stats

    if binary:
        found = stats.binomtest(round(total), size).proportion_ci(confidence, method="wilson")
        return float(found.low), float(found.high)
    mean = total / size
    if size < 2:
        return math.nan, math.nan
    spread = math.sqrt(max(squares - size * mean**2, 0.0) / (size - 1) / size)
    if spread == 0:
        return mean, mean
    low, high = stats.t.interval(confidence, size - 1, loc=mean, scale=spread)
    return float(low), float(high)
