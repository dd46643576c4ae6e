"""Routers built from deployment states: sticky across replicas and restarts, splits
that follow the weights."""

from __future__ import annotations

import json
from collections import Counter

from keel.rollout import DeploymentState, DeploySpec, decide, initial_state, router_for


def ab_state(split=(50, 50), salt="exp-1") -> DeploymentState:
    spec = DeploySpec.model_validate(
        {"model": "churn", "strategy": "ab", "ab": {"split": list(split), "salt": salt}}
    )
    return initial_state(spec, versions=[3, 4], now=0.0)


UNITS = [f"user-{i}" for i in range(20_000)]


def test_same_unit_same_version_on_two_replicas() -> None:
    state = ab_state()
    one, two = router_for(state), router_for(state)
    assert all(one.route(u) == two.route(u) for u in UNITS)


def test_same_unit_same_version_after_a_restart() -> None:
    state = ab_state()
    before = [router_for(state).route(u).version for u in UNITS]
    stored = json.dumps(state.to_dict())  # what the store keeps
    restarted = router_for(DeploymentState.from_dict(json.loads(stored)))
    assert [restarted.route(u).version for u in UNITS] == before


def test_split_follows_weights_and_salt_changes_the_assignment() -> None:
    counts = Counter(router_for(ab_state((70, 30))).route(u).version for u in UNITS)
    assert abs(counts[3] / len(UNITS) - 0.70) < 0.015
    a = [router_for(ab_state(salt="exp-1")).route(u).version for u in UNITS[:2000]]
    b = [router_for(ab_state(salt="exp-2")).route(u).version for u in UNITS[:2000]]
    assert 0.4 < sum(x == y for x, y in zip(a, b, strict=True)) / 2000 < 0.6


def test_canary_steps_keep_early_units_on_the_candidate() -> None:
    # The candidate owns the top of the bucket range and its range only grows, so a unit
    # on the stable may move to the candidate as steps advance, never back.
    spec = DeploySpec.model_validate(
        {"model": "churn", "strategy": "canary", "canary": {"min_requests": 1, "min_seconds": 0}}
    )
    state = initial_state(spec, versions=[1, 2], now=0.0, salt="c")
    first = {u for u in UNITS if router_for(state).route(u).version == 2}
    counts = {1: {"requests": 100.0}, 2: {"requests": 100.0}}
    later = decide(state, counts, now=1.0).state
    assert later.weight_of(2) == 25.0
    assert first <= {u for u in UNITS if router_for(later).route(u).version == 2}


def test_shadow_and_blue_green_versions_are_loaded() -> None:
    shadow = initial_state(
        DeploySpec.model_validate(
            {"model": "m", "strategy": "shadow", "shadow": {"fraction": 0.25}}
        ),
        versions=[1, 2],
        now=0.0,
        salt="s",
    )
    router = router_for(shadow)
    copied = sum(bool(router.route(u).shadows) for u in UNITS) / len(UNITS)
    assert {router.route(u).version for u in UNITS} == {1}
    assert abs(copied - 0.25) < 0.015 and router.versions() == {1, 2}
    blue_green = initial_state(
        DeploySpec.model_validate({"model": "m", "strategy": "blue_green"}),
        versions=[1, 2],
        now=0.0,
        salt="s",
    )
    assert router_for(blue_green).versions() == {1, 2}
    assert {router_for(blue_green).route(u).version for u in UNITS[:500]} == {2}
