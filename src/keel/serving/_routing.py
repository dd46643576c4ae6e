"""The routing seam: which model version answers each request of a deployment, and the
counters each server keeps per version so a controller above serving can judge them.

serving defines the seam and records; ``keel.rollout`` implements routers and reads the
counters (serving never imports rollout: layers point down).

Example:
    >>> tally = Tally()
    >>> tally.request(3, ok=True, latency_s=0.0012, score=0.8)
    >>> tally.request(3, ok=False, latency_s=0.0400, score=None)
    >>> counts = tally.drain()
    >>> counts[(3, "requests")], counts[(3, "errors")]
    (2.0, 1.0)
    >>> tally.drain()
    {}
    >>> latency_quantile({"lat_03": 98.0, "lat_11": 2.0}, 0.99)
    0.05
"""

from __future__ import annotations

import bisect
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "LATENCY_BOUNDS_S",
    "SCORE_BINS",
    "Assignment",
    "Router",
    "Tally",
    "latency_bucket",
    "latency_quantile",
    "score_bucket",
]

#: Upper bounds (seconds) of the latency histogram's buckets; counter ``lat_NN`` counts the
#: requests whose latency is <= bound NN and above bound NN-1; the last bucket is open.
LATENCY_BOUNDS_S: tuple[float, ...] = (
    0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02,
    0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, float("inf"),
)  # fmt: skip
#: Equal-width bins over [0, 1] of the score (a binary classifier's positive-class
#: probability, else the top class's); counter ``score_NN``.
SCORE_BINS = 20


@dataclass(frozen=True)
class Assignment:
    """Where one request goes: the version that answers and the versions that get a copy."""

    version: int
    shadows: tuple[int, ...] = ()


class Router(ABC):
    """Decides which version of one deployment answers each request.

    ``route`` runs on the event loop for every request: it must not block or do I/O and
    must be safe to call from several threads. The same ``unit`` must get the same
    version from every replica holding the same router state (hash, do not draw).
    A router is immutable: new state means a new router, swapped in whole.
    """

    @abstractmethod
    def route(self, unit: str) -> Assignment:
        """The assignment of the request whose unit id (or request id) is ``unit``."""

    @abstractmethod
    def versions(self) -> frozenset[int]:
        """Every version this router can assign (answering or shadow): loaded and warmed
        before the router serves."""


def latency_bucket(seconds: float) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_S, seconds)


def score_bucket(score: float) -> int:
    return min(max(int(score * SCORE_BINS), 0), SCORE_BINS - 1)


def latency_quantile(counts: Mapping[str, float], q: float) -> float:
    """The upper bound of the latency bucket holding quantile ``q`` of ``counts`` (a
    version's counters); nan when there are none."""
    buckets = [counts.get(f"lat_{i:02d}", 0.0) for i in range(len(LATENCY_BOUNDS_S))]
    total = sum(buckets)
    if total <= 0:
        return float("nan")
    seen = 0.0
    for bound, n in zip(LATENCY_BOUNDS_S, buckets, strict=True):
        seen += n
        if seen >= q * total:
            return bound
    return LATENCY_BOUNDS_S[-1]


class Tally:
    """Per-version counters a server adds to as it answers; ``drain`` hands the increments
    to whoever persists them (the store, summed over replicas) and starts again.

    Counters: ``requests``, ``errors`` (answers with a 5xx status or a timeout),
    ``lat_NN`` (LATENCY_BOUNDS_S), ``score_NN`` (SCORE_BINS), ``reward_n``,
    ``reward_sum``, ``reward_sumsq`` (POST /feedback rewards), ``label_n``,
    ``label_hits`` (labels equal to the prediction), ``shadow_n``, ``shadow_agree``
    (shadow answers equal to the answered one), ``shadow_errors``.
    Thread-safe: one lock held for a few dict updates.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str], float] = {}

    def add(self, version: int, counter: str, value: float = 1.0) -> None:
        key = (version, counter)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0.0) + value

    def request(self, version: int, *, ok: bool, latency_s: float, score: float | None) -> None:
        """Count one answered request."""
        keys = [(version, "requests"), (version, f"lat_{latency_bucket(latency_s):02d}")]
        if not ok:
            keys.append((version, "errors"))
        if score is not None:
            keys.append((version, f"score_{score_bucket(score):02d}"))
        with self._lock:
            counts = self._counts
            for key in keys:
                counts[key] = counts.get(key, 0.0) + 1.0

    def reward(self, version: int, reward: float) -> None:
        with self._lock:
            for counter, value in (("reward_n", 1.0), ("reward_sum", reward)):
                key = (version, counter)
                self._counts[key] = self._counts.get(key, 0.0) + value
            key = (version, "reward_sumsq")
            self._counts[key] = self._counts.get(key, 0.0) + reward * reward

    def drain(self) -> dict[tuple[int, str], float]:
        """The increments since the last drain, keyed by (version, counter)."""
        with self._lock:
            counts, self._counts = self._counts, {}
        return counts
