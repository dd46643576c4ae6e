"""What the controller decided, as a plain record the store writes to the audit log.

Example:
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> state = DeploymentState(name="api", model="churn", strategy="single", arms=(Arm(3, 100.0),))
    >>> Decision("hold", state, "Single deployments hold their weights.").changed
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keel.rollout._state import DeploymentState

__all__ = ["ACTIONS", "Decision"]

ACTIONS = ("hold", "advance", "promote", "rollback", "reweight")


@dataclass(frozen=True)
class Decision:
    """What the controller decided.

    Attributes:
        action: one of ACTIONS.
        state: the next state (the same object when holding); the caller bumps its
            revision by one and writes it. Epoch changes are already made here.
        reason: one sentence for `keel deployments history`.
        evidence: JSON-able: per guardrail {name, condition, test, statistic, p_value,
            threshold, n_canary, n_stable, breached}, the step, requests and seconds in
            the step; for a bandit the per-arm counts and allocation.
    """

    action: str
    state: DeploymentState
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether there is a new state to write (every action but hold)."""
        return self.action != "hold"
