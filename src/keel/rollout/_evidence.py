"""Guardrail evidence: each guardrail of a canary judged from the serving counters of the
candidate and the stable version, a breach decided with significance.

error_rate, accuracy, reward and latency use keel.experiments' always-valid mSPRT, so the
controller may look at every tick without inflating false rollbacks. score_shift follows
the rule of the issue (PSI above the threshold AND a chi-square p below alpha); chi-square
is not always-valid, so it also waits for ``SCORE_MIN_N`` scored requests per side.

Example:
    >>> g = Guardrail("error_rate", "<=", 0.01)
    >>> stable = {"requests": 20000.0, "errors": 400.0}
    >>> e = judge(g, {"requests": 1000.0, "errors": 70.0}, stable, alpha=0.05)
    >>> e["breached"], round(e["statistic"], 3)
    (True, 0.05)
    >>> judge(g, {"requests": 1000.0, "errors": 21.0}, stable, alpha=0.05)["breached"]
    False
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from keel.rollout._guardrails import Guardrail
from keel.serving._routing import LATENCY_BOUNDS_S, SCORE_BINS

__all__ = ["MIN_N", "SCORE_MIN_N", "TAU", "judge"]

#: Observations per side before a guardrail may be breached: the mSPRT's plug-in variance
#: is a normal approximation, unreliable on a handful of requests.
MIN_N = 30
#: Scored requests per side before score_shift may be breached (PSI is biased upwards by
#: about bins/n on small samples, and chi-square is not always-valid).
SCORE_MIN_N = 500
#: mSPRT mixture scale per guardrail, in the metric's units: the effect size each test is
#: most sensitive to. 0.05 (5 points) for rates; None = a tenth of the reward's SD.
TAU: dict[str, float | None] = {
    "error_rate": 0.05,
    "accuracy": 0.05,
    "latency_p99_ms": 0.02,
    "reward": None,
}
#: latency_p99_ms: the share of requests allowed above the threshold.
_P99_SHARE = 0.01

Counts = Mapping[str, float]


def judge(guardrail: Guardrail, canary: Counts, stable: Counts, *, alpha: float) -> dict[str, Any]:
    """The evidence of one guardrail: {name, condition, statistic, p_value, threshold,
    n_canary, n_stable, breached, test} (JSON-able; None where nothing is known yet)."""
    return _JUDGES[guardrail.name](guardrail, canary, stable, alpha)


def _evidence(
    g: Guardrail, test: str, statistic: Any, p: Any, n_c: float, n_s: float, breached: bool
) -> dict[str, Any]:
    return {
        "name": g.name,
        "condition": f"{g.op} {g.threshold:g}",
        "test": test,
        "statistic": _finite(statistic),
        "p_value": _finite(p),
        "threshold": g.threshold,
        "n_canary": int(n_c),
        "n_stable": int(n_s),
        "breached": bool(breached),
    }


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _rate(g: Guardrail, c: Counts, s: Counts, alpha: float, hits: str, n: str) -> dict[str, Any]:
    from keel.experiments._sequential import msprt_proportions

    x_c, n_c, x_s, n_s = c.get(hits, 0.0), c.get(n, 0.0), s.get(hits, 0.0), s.get(n, 0.0)
    # error_rate: H0 canary - stable <= t, breach when above; accuracy: H0 >= t, below.
    side = "greater" if g.op == "<=" else "less"
    tau = TAU[g.name] or 0.05
    r = msprt_proportions(x_s, n_s, x_c, n_c, delta=g.threshold, alternative=side, tau=tau)
    enough = min(n_c, n_s) >= MIN_N
    estimate = r.estimate if enough else math.nan
    return _evidence(g, "msprt", estimate, r.p_value, n_c, n_s, enough and r.reject(alpha))


def _error_rate(g: Guardrail, c: Counts, s: Counts, alpha: float) -> dict[str, Any]:
    return _rate(g, c, s, alpha, "errors", "requests")


def _accuracy(g: Guardrail, c: Counts, s: Counts, alpha: float) -> dict[str, Any]:
    return _rate(g, c, s, alpha, "label_hits", "label_n")


def _reward(g: Guardrail, c: Counts, s: Counts, alpha: float) -> dict[str, Any]:
    from keel.experiments._sequential import msprt_means

    stats = [s.get(k, 0.0) for k in ("reward_n", "reward_sum", "reward_sumsq")]
    stats += [c.get(k, 0.0) for k in ("reward_n", "reward_sum", "reward_sumsq")]
    r = msprt_means(*stats, delta=g.threshold, alternative="less", tau=TAU["reward"])
    n_s, n_c = stats[0], stats[3]
    enough = min(n_c, n_s) >= MIN_N
    return _evidence(
        g,
        "msprt",
        r.estimate if enough else math.nan,
        r.p_value,
        n_c,
        n_s,
        enough and r.reject(alpha),
    )


def _slow_share(counts: Counts, threshold_ms: float) -> tuple[float, float]:
    """(requests surely slower than the threshold, requests in the histogram). A bucket
    straddling the threshold counts as fast: a breach must be certain, not rounded up."""
    limit, slow, total = threshold_ms / 1000.0, 0.0, 0.0
    lower = 0.0
    for i, upper in enumerate(LATENCY_BOUNDS_S):
        n = counts.get(f"lat_{i:02d}", 0.0)
        total += n
        if lower >= limit:
            slow += n
        lower = upper
    return slow, total


def _latency(g: Guardrail, c: Counts, s: Counts, alpha: float) -> dict[str, Any]:
    from keel.experiments._sequential import msprt_proportion

    slow, n_c = _slow_share(c, g.threshold)
    n_s = _slow_share(s, g.threshold)[1]
    r = msprt_proportion(slow, n_c, p0=_P99_SHARE, alternative="greater", tau=TAU[g.name] or 0.02)
    enough = n_c >= MIN_N
    share = slow / n_c if enough else math.nan
    return _evidence(g, "msprt_share_above", share, r.p_value, n_c, n_s, enough and r.reject(alpha))


def _score_shift(g: Guardrail, c: Counts, s: Counts, alpha: float) -> dict[str, Any]:
    import numpy as np
    from scipy.stats import chi2_contingency

    keys = [f"score_{i:02d}" for i in range(SCORE_BINS)]
    table = np.array([[c.get(k, 0.0) for k in keys], [s.get(k, 0.0) for k in keys]])
    n_c, n_s = table.sum(axis=1)
    if min(n_c, n_s) < SCORE_MIN_N:
        return _evidence(g, "psi_chi2", math.nan, math.nan, n_c, n_s, False)
    table = table[:, table.sum(axis=0) > 0]
    p = chi2_contingency(table)[1] if table.shape[1] > 1 else 1.0
    # PSI with a half-count floor per bin, so an empty bin on one side is finite.
    share = (table + 0.5) / (table + 0.5).sum(axis=1, keepdims=True)
    psi = float(np.sum((share[0] - share[1]) * np.log(share[0] / share[1])))
    return _evidence(g, "psi_chi2", psi, p, n_c, n_s, psi > g.threshold and p < alpha)


_JUDGES = {
    "error_rate": _error_rate,
    "accuracy": _accuracy,
    "reward": _reward,
    "latency_p99_ms": _latency,
    "score_shift": _score_shift,
}
