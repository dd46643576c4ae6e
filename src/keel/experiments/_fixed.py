"""Fixed-horizon tests of a treatment arm ``b`` against a control arm ``a``: the
difference is always ``b - a`` and intervals are two-sided at ``1 - alpha``.

Known answers: statsmodels ``proportions_ztest`` (pooled variance under H0),
scipy ``ttest_ind(b, a, equal_var=False)`` (Welch), statsmodels ``multipletests`` (Holm).

Example:
    >>> r = proportions_ztest(100, 1000, 130, 1000)
    >>> round(r.estimate, 3), round(r.p_value, 4), r.significant()
    (0.03, 0.0355, True)
    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from keel.experiments._checks import alternative as _check_alternative
from keel.experiments._checks import bad, probability

__all__ = ["Comparison", "holm", "proportions_ztest", "welch_from_stats", "welch_ttest"]

_WHERE = "experiments.test"


@dataclass(frozen=True)
class Comparison:
    """One test of ``b`` against ``a``: the arms' values, the difference and its interval."""

    method: str
    control: float
    treatment: float
    estimate: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float = 0.05

    def significant(self, alpha: float | None = None) -> bool:
        return self.p_value <= (self.alpha if alpha is None else alpha)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def p_from_z(z: float, alternative: str, dist: Any = stats.norm) -> float:
    """The p-value of statistic ``z`` under ``dist`` (a frozen or standard scipy law)."""
    if alternative == "greater":
        return float(dist.sf(z))
    if alternative == "less":
        return float(dist.cdf(z))
    return float(2 * dist.sf(abs(z)))


def _interval(
    estimate: float, se: float, alpha: float, dist: Any = stats.norm
) -> tuple[float, float]:
    half = float(dist.isf(alpha / 2)) * se
    return estimate - half, estimate + half


def proportions_ztest(
    x_a: float,
    n_a: float,
    x_b: float,
    n_b: float,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> Comparison:
    """Two-proportion z-test of ``x_b/n_b - x_a/n_a`` (pooled variance for the test,
    unpooled for the interval)."""
    _check_alternative(alternative, _WHERE)
    probability("alpha", alpha, _WHERE)
    if n_a <= 0 or n_b <= 0:
        raise bad("n", _WHERE, "a positive count in both arms", (n_a, n_b))
    pa, pb = x_a / n_a, x_b / n_b
    pooled = (x_a + x_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (pb - pa) / se0 if se0 > 0 else 0.0
    se = math.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    low, high = _interval(pb - pa, se, alpha)
    p = p_from_z(z, alternative)
    return Comparison("two-proportion z-test", pa, pb, pb - pa, z, p, low, high, alpha)


def welch_from_stats(
    n_a: float,
    sum_a: float,
    sumsq_a: float,
    n_b: float,
    sum_b: float,
    sumsq_b: float,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> Comparison:
    """Welch's t-test of ``mean_b - mean_a`` from sufficient statistics (count, sum, sum
    of squares), as serving's reward counters hold them."""
    _check_alternative(alternative, _WHERE)
    probability("alpha", alpha, _WHERE)
    if n_a < 2 or n_b < 2:
        raise bad("n", _WHERE, "at least 2 observations in each arm", (n_a, n_b))
    ma, mb = sum_a / n_a, sum_b / n_b
    va = max(sumsq_a - sum_a * ma, 0.0) / (n_a - 1)
    vb = max(sumsq_b - sum_b * mb, 0.0) / (n_b - 1)
    ea, eb = va / n_a, vb / n_b
    se = math.sqrt(ea + eb)
    if se == 0:
        return Comparison("Welch t-test", ma, mb, mb - ma, 0.0, 1.0, mb - ma, mb - ma, alpha)
    df = (ea + eb) ** 2 / (ea**2 / (n_a - 1) + eb**2 / (n_b - 1))
    t = (mb - ma) / se
    dist = stats.t(df)
    low, high = _interval(mb - ma, se, alpha, dist)
    return Comparison(
        "Welch t-test", ma, mb, mb - ma, t, p_from_z(t, alternative, dist), low, high, alpha
    )


def welch_ttest(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> Comparison:
    """Welch's t-test of ``mean(b) - mean(a)`` from unit-level values."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    # Centre first: sums of squares of raw values lose digits when the mean is large.
    shift = float(np.mean(xa)) if xa.size else 0.0
    xa, xb = xa - shift, xb - shift
    r = welch_from_stats(
        xa.size, xa.sum(), (xa * xa).sum(), xb.size, xb.sum(), (xb * xb).sum(),
        alternative=alternative, alpha=alpha,
    )  # fmt: skip
    return Comparison(
        r.method, r.control + shift, r.treatment + shift, r.estimate, r.statistic,
        r.p_value, r.ci_low, r.ci_high, alpha,
    )  # fmt: skip


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given (family-wise error control
    across several metrics)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return [float(v) for v in adjusted]
