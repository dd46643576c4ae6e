"""Experiment design: sample size, minimum detectable effect and duration, before launch.

Conventions (the same as statsmodels', so its answers are the known answers in tests):
proportions use Cohen's h, ``h = 2 asin(sqrt(p_b)) - 2 asin(sqrt(p_a))``
(``proportion_effectsize``), with the normal power of ``NormalIndPower``; means use
Cohen's d, ``d = delta / sd``, with the noncentral t power of ``TTestIndPower``.
``ratio`` is treatment units per control unit (``nobs2 = ratio * nobs1``). A two-sided
power counts both tails, as statsmodels does; "one-sided" tests in the effect's direction.

Example:
    >>> sample_size_proportions(0.10, 0.11).n_control
    14745
    >>> sample_size_means(0.5, sd=5.0).n_control
    1571
    >>> duration_days(29490, daily_units=5000, share=0.5)
    12
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats

from keel.experiments._checks import bad, positive, probability

__all__ = [
    "SampleSize",
    "duration_days",
    "mde_means",
    "mde_proportions",
    "sample_size_means",
    "sample_size_proportions",
]

_WHERE = "experiments.design"
_SIDES = ("two-sided", "one-sided")


@dataclass(frozen=True)
class SampleSize:
    """Units needed per arm to detect ``effect_size`` (Cohen's h or d) with the power asked."""

    n_control: int
    n_treatment: int
    effect_size: float

    @property
    def total(self) -> int:
        return self.n_control + self.n_treatment


def _power(effect: float, n1: float, ratio: float, alpha: float, sided: str, t: bool) -> float:
    """Power of the two-sample test with ``n1`` control units (statsmodels' formulas)."""
    n2 = n1 * ratio
    nc = abs(effect) * math.sqrt(1.0 / (1.0 / n1 + 1.0 / n2))
    tails = 2 if sided == "two-sided" else 1
    if not t:
        crit = stats.norm.isf(alpha / tails)
        lower = stats.norm.cdf(-crit - nc) if tails == 2 else 0.0
        return float(stats.norm.sf(crit - nc) + lower)
    df = n1 + n2 - 2
    crit = stats.t.isf(alpha / tails, df)
    lower = stats.nct.cdf(-crit, df, nc) if tails == 2 else 0.0
    return float(stats.nct.sf(crit, df, nc) + lower)


def _check(alpha: float, power: float, ratio: float, sided: str) -> None:
    probability("alpha", alpha, _WHERE)
    probability("power", power, _WHERE)
    positive("ratio", ratio, _WHERE)
    if sided not in _SIDES:
        raise bad("alternative", _WHERE, "'two-sided' or 'one-sided'", sided)
    if power <= alpha:
        raise bad("power", _WHERE, f"above alpha ({alpha})", power)


def _solve_n(effect: float, alpha: float, power: float, ratio: float, sided: str, t: bool) -> int:
    if effect == 0 or not math.isfinite(effect):
        raise bad("mde", _WHERE, "a non-zero difference", effect)

    def gap(n1: float) -> float:
        return _power(effect, n1, ratio, alpha, sided, t) - power

    # The t test needs one degree of freedom at least; the normal one any n > 0.
    low = 2.0 if t else 1e-6
    if gap(low) >= 0:
        return math.ceil(low)
    high = 4.0
    while gap(high) < 0:
        low, high = high, high * 4
    return math.ceil(optimize.brentq(gap, low, high, xtol=1e-9))


def _sample(
    effect: float, alpha: float, power: float, ratio: float, sided: str, t: bool
) -> SampleSize:
    _check(alpha, power, ratio, sided)
    n1 = _solve_n(effect, alpha, power, ratio, sided, t)
    return SampleSize(n1, math.ceil(n1 * ratio - 1e-9), effect)


def cohen_h(p_a: float, p_b: float) -> float:
    """Cohen's h of ``p_b`` against ``p_a`` (statsmodels ``proportion_effectsize(p_b, p_a)``)."""
    return 2 * math.asin(math.sqrt(p_b)) - 2 * math.asin(math.sqrt(p_a))


def sample_size_proportions(
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> SampleSize:
    """Units per arm to tell conversion rate ``p_treatment`` from ``p_control``."""
    probability("p_control", p_control, _WHERE)
    probability("p_treatment", p_treatment, _WHERE)
    return _sample(cohen_h(p_control, p_treatment), alpha, power, ratio, alternative, False)


def sample_size_means(
    mde: float,
    *,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> SampleSize:
    """Units per arm to detect a difference of means ``mde`` when units vary by ``sd``."""
    positive("sd", sd, _WHERE)
    return _sample(mde / sd, alpha, power, ratio, alternative, True)


def _solve_effect(n1: int, alpha: float, power: float, ratio: float, sided: str, t: bool) -> float:
    _check(alpha, power, ratio, sided)
    if not (isinstance(n1, int) and n1 >= (2 if t else 1)):
        raise bad("n_control", _WHERE, "an integer >= 2", n1)

    def gap(d: float) -> float:
        return _power(d, n1, ratio, alpha, sided, t) - power

    return float(optimize.brentq(gap, 1e-9, 50.0, xtol=1e-12))


def mde_proportions(
    p_control: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """The smallest upward change of ``p_control`` (absolute, in the rate's units) that
    ``n_control`` control units (and ``ratio`` times as many treated) detect."""
    probability("p_control", p_control, _WHERE)
    h = _solve_effect(n_control, alpha, power, ratio, alternative, False)
    angle = math.asin(math.sqrt(p_control)) + h / 2
    if angle >= math.pi / 2:
        return 1.0 - p_control
    return math.sin(angle) ** 2 - p_control


def mde_means(
    n_control: int,
    *,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """The smallest difference of means (in the metric's units) ``n_control`` units detect."""
    positive("sd", sd, _WHERE)
    return sd * _solve_effect(n_control, alpha, power, ratio, alternative, True)


def duration_days(total_units: int, *, daily_units: float, share: float = 1.0) -> int:
    """Whole days until ``total_units`` units have entered when ``daily_units`` arrive a
    day and ``share`` of them are in the experiment."""
    positive("daily_units", daily_units, _WHERE)
    probability("share", share, _WHERE, open_=False)
    if share == 0:
        raise bad("share", _WHERE, "a number above 0 and at most 1", share)
    return math.ceil(total_units / (daily_units * share))
