"""A deployment's audit log, as read back: every change with its reason and evidence.

Example:
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> state = DeploymentState(name="api", model="churn", strategy="single",
    ...     arms=(Arm(1, 100.0),), revision=1)
    >>> row = event_row(state, "created", "cli", "first release", {}, 60.0)
    >>> DeploymentEvent.from_row(row).state == state
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keel.rollout._state import DeploymentState

if TYPE_CHECKING:
    from keel.store._sql_deployments import DeploymentEventRow

__all__ = ["EVENT_KINDS", "DeploymentEvent", "event_row"]

EVENT_KINDS = (
    "created",
    "updated",
    "switch",
    "advance",
    "promote",
    "rollback",
    "reweight",
    "ended",
)


@dataclass(frozen=True)
class DeploymentEvent:
    """One change of a deployment.

    Attributes:
        id: its place in the log (increasing).
        deployment: the deployment's name.
        at: when (seconds since the epoch).
        revision: the state's revision after the change.
        kind: one of EVENT_KINDS.
        actor: who: "cli", "api" or "controller".
        reason: why, in a sentence (the controller's, or the person's --why), or None.
        evidence: the statistics behind an automatic decision (plain JSON).
        state: the state the change wrote.
    """

    id: int
    deployment: str
    at: float
    revision: int
    kind: str
    actor: str
    reason: str | None
    evidence: dict[str, Any]
    state: DeploymentState

    @classmethod
    def from_row(cls, row: DeploymentEventRow) -> DeploymentEvent:
        return cls(
            id=row.seq or 0,
            deployment=row.deployment,
            at=row.at,
            revision=row.revision,
            kind=row.kind,
            actor=row.actor,
            reason=row.reason,
            evidence=row.evidence,
            state=DeploymentState.from_dict(row.state),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, for ``--json`` output."""
        return {
            "id": self.id,
            "deployment": self.deployment,
            "at": self.at,
            "revision": self.revision,
            "kind": self.kind,
            "actor": self.actor,
            "reason": self.reason,
            "evidence": self.evidence,
            "state": self.state.to_dict(),
        }


def event_row(
    state: DeploymentState,
    kind: str,
    actor: str,
    reason: str | None,
    evidence: dict[str, Any],
    at: float,
) -> DeploymentEventRow:
    """The store's row for the change that wrote ``state``."""
    from keel.store._sql_deployments import DeploymentEventRow

    return DeploymentEventRow(
        deployment=state.name,
        at=at,
        revision=state.revision,
        kind=kind,
        actor=actor,
        reason=reason,
        evidence=evidence,
        state=state.to_dict(),
    )
