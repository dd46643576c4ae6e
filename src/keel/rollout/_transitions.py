"""The changes people ask for (as opposed to the controller's): roll back, end.

Pure functions of a state, so the service can compute them again from a fresh read when
another writer moved the deployment meanwhile.

Example:
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> state = DeploymentState(name="api", model="churn", strategy="canary",
    ...     arms=(Arm(3, 75.0), Arm(4, 25.0)), stable=3, candidate=4, epoch=2)
    >>> back = rolled_back(state)
    >>> back.arms, back.candidate, back.status, back.epoch
    ((Arm(version=3, weight=100.0),), None, 'rolled_back', 3)
"""

from __future__ import annotations

from keel.errors import RolloutError
from keel.rollout._state import Arm, DeploymentState

__all__ = ["ended", "rollback_target", "rolled_back"]


def rollback_target(state: DeploymentState) -> int:
    """The version a rollback sends all traffic to: the stable one, else (A/B, bandit) the
    first arm, the control.

    Raises:
        RolloutError: the deployment has ended, or already answers with that version alone.
    """
    if state.status == "ended":
        raise RolloutError(
            f"The deployment {state.name!r} has ended: there is nothing to roll back.",
            deployment=state.name,
        )
    target = state.stable
    if target is None and state.strategy in ("ab", "bandit") and state.arms:
        target = state.arms[0].version
    alone = state.arms == (Arm(target, 100.0),) if target is not None else False
    if target is None or (alone and not state.shadows):
        serving = ", ".join(f"{arm.version} ({arm.weight:g} %)" for arm in state.arms)
        raise RolloutError(
            f"The deployment {state.name!r} has nothing to roll back to: it serves "
            f"{state.model} version {serving} and keeps no previous version. Deploy the "
            "version you want instead (`keel deploy`).",
            deployment=state.name,
        )
    return target


def rolled_back(state: DeploymentState) -> DeploymentState:
    """All traffic to the rollback target, no candidate, no shadows; a new epoch, since the
    versions' roles changed (the caller bumps the revision)."""
    target = rollback_target(state)
    return state.evolve(
        arms=(Arm(target, 100.0),),
        stable=target,
        candidate=None,
        shadows=(),
        step=0,
        step_base=0.0,
        status="rolled_back",
        epoch=state.epoch + 1,
    )


def ended(state: DeploymentState) -> DeploymentState:
    """The deployment stopped: servers stop answering for it; its history stays."""
    if state.status == "ended":
        raise RolloutError(
            f"The deployment {state.name!r} has ended already.", deployment=state.name
        )
    return state.evolve(status="ended", shadows=())
