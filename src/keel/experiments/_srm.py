"""Sample-ratio mismatch: when the arms' unit counts are too far from the planned split
for chance, assignment or logging is broken and no comparison of the arms can be trusted.

A chi-square goodness-of-fit test (scipy ``chisquare``) at a strict ``alpha`` (0.001 by
default, as is common: SRM checks run on every experiment, so false alarms must be rare).

Example:
    >>> srm_check({1: 5000, 2: 5000}, {1: 50, 2: 50}).verdict
    'valid'
    >>> r = srm_check({1: 5000, 2: 5400}, {1: 0.5, 2: 0.5})
    >>> r.verdict, round(r.p_value, 4)
    ('invalid', 0.0001)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from scipy import stats

from keel.experiments._checks import bad, probability

__all__ = ["SRMResult", "srm_check"]

_WHERE = "experiments.srm"
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class SRMResult:
    """The chi-square test of observed counts against the expected split."""

    statistic: float
    p_value: float
    alpha: float
    observed: dict[Any, float] = field(default_factory=dict)
    expected_share: dict[Any, float] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.p_value < self.alpha

    @property
    def verdict(self) -> str:
        """ "valid", or "invalid" when the split is off beyond chance."""
        return "valid" if self.valid else "invalid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "verdict": self.verdict,
            "observed": {str(k): v for k, v in self.observed.items()},
            "expected_share": {str(k): v for k, v in self.expected_share.items()},
        }


def srm_check(
    observed: Mapping[K, float],
    expected: Mapping[K, float],
    *,
    alpha: float = 0.001,
) -> SRMResult:
    """Chi-square test of per-arm unit counts ``observed`` against ``expected`` weights
    (shares or percentages, normalised; an arm missing from ``observed`` counts 0).

    Raises:
        ConfigError: fewer than two arms, a negative weight, or no units at all.
    """
    probability("alpha", alpha, _WHERE)
    arms = list(expected)
    weights = np.array([float(expected[a]) for a in arms])
    if len(arms) < 2 or (weights < 0).any() or weights.sum() <= 0:
        raise bad("expected", _WHERE, "weights >= 0 for two or more arms", dict(expected))
    extra = set(observed) - set(arms)
    if extra:
        raise bad(
            "observed", _WHERE, f"counts for the expected arms {arms}", sorted(map(str, extra))
        )
    counts = np.array([float(observed.get(a, 0.0)) for a in arms])
    if counts.sum() <= 0:
        raise bad("observed", _WHERE, "counts with at least one unit", dict(observed))
    shares = weights / weights.sum()
    # A 0 % arm must see nothing; chisquare cannot take a zero expectation, so test the
    # others and call any unit in a 0 % arm a mismatch outright.
    live = shares > 0
    if (counts[~live] > 0).any():
        statistic, p_value = float("inf"), 0.0
    else:
        res = stats.chisquare(counts[live], f_exp=counts.sum() * shares[live])
        statistic, p_value = float(res.statistic), float(res.pvalue)
    return SRMResult(
        statistic,
        p_value,
        alpha,
        dict(zip(arms, counts.tolist(), strict=True)),
        dict(zip(arms, shares.tolist(), strict=True)),
    )
