"""Multi-armed bandit policies: how to split the next batch of traffic between arms from
each arm's plain counts ``(n, successes)`` (rewards in [0, 1]; ``successes`` is their sum).

Policies keep no state of their own: the counts are the state, so a controller can
persist them anywhere and any replica computes the same split. Every arm keeps at least
``min_share`` of traffic, so a late-blooming arm is still seen:
``share = min_share + (1 - arms * min_share) * preference``.

Example:
    >>> counts = {1: (1000, 50), 2: (1000, 60), 3: (1000, 80)}
    >>> split = ThompsonSampling(min_share=0.05, seed=7).allocation(counts)
    >>> max(split, key=split.get), round(sum(split.values()), 6)
    (3, 1.0)
    >>> UCB1(min_share=0.1).allocation({"a": (0, 0), "b": (10, 9)})
    {'a': 0.9, 'b': 0.1}
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from typing import TypeVar

import numpy as np

from keel.experiments._checks import bad, positive

__all__ = ["UCB1", "BanditPolicy", "ThompsonSampling", "bandit_policy"]

K = TypeVar("K", bound=Hashable)
_WHERE = "deploy.bandit"


class BanditPolicy(ABC):
    """Turns per-arm ``(n, successes)`` into traffic shares that sum to 1.

    ``allocation`` is a pure function of the counts (and, for a randomised policy, of its
    seed or the ``rng`` passed): safe to call from any thread or replica.
    """

    def __init__(self, *, min_share: float = 0.05) -> None:
        if not (isinstance(min_share, int | float) and 0 <= min_share < 1):
            raise bad("min_share", _WHERE, "a number >= 0 and < 1", min_share)
        self.min_share = float(min_share)

    def allocation(
        self, counts: Mapping[K, tuple[float, float]], *, rng: np.random.Generator | None = None
    ) -> dict[K, float]:
        """The share of the next requests each arm should get."""
        arms = list(counts)
        if not arms:
            raise bad("arms", _WHERE, "at least one arm", counts)
        if self.min_share * len(arms) > 1:
            raise bad(
                "min_share", _WHERE, f"at most 1/{len(arms)} with {len(arms)} arms", self.min_share
            )
        n = np.array([float(counts[a][0]) for a in arms])
        s = np.array([float(counts[a][1]) for a in arms])
        if (n < 0).any() or (s < 0).any() or (s > n).any():
            raise bad(
                "counts", _WHERE, "pairs (n, successes) with 0 <= successes <= n", dict(counts)
            )
        pref = self._preference(n, s, rng)
        shares = self.min_share + (1 - self.min_share * len(arms)) * pref
        return dict(zip(arms, shares.tolist(), strict=True))

    @abstractmethod
    def _preference(
        self, n: np.ndarray, s: np.ndarray, rng: np.random.Generator | None
    ) -> np.ndarray:
        """Shares (summing to 1) before the exploration floor."""


class ThompsonSampling(BanditPolicy):
    """Beta-Bernoulli Thompson sampling, batched: each arm's share is the posterior
    probability that it is the best, estimated from ``draws`` posterior samples.

    Args:
        min_share: exploration floor per arm.
        draws: posterior samples per arm; the estimate's standard error is at most
            ``0.5 / sqrt(draws)``.
        prior: Beta prior ``(alpha, beta)`` of every arm's success rate.
        seed: seeds the draws when no ``rng`` is passed, so equal counts give an equal split.
    """

    def __init__(
        self,
        *,
        min_share: float = 0.05,
        draws: int = 10_000,
        prior: tuple[float, float] = (1.0, 1.0),
        seed: int | None = 0,
    ) -> None:
        super().__init__(min_share=min_share)
        if not (isinstance(draws, int) and draws >= 1):
            raise bad("draws", _WHERE, "an integer >= 1", draws)
        positive("prior", prior[0], _WHERE)
        positive("prior", prior[1], _WHERE)
        self.draws, self.prior, self.seed = draws, prior, seed

    def _preference(
        self, n: np.ndarray, s: np.ndarray, rng: np.random.Generator | None
    ) -> np.ndarray:
        rng = np.random.default_rng(self.seed) if rng is None else rng
        a, b = self.prior
        samples = rng.beta(a + s, b + n - s, size=(self.draws, n.size))
        wins = np.bincount(samples.argmax(axis=1), minlength=n.size)
        return wins / self.draws


class UCB1(BanditPolicy):
    """UCB1 (Auer et al. 2002), batched: all traffic above the floors goes to the arm with
    the highest ``mean + sqrt(2 ln N / n)``; an arm never tried comes first."""

    def _preference(
        self, n: np.ndarray, s: np.ndarray, rng: np.random.Generator | None
    ) -> np.ndarray:
        total = max(float(n.sum()), 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ucb = np.where(n > 0, s / n + np.sqrt(2 * math.log(total) / n), np.inf)
        pref = np.zeros(n.size)
        pref[int(np.argmax(ucb))] = 1.0
        return pref


def bandit_policy(name: str, *, min_share: float = 0.05, seed: int | None = 0) -> BanditPolicy:
    """The policy called ``name`` ("thompson" or "ucb1") in keel.yaml ``deploy.bandit``."""
    if name == "thompson":
        return ThompsonSampling(min_share=min_share, seed=seed)
    if name == "ucb1":
        return UCB1(min_share=min_share)
    raise bad("policy", _WHERE, "'thompson' or 'ucb1'", name)
