"""A deployment's state: which versions answer with which weights, which get a copy, and
where a canary stands. One immutable record per revision, kept in the store; every server
replica routes from the same record, so a restart or a new replica changes nothing.

Example:
    >>> state = DeploymentState(name="churn-api", model="churn", strategy="canary",
    ...     arms=(Arm(3, 95.0), Arm(4, 5.0)), stable=3, candidate=4, salt="s1")
    >>> state.versions()
    frozenset({3, 4})
    >>> DeploymentState.from_dict(state.to_dict()) == state
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from keel.errors import ConfigError

__all__ = ["STATE_SCHEMA_VERSION", "STRATEGIES", "Arm", "DeploymentState"]

STATE_SCHEMA_VERSION = 1
STRATEGIES = ("single", "blue_green", "canary", "shadow", "ab", "bandit")


@dataclass(frozen=True)
class Arm:
    """One answering version and its share of traffic in percent (0-100)."""

    version: int
    weight: float


@dataclass(frozen=True)
class DeploymentState:
    """Attributes:
    name: the endpoint requests use (/predict/{name}).
    model: the registry model whose versions are deployed.
    strategy: one of STRATEGIES.
    arms: the answering versions; weights sum to 100.
    stable: the version a candidate is judged against and rolled back to (blue-green's
        previous colour), None when there is none.
    candidate: the version on trial (canary, blue-green's new colour), None when none.
    shadows: versions that get a copy of requests; their answers are logged, never returned.
    shadow_fraction: the share of requests copied to the shadows (0-1].
    step: the canary's current index into its steps.
    step_started_at: when the current step began (seconds since the epoch).
    step_base: the candidate's request count (in this epoch's counters) when the current
        step began, so a step's ``min_requests`` counts only its own requests.
    salt: mixed into the hash of a unit id, one per experiment, so two experiments do not
        split users the same way.
    epoch: the counters' key; +1 whenever the set of versions or their roles change, so a
        new trial starts from zero.
    revision: +1 on every change; a writer names the revision it read (optimistic
        concurrency between replicas and controllers).
    status: active | promoted | rolled_back | ended.
    settings: the strategy's settings from keel.yaml's ``deploy:`` (plain JSON).
    updated_at: when this revision was written (seconds since the epoch).
    """

    name: str
    model: str
    strategy: str
    arms: tuple[Arm, ...]
    stable: int | None = None
    candidate: int | None = None
    shadows: tuple[int, ...] = ()
    shadow_fraction: float = 1.0
    step: int = 0
    step_started_at: float = 0.0
    step_base: float = 0.0
    salt: str = ""
    epoch: int = 1
    revision: int = 0
    status: str = "active"
    settings: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    updated_at: float = 0.0

    def versions(self) -> frozenset[int]:
        """Every version a server must hold loaded: answering, shadow, and the stable and
        candidate versions (blue-green's old colour stays warm for an instant rollback)."""
        roles = {v for v in (self.stable, self.candidate) if v is not None}
        return frozenset(arm.version for arm in self.arms) | frozenset(self.shadows) | roles

    def weight_of(self, version: int) -> float:
        return sum(arm.weight for arm in self.arms if arm.version == version)

    def evolve(self, **changes: Any) -> DeploymentState:
        """A copy with ``changes`` (the caller bumps revision and epoch as it means to)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["arms"] = [[arm.version, arm.weight] for arm in self.arms]
        data["shadows"] = list(self.shadows)
        data["schema_version"] = STATE_SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeploymentState:
        found = dict(data)
        version = found.pop("schema_version", STATE_SCHEMA_VERSION)
        if version > STATE_SCHEMA_VERSION:
            raise ConfigError(
                f"The deployment {found.get('name')!r} was written by a newer keel (state "
                f"schema {version}; this keel reads up to {STATE_SCHEMA_VERSION}). "
                "Upgrade keel.",
                field="deploy",
            )
        found["arms"] = tuple(Arm(int(v), float(w)) for v, w in found.get("arms", ()))
        found["shadows"] = tuple(int(v) for v in found.get("shadows", ()))
        return cls(**found)
