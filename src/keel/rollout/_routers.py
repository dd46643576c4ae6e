"""Routers: a deployment's state turned into a fast, deterministic choice per request.

A unit id (or the request id when the client sends none) is hashed with the deployment's
salt to a bucket in [0, 10000); the arms own consecutive ranges of buckets in proportion to
their weights. The same unit lands on the same version on every replica and after every
restart, for as long as the weights stay put. Shadow copies use a second, independent
hash, so the copied fraction does not correlate with the arm.

Example:
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> state = DeploymentState(name="api", model="churn", strategy="ab",
    ...     arms=(Arm(3, 50.0), Arm(4, 50.0)), salt="exp-1")
    >>> router = router_for(state)
    >>> router.route("user-42") == router_for(state).route("user-42")
    True
    >>> sorted(router.versions())
    [3, 4]
"""

from __future__ import annotations

import bisect
import hashlib

from keel.rollout._state import DeploymentState
from keel.serving._routing import Assignment, Router

__all__ = ["BUCKETS", "WeightedRouter", "bucket_of", "router_for"]

BUCKETS = 10_000


def bucket_of(salt: str, unit: str) -> int:
    """The unit's bucket in [0, BUCKETS): blake2b of salt and unit (about 0.5 µs)."""
    digest = hashlib.blake2b(f"{salt}\x00{unit}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


class WeightedRouter(Router):
    """Routes by the hash bucket of the unit over the arms' cumulative weights."""

    def __init__(self, state: DeploymentState):
        self._salt = state.salt
        self._shadow_salt = f"{state.salt}\x00shadow"
        self._versions = [arm.version for arm in state.arms if arm.weight > 0]
        edges, total = [], 0.0
        for arm in state.arms:
            if arm.weight > 0:
                total += arm.weight
                edges.append(round(total / 100.0 * BUCKETS))
        edges[-1] = BUCKETS  # rounding never leaves a bucket unowned
        self._edges = edges
        self._single = self._versions[0] if len(self._versions) == 1 else None
        self._shadows = tuple(state.shadows)
        self._shadow_cut = round(state.shadow_fraction * BUCKETS) if state.shadows else 0
        self._all = state.versions()

    def route(self, unit: str) -> Assignment:
        version = self._single
        if version is None:
            version = self._versions[bisect.bisect_right(self._edges, bucket_of(self._salt, unit))]
        if not self._shadows:
            return Assignment(version)
        copied = (
            self._shadow_cut >= BUCKETS or bucket_of(self._shadow_salt, unit) < self._shadow_cut
        )
        return Assignment(version, self._shadows if copied else ())

    def versions(self) -> frozenset[int]:
        return self._all


def router_for(state: DeploymentState) -> Router:
    """The router of ``state`` (every strategy routes by weights; what differs is who
    changes the weights, and when)."""
    return WeightedRouter(state)
