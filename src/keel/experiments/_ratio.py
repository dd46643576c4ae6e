"""Metrics that need more than a two-sample test: ratio metrics (delta method) and CUPED.

A ratio metric (clicks per page view, revenue per session) is ``sum(num) / sum(den)``
over units; units, not events, are independent, so its variance comes from the delta
method on the unit-level pairs (Deng, Knoblich, Lu 2018, "Applying the Delta Method in
Metric Analytics"):
``Var(R) ~ (s_nn / mu_d**2 - 2 mu_n s_nd / mu_d**3 + mu_n**2 s_dd / mu_d**4) / n``.
CUPED (Deng, Xu, Kohavi, Walker 2013) subtracts ``theta (x - mean(x))`` from the metric
``y`` with ``theta = cov(y, x) / var(x)`` of a pre-period covariate ``x`` (pooled over
both arms, so the adjustment is the same for both): unbiased, with variance shrunk by
``corr(y, x)**2``.

Example:
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(10, 2, size=(2, 4000))
    >>> y = x + rng.normal(0, 1, size=(2, 4000))
    >>> r = cuped(y[0], x[0], y[1] + 0.1, x[1])
    >>> round(r.theta, 1), round(r.variance_reduction, 1), r.comparison.significant()
    (1.0, 0.8, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from keel.experiments._checks import bad
from keel.experiments._fixed import Comparison, _interval, p_from_z, welch_ttest

__all__ = ["CupedResult", "cuped", "ratio_delta"]

_WHERE = "experiments.test"
ArrayLike = npt.ArrayLike


def _ratio_and_variance(num: ArrayLike, den: ArrayLike) -> tuple[float, float]:
    n_, d_ = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if n_.shape != d_.shape or n_.ndim != 1 or n_.size < 2:
        raise bad(
            "numerator", _WHERE, "a 1-d array as long as its denominator (>= 2 units)", n_.shape
        )
    mn, md = n_.mean(), d_.mean()
    if md == 0:
        raise bad("denominator", _WHERE, "an array with a non-zero mean", 0.0)
    cov = np.cov(n_, d_, ddof=1)
    var = (cov[0, 0] / md**2 - 2 * mn * cov[0, 1] / md**3 + mn**2 * cov[1, 1] / md**4) / n_.size
    return float(mn / md), float(max(var, 0.0))


def ratio_delta(
    num_a: ArrayLike,
    den_a: ArrayLike,
    num_b: ArrayLike,
    den_b: ArrayLike,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> Comparison:
    """z-test of ``R_b - R_a`` where ``R = sum(num) / sum(den)`` over each arm's units.

    Args:
        num_a, den_a: arrays of shape (n_units_a,): each control unit's numerator and
            denominator (e.g. its clicks and its page views).
        num_b, den_b: the same for the treatment arm.
    """
    ra, va = _ratio_and_variance(num_a, den_a)
    rb, vb = _ratio_and_variance(num_b, den_b)
    se = math.sqrt(va + vb)
    z = (rb - ra) / se if se > 0 else 0.0
    low, high = _interval(rb - ra, se, alpha)
    return Comparison(
        "delta-method z-test", ra, rb, rb - ra, z, p_from_z(z, alternative), low, high, alpha
    )


@dataclass(frozen=True)
class CupedResult:
    """Welch's test on CUPED-adjusted values, ``theta`` and the share of variance removed."""

    comparison: Comparison
    theta: float
    variance_reduction: float


def cuped(
    y_a: ArrayLike,
    x_a: ArrayLike,
    y_b: ArrayLike,
    x_b: ArrayLike,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> CupedResult:
    """Welch's t-test of ``mean(y_b) - mean(y_a)`` after CUPED adjustment by the
    pre-period covariate ``x`` (arrays of shape (n_units,) per arm, paired with ``y``)."""
    ya, xa, yb, xb = (np.asarray(v, dtype=float) for v in (y_a, x_a, y_b, x_b))
    if ya.shape != xa.shape or yb.shape != xb.shape:
        raise bad("x", _WHERE, "arrays shaped like the metric's", (xa.shape, xb.shape))
    y, x = np.concatenate([ya, yb]), np.concatenate([xa, xb])
    var_x = float(np.var(x, ddof=1))
    theta = float(np.cov(y, x, ddof=1)[0, 1] / var_x) if var_x > 0 else 0.0
    centre = float(x.mean())
    adj_a, adj_b = ya - theta * (xa - centre), yb - theta * (xb - centre)
    comparison = welch_ttest(adj_a, adj_b, alternative=alternative, alpha=alpha)
    # Within-arm variances, so the treatment effect itself does not count as variance.
    before = np.var(ya, ddof=1) + np.var(yb, ddof=1)
    after = np.var(adj_a, ddof=1) + np.var(adj_b, ddof=1)
    reduction = float(1 - after / before) if before > 0 else 0.0
    return CupedResult(comparison, theta, reduction)
