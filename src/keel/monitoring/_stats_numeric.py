"""Two-sample statistics for numeric columns, from presorted arrays.

The reference side is sorted once, when its profile is built; a window only sorts its own
values. From the two sorted arrays one merge gives both empirical CDFs on the pooled
values, and from those the Kolmogorov-Smirnov statistic and the Wasserstein distance, by
the same formulas as ``scipy.stats.ks_2samp`` and ``scipy.stats.wasserstein_distance``
(which sort both samples again on every call). Binned statistics (PSI, Jensen-Shannon)
count the window's values in the reference's quantile bins with a binary search per edge.

Example:
    >>> import numpy as np
    >>> a, b = np.sort(np.array([0.0, 1.0, 2.0])), np.sort(np.array([1.0, 2.0, 3.0]))
    >>> cdfs = pooled_cdfs(a, b)
    >>> round(ks_statistic(cdfs), 4), wasserstein(cdfs)
    (0.3333, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Share given to an empty bin so PSI stays finite: a bin that no value of one side fell
#: in counts as holding 0.01% of that side (the convention of most PSI tools).
PSI_EPSILON = 1e-4
#: Up to this many values on the larger side, the KS p-value is scipy's exact one.
EXACT_KS_MAX = 10_000


@dataclass(frozen=True)
class PooledCDFs:
    """Both empirical CDFs at every pooled value (sorted), as scipy evaluates them.

    Within a run of tied pooled values only the last position holds the right-continuous
    CDF; ``last`` marks those positions. (The Wasserstein sum weighs the others by a zero
    gap, so it needs no mask.)
    """

    pooled: np.ndarray
    gaps: np.ndarray  # reference CDF minus current CDF at each pooled value
    last: np.ndarray


def pooled_cdfs(reference: np.ndarray, current: np.ndarray) -> PooledCDFs:
    """CDFs of two sorted samples at each of their pooled values (right-continuous)."""
    both = np.concatenate([reference, current])
    # A stable argsort of two sorted runs is a merge (timsort finds the runs), and the
    # order says which side each pooled value came from: counting them replaces two
    # binary searches over the pooled values (measured: 12 ms instead of 54 ms at 1.1M).
    order = np.argsort(both, kind="stable")
    pooled = both[order]
    from_reference = np.cumsum(order < reference.size)
    from_current = np.arange(1, pooled.size + 1) - from_reference
    gaps = from_reference / reference.size
    gaps -= from_current / current.size
    last = np.empty(pooled.size, dtype=bool)
    np.not_equal(pooled[:-1], pooled[1:], out=last[:-1])
    last[-1:] = True
    return PooledCDFs(pooled, gaps, last)


def ks_statistic(cdfs: PooledCDFs) -> float:
    """The two-sided KS statistic: the largest gap between the two CDFs."""
    gaps = cdfs.gaps[cdfs.last]
    return float(max(np.clip(-gaps.min(), 0.0, 1.0), gaps.max()))


def ks_pvalue(statistic: float, n_reference: int, n_current: int) -> float:
    """The asymptotic two-sided KS p-value, as ``scipy.stats.ks_2samp`` computes it."""
    m, n = sorted([float(n_reference), float(n_current)], reverse=True)
    return float(np.clip(stats.kstwo.sf(statistic, np.round(m * n / (m + n))), 0.0, 1.0))


def ks_test(reference: np.ndarray, current: np.ndarray, cdfs: PooledCDFs) -> tuple[float, float]:
    """KS statistic and p-value; small samples get scipy's exact p-value from scipy itself."""
    if max(reference.size, current.size) <= EXACT_KS_MAX:
        result = stats.ks_2samp(reference, current)
        return float(result.statistic), float(result.pvalue)
    statistic = ks_statistic(cdfs)
    return statistic, ks_pvalue(statistic, reference.size, current.size)


def wasserstein(cdfs: PooledCDFs) -> float:
    """The 1-Wasserstein distance: the area between the two CDFs."""
    deltas = np.diff(cdfs.pooled)
    return float(np.sum(np.abs(cdfs.gaps[:-1]) * deltas))


def quantile_edges(sorted_values: np.ndarray, bins: int) -> np.ndarray:
    """Interior edges of ``bins`` reference-quantile bins (duplicates merged)."""
    if sorted_values.size == 0:
        return np.empty(0)
    inner = np.quantile(sorted_values, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(inner)


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in the bins ``(-inf, e1), [e1, e2), …, [ek, inf)`` of sorted values."""
    cuts = np.searchsorted(sorted_values, edges, side="left")
    return np.diff(np.concatenate([[0], cuts, [sorted_values.size]]))


def psi(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """Population stability index, with empty-bin shares raised to ``PSI_EPSILON``."""
    ref = np.maximum(reference_shares, PSI_EPSILON)
    cur = np.maximum(current_shares, PSI_EPSILON)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def jensen_shannon(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """Jensen-Shannon distance in base 2 (between 0 and 1), as scipy's ``jensenshannon``."""
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(reference_shares, current_shares, base=2))
