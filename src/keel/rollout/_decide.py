"""The controller's decision: given a deployment's state and its counters, what to do next.

A pure function of (state, counts, now): every replica that ticks reaches the same answer
and the store's optimistic revision lets one of them write it. Canary: roll back, advance,
promote or hold (keel.rollout._canary); bandit: reweight from reward counters
(keel.rollout._bandit_weights); every other strategy holds (people change those).

Example:
    >>> from keel.rollout._state import Arm
    >>> state = DeploymentState(name="api", model="churn", strategy="ab",
    ...     arms=(Arm(3, 50.0), Arm(4, 50.0)), salt="s")
    >>> decision = decide(state, {3: {"requests": 10.0}}, now=0.0)
    >>> decision.action, decision.state is state
    ('hold', True)
"""

from __future__ import annotations

from collections.abc import Mapping

from keel.rollout._decision import ACTIONS, Decision
from keel.rollout._state import DeploymentState

__all__ = ["ACTIONS", "Decision", "decide"]


def decide(
    state: DeploymentState, counts: Mapping[int, Mapping[str, float]], now: float
) -> Decision:
    """The next step of ``state`` given this epoch's counters.

    Args:
        state: the deployment as last written.
        counts: ``{version: {counter: total}}`` of ``state.epoch``, summed over replicas
            (serving's Tally counters: requests, errors, lat_NN, score_NN, reward_*, ...).
        now: seconds since the epoch (passed in, so the function stays pure).

    Returns:
        A Decision; ``action == "hold"`` returns ``state`` itself.
    """
    if state.status != "active":
        return Decision("hold", state, f"The deployment is {state.status}; nothing to decide.")
    if state.strategy == "canary":
        from keel.rollout._canary import decide_canary

        return decide_canary(state, counts, now)
    if state.strategy == "bandit":
        from keel.rollout._bandit_weights import decide_bandit

        return decide_bandit(state, counts, now)
    return Decision(
        "hold",
        state,
        f"A {state.strategy} deployment keeps its weights until someone changes them.",
    )
