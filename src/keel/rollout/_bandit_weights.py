"""The bandit controller: a deployment's weights recomputed from its reward counters by
keel.experiments' policies (Thompson sampling, UCB1), with a floor of exploration per arm.

Deterministic: Thompson's posterior draws are seeded from the salt, the epoch and the
counts, so every replica that ticks on the same counters computes the same weights.

Example:
    >>> from keel.rollout._state import Arm
    >>> state = DeploymentState(name="api", model="churn", strategy="bandit",
    ...     arms=(Arm(1, 50.0), Arm(2, 50.0)), salt="s",
    ...     settings={"bandit": {"policy": "ucb1", "min_share": 0.1}})
    >>> counts = {1: {"reward_n": 500.0, "reward_sum": 20.0},
    ...           2: {"reward_n": 500.0, "reward_sum": 60.0}}
    >>> d = decide_bandit(state, counts, now=0.0)
    >>> d.action, [(a.version, a.weight) for a in d.state.arms]
    ('reweight', [(1, 10.0), (2, 90.0)])
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from keel.rollout._decision import Decision
from keel.rollout._spec import BanditSpec
from keel.rollout._state import Arm, DeploymentState

__all__ = ["MIN_CHANGE", "decide_bandit"]

#: Weights move only when some arm's share changes by more than this many points: each
#: move re-buckets some units, and a fresh state revision costs every replica a reload.
MIN_CHANGE = 0.5

_COUNTERS = {"reward": ("reward_n", "reward_sum"), "accuracy": ("label_n", "label_hits")}


def decide_bandit(
    state: DeploymentState, counts: Mapping[int, Mapping[str, float]], now: float
) -> Decision:
    """Reweight ``state``'s arms from ``counts`` when the policy's split moved enough."""
    from keel.experiments._bandits import bandit_policy

    spec = BanditSpec.model_validate(state.settings.get("bandit", {}))
    per_arm = _successes(state, counts, spec.reward)
    policy = bandit_policy(spec.policy, min_share=spec.min_share, seed=_seed(state, per_arm))
    shares = policy.allocation(per_arm)
    weights = _percent([shares[arm.version] for arm in state.arms])
    moved = max(abs(w - arm.weight) for w, arm in zip(weights, state.arms, strict=True))
    evidence = _evidence(state, spec, per_arm, weights)
    if moved <= MIN_CHANGE:
        reason = f"Holding the bandit's weights: the {spec.policy} split moved {moved:.2f} points."
        return Decision("hold", state, reason, evidence)
    arms = tuple(Arm(arm.version, w) for arm, w in zip(state.arms, weights, strict=True))
    best = max(arms, key=lambda arm: arm.weight)
    reason = (
        f"Reweighted by {spec.policy} on {spec.reward}: "
        + ", ".join(f"{a.version}: {a.weight:g} %" for a in arms)
        + f" (version {best.version} leads)."
    )
    return Decision("reweight", state.evolve(arms=arms), reason, evidence)


def _successes(
    state: DeploymentState, counts: Mapping[int, Mapping[str, float]], reward: str
) -> dict[int, tuple[float, float]]:
    """Per arm (n, successes); rewards outside [0, 1] clipped so the Beta stays proper."""
    n_key, s_key = _COUNTERS[reward]
    found = {}
    for arm in state.arms:
        c = counts.get(arm.version, {})
        n = max(float(c.get(n_key, 0.0)), 0.0)
        found[arm.version] = (n, min(max(float(c.get(s_key, 0.0)), 0.0), n))
    return found


def _seed(state: DeploymentState, per_arm: Mapping[int, tuple[float, float]]) -> int:
    text = f"{state.salt}|{state.epoch}|{sorted(per_arm.items())}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _percent(shares: list[float]) -> list[float]:
    """Shares as percentages with two decimals that sum to exactly 100."""
    weights = [round(100.0 * s, 2) for s in shares]
    top = max(range(len(weights)), key=weights.__getitem__)
    weights[top] = round(100.0 - sum(w for i, w in enumerate(weights) if i != top), 2)
    return weights


def _evidence(
    state: DeploymentState,
    spec: BanditSpec,
    per_arm: Mapping[int, tuple[float, float]],
    weights: list[float],
) -> dict[str, Any]:
    return {
        "policy": spec.policy,
        "reward": spec.reward,
        "min_share": spec.min_share,
        "arms": [
            {
                "version": arm.version,
                "n": per_arm[arm.version][0],
                "successes": per_arm[arm.version][1],
                "mean": per_arm[arm.version][1] / per_arm[arm.version][0]
                if per_arm[arm.version][0]
                else None,
                "weight": arm.weight,
                "new_weight": w,
            }
            for arm, w in zip(state.arms, weights, strict=True)
        ],
    }
