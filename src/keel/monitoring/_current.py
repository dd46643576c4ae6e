"""The window side of a comparison: one column of the current data, converted, sorted or
counted once, with the pieces several methods share (pooled CDFs, bin shares) computed on
first use."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from keel.monitoring._columns import category_counts, numeric_values
from keel.monitoring._profile import OTHER, ColumnProfile
from keel.monitoring._stats_categorical import aligned_counts
from keel.monitoring._stats_numeric import PooledCDFs, bin_counts, pooled_cdfs


class CurrentColumn:
    """A window's column next to its reference column.

    Attributes:
        reference: the reference column's profile.
        values: the window's sorted non-null values (numeric columns).
        categories: the window's count per category (categorical columns).
        count: non-null values in the window; ``null_share`` the share of nulls.
    """

    def __init__(self, reference: ColumnProfile, series: pd.Series) -> None:
        self.reference = reference
        self.values = np.empty(0)
        self.categories: dict[str, int] = {}
        if reference.kind == "numeric":
            values, nulls = numeric_values(series)
            self.values = np.sort(values)
            self.count = int(values.size)
        else:
            self.categories, nulls = category_counts(series)
            if reference.folds_other:
                self.categories = _fold_other(self.categories, reference.categories)
            self.count = sum(self.categories.values())
        self.null_share = nulls / len(series) if len(series) else 0.0

    @cached_property
    def cdfs(self) -> PooledCDFs:
        """Both empirical CDFs on the pooled values (value-based numeric methods)."""
        assert self.reference.values is not None
        return pooled_cdfs(self.reference.values, self.values)

    @cached_property
    def bin_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Reference and window shares per bin: quantile bins or categories."""
        if self.reference.kind == "numeric":
            counts = bin_counts(self.values, self.reference.edges)
            return self.reference.shares, counts / max(self.count, 1)
        _, ref, cur = self.category_table
        return ref / max(ref.sum(), 1e-300), cur / max(cur.sum(), 1)

    @cached_property
    def category_table(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Categories of either side with the reference's and the window's counts."""
        return aligned_counts(self.reference.categories, self.categories)

    @property
    def unseen(self) -> list[str]:
        """Window categories the reference never saw."""
        return [name for name in self.categories if name not in self.reference.categories]


def _fold_other(counts: dict[str, int], known: dict[str, float]) -> dict[str, int]:
    folded: dict[str, int] = {}
    for name, count in counts.items():
        key = name if name in known else OTHER
        folded[key] = folded.get(key, 0) + count
    return folded
