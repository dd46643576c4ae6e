"""Two-sample statistics for categorical columns, on category counts.

Both the reference and the window are samples, so the test is chi-square on the 2 x K
contingency table (as ``scipy.stats.chi2_contingency`` with ``correction=False``), not a
goodness-of-fit test against the reference shares: that one treats the reference as exact
and flags unchanged columns once the window is large. Categories seen on one side only
take part with a zero count on the other.

Example:
    >>> import numpy as np
    >>> ref, cur = np.array([50, 50]), np.array([30, 70])
    >>> statistic, p_value = chi_square(ref, cur)
    >>> round(statistic, 3), round(p_value, 4)
    (8.333, 0.0039)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats


def aligned_counts(
    reference: Mapping[str, int | float], current: Mapping[str, int]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Categories of either side (reference order first) and both count vectors."""
    names = list(reference) + [name for name in current if name not in reference]
    ref = np.array([reference.get(name, 0) for name in names], dtype=np.float64)
    cur = np.array([current.get(name, 0) for name in names], dtype=np.float64)
    return names, ref, cur


def chi_square(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Chi-square statistic and p-value of the 2 x K table; (0, 1) with one category."""
    present = (reference + current) > 0
    table = np.vstack([reference[present], current[present]])
    if table.shape[1] < 2:
        return 0.0, 1.0
    # Same formula as chi2_contingency(table, correction=False); computed here so a
    # table with thousands of categories is one vectorised pass.
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = table.shape[1] - 1
    return statistic, float(stats.chi2.sf(statistic, dof))


def cramers_v(statistic: float, n_total: float, n_categories: int) -> float:
    """Cramér's V of a 2 x K table: the chi-square effect size, between 0 and 1."""
    if n_total <= 0 or n_categories < 2:
        return 0.0
    return float(np.sqrt(statistic / n_total))


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts as shares of their total (zeros when the total is zero)."""
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts, dtype=np.float64)
