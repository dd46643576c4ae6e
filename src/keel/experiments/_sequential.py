"""Always-valid sequential tests: the mixture SPRT (mSPRT) of Johari, Pekelis and Walsh
(2017, "Always valid inference"), so a dashboard or a controller may look after every
request without inflating false positives.

The difference ``b - a`` of two arms is treated as a normal estimate with its plug-in
variance ``s2`` (unequal allocation allowed); the mixture over the true difference is
``N(delta, tau**2)`` for a two-sided test and its half above (or below) ``delta`` for a
one-sided one. Its likelihood ratio ``Lambda`` is a (super)martingale under the null, so
by Ville's inequality ``P(sup_n Lambda_n >= 1/alpha) <= alpha``: reject the first time
``p = min(1, 1/Lambda) <= alpha``. Pass the previous look's p as ``previous_p`` to get
the running minimum (the always-valid p-value proper); the decision is the same without.

Every function takes scalars or numpy arrays (broadcast), so a simulation of thousands of
experiments is one call per look.

Example:
    >>> r = msprt_proportions(20, 1000, 70, 1000, delta=0.01, alternative="greater")
    >>> r.reject(0.05), float(r.p_value) < 0.001
    (True, True)
    >>> bool(msprt_proportions(20, 1000, 22, 1000).reject(0.05))
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from keel.experiments._checks import alternative as _check_alternative
from keel.experiments._checks import positive

__all__ = [
    "SequentialResult",
    "msprt_means",
    "msprt_normal",
    "msprt_proportion",
    "msprt_proportions",
]

Floats = float | npt.NDArray[np.float64]
_WHERE = "experiments.msprt"


@dataclass(frozen=True)
class SequentialResult:
    """One look of an mSPRT.

    Attributes:
        p_value: always-valid p-value (running minimum when ``previous_p`` was given).
        statistic: the mixture likelihood ratio ``Lambda`` (inf when overwhelming).
        estimate: the observed difference ``b - a`` (or ``p - p0`` for one sample).
        variance: the plug-in variance of ``estimate``.
    """

    p_value: Floats
    statistic: Floats
    estimate: Floats
    variance: Floats

    def reject(self, alpha: float = 0.05) -> Any:
        """True (per element) when the null is rejected at level ``alpha``."""
        result = np.asarray(self.p_value) <= alpha
        return bool(result) if result.ndim == 0 else result


def _out(values: npt.NDArray[np.float64]) -> Floats:
    return float(values) if values.ndim == 0 else values


def msprt_normal(
    estimate: Any,
    variance: Any,
    *,
    delta: float = 0.0,
    alternative: str = "two-sided",
    tau: Any = 0.05,
    previous_p: Any = 1.0,
) -> SequentialResult:
    """The mSPRT of a normal estimate with known (plug-in) ``variance``; H0: the true value
    equals ``delta`` (two-sided), is <= ``delta`` ("greater") or >= ``delta`` ("less").

    A zero or missing variance (no data yet) gives ``Lambda = 1``, ``p = 1``.

    Example:
        >>> round(float(msprt_normal(0.0, 0.01, tau=0.1).p_value), 3)
        1.0
        >>> bool(msprt_normal(0.5, 0.01, tau=0.1, alternative="less").reject(0.05))
        False
    """
    _check_alternative(alternative, _WHERE)
    est = np.asarray(estimate, dtype=float)
    s2 = np.asarray(variance, dtype=float)
    t2 = np.asarray(tau, dtype=float) ** 2
    ok = np.isfinite(s2) & (s2 > 0) & np.isfinite(est) & (t2 > 0)
    s2 = np.where(ok, s2, 1.0)
    t2 = np.where(ok, t2, 1.0)
    z = np.where(ok, est - delta, 0.0)
    log_lr = 0.5 * np.log(s2 / (s2 + t2)) + t2 * z * z / (2 * s2 * (s2 + t2))
    if alternative != "two-sided":
        # Half-normal mixture on the alternative's side: 2 * Phi(...) times the two-sided.
        side = z if alternative == "greater" else -z
        log_lr = log_lr + np.log(2.0) + log_ndtr(side * np.sqrt(t2 / (s2 * (s2 + t2))))
    log_lr = np.where(ok, log_lr, 0.0)
    p = np.minimum(np.asarray(previous_p, dtype=float), np.exp(-np.maximum(log_lr, 0.0)))
    with np.errstate(over="ignore"):
        lr = np.exp(log_lr)
    return SequentialResult(_out(p), _out(lr), _out(est), _out(np.where(ok, s2, np.nan)))


def msprt_proportions(
    x_a: Any,
    n_a: Any,
    x_b: Any,
    n_b: Any,
    *,
    delta: float = 0.0,
    alternative: str = "greater",
    tau: float = 0.05,
    previous_p: Any = 1.0,
) -> SequentialResult:
    """mSPRT of ``p_b - p_a`` from cumulative counts (``x`` successes of ``n``).

    ``tau`` is the mixture's scale in the proportion's units (0.05 = five points). The
    variance uses ``(x + 0.5) / (n + 1)`` so zero events in an arm do not make it zero.
    Guardrail use: ``alternative="greater", delta=0.01`` tests H0: canary error rate minus
    stable's <= 0.01, and rejects (breach) when it is significantly above.

    Example:
        >>> r = msprt_proportions([10, 10], 1000, [12, 60], 1000, alternative="two-sided")
        >>> r.reject(0.05).tolist()
        [False, True]
    """
    positive("tau", tau, _WHERE)
    x_a, n_a, x_b, n_b = (np.asarray(v, dtype=float) for v in (x_a, n_a, x_b, n_b))
    has = (n_a > 0) & (n_b > 0)
    na, nb = np.where(has, n_a, 1.0), np.where(has, n_b, 1.0)
    est = x_b / nb - x_a / na
    va, vb = (x_a + 0.5) / (na + 1), (x_b + 0.5) / (nb + 1)
    s2 = np.where(has, va * (1 - va) / na + vb * (1 - vb) / nb, np.nan)
    return msprt_normal(
        est, s2, delta=delta, alternative=alternative, tau=tau, previous_p=previous_p
    )


def msprt_proportion(
    x: Any,
    n: Any,
    *,
    p0: float,
    alternative: str = "greater",
    tau: float = 0.05,
    previous_p: Any = 1.0,
) -> SequentialResult:
    """One-sample mSPRT of a proportion against ``p0`` with the null's variance
    ``p0 (1 - p0) / n``: e.g. H0: the share of requests slower than 10 ms is <= 1 %.

    Example:
        >>> msprt_proportion(40, 1000, p0=0.01).reject(0.05)
        True
    """
    positive("tau", tau, _WHERE)
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    safe = np.where(n > 0, n, 1.0)
    s2 = np.where(n > 0, p0 * (1 - p0) / safe, np.nan)
    return msprt_normal(
        x / safe, s2, delta=p0, alternative=alternative, tau=tau, previous_p=previous_p
    )


def msprt_means(
    n_a: Any,
    sum_a: Any,
    sumsq_a: Any,
    n_b: Any,
    sum_b: Any,
    sumsq_b: Any,
    *,
    delta: float = 0.0,
    alternative: str = "greater",
    tau: float | None = None,
    previous_p: Any = 1.0,
) -> SequentialResult:
    """mSPRT of ``mean_b - mean_a`` from cumulative sufficient statistics (n, sum, sum of
    squares) as serving's counters hold them (reward_n, reward_sum, reward_sumsq).

    ``tau`` is in the metric's units; the default (None) is a tenth of the pooled
    standard deviation, i.e. effects around 0.1 SD are the ones the test is tuned for.
    Each arm needs two observations before anything is rejected.

    Example:
        >>> r = msprt_means(1000, 100.0, 1100.0, 1000, 300.0, 1200.0, alternative="two-sided")
        >>> r.reject(0.05), round(float(r.estimate), 2)
        (True, 0.2)
    """
    stats = [np.asarray(v, dtype=float) for v in (n_a, sum_a, sumsq_a, n_b, sum_b, sumsq_b)]
    (na, sa, qa), (nb, sb, qb) = stats[:3], stats[3:]
    has = (na >= 2) & (nb >= 2)
    na, nb = np.where(has, na, 2.0), np.where(has, nb, 2.0)
    var_a = np.maximum(qa - sa * sa / na, 0.0) / (na - 1)
    var_b = np.maximum(qb - sb * sb / nb, 0.0) / (nb - 1)
    s2 = np.where(has, var_a / na + var_b / nb, np.nan)
    scale = 0.1 * np.sqrt((var_a + var_b) / 2) if tau is None else positive("tau", tau, _WHERE)
    return msprt_normal(
        sb / nb - sa / na,
        s2,
        delta=delta,
        alternative=alternative,
        tau=scale,
        previous_p=previous_p,
    )
