"""Bandit deployments reweighted through the real ``decide`` with keel.experiments'
policies."""

from __future__ import annotations

import numpy as np

from keel.rollout import DeploymentState, DeploySpec, decide, initial_state


def bandit(**settings: object) -> DeploymentState:
    spec = DeploySpec.model_validate({"model": "m", "strategy": "bandit", "bandit": settings})
    return initial_state(spec, versions=[1, 2, 3], now=0.0, salt="b")


def rewards(*pairs: tuple[float, float]) -> dict[int, dict[str, float]]:
    return {v: {"reward_n": n, "reward_sum": s} for v, (n, s) in enumerate(pairs, start=1)}


def test_reweight_towards_the_best_arm_with_an_exploration_floor() -> None:
    state = bandit(min_share=0.05)
    d = decide(state, rewards((2000, 100), (2000, 120), (2000, 200)), now=1.0)
    assert d.action == "reweight"
    weights = {a.version: a.weight for a in d.state.arms}
    assert sum(weights.values()) == 100.0
    assert weights[3] > 85 and min(weights.values()) >= 5.0
    assert (d.state.epoch, d.state.revision) == (state.epoch, state.revision)
    assert [a["version"] for a in d.evidence["arms"]] == [1, 2, 3]
    assert "version 3 leads" in d.reason


def test_same_counts_same_weights_on_every_replica() -> None:
    state = bandit()
    seen = rewards((300, 15), (300, 20), (300, 22))
    first, second = decide(state, seen, now=1.0), decide(state, seen, now=2.0)
    assert first.state.arms == second.state.arms


def test_small_moves_hold() -> None:
    state = bandit(policy="ucb1", min_share=0.1)
    d = decide(state, rewards((500, 20), (500, 25), (500, 60)), now=1.0)
    assert [a.weight for a in d.state.arms] == [10.0, 10.0, 80.0]
    again = decide(d.state, rewards((520, 21), (520, 26), (900, 110)), now=2.0)
    assert again.action == "hold" and again.state is d.state


def test_accuracy_rewards_from_labels() -> None:
    state = bandit(reward="accuracy", policy="ucb1", min_share=0.1)
    labels = {
        v: {"label_n": 400.0, "label_hits": h} for v, h in ((1, 300.0), (2, 380.0), (3, 200.0))
    }
    d = decide(state, labels, now=1.0)
    assert max(d.state.arms, key=lambda a: a.weight).version == 2


def test_figure_thompson_puts_most_traffic_on_the_best_arm() -> None:
    # Rewards 0.05 / 0.06 / 0.08; weights recomputed every 250 requests (the controller
    # ticks on batches); 20 seeded runs of 20,000 requests, vectorised over runs.
    runs, batch, rng = 20, 250, np.random.default_rng(21)
    p = np.array([0.05, 0.06, 0.08])
    states = [bandit() for _ in range(runs)]
    states = [s.evolve(salt=f"b{i}") for i, s in enumerate(states)]
    n, s = np.zeros((runs, 3)), np.zeros((runs, 3))
    for tick in range(20_000 // batch):
        shares = np.array([[a.weight for a in st.arms] for st in states]) / 100
        k = np.array([rng.multinomial(batch, row / row.sum()) for row in shares])
        n += k
        s += rng.binomial(k, p)
        for i in range(runs):
            view = {v + 1: {"reward_n": n[i, v], "reward_sum": s[i, v]} for v in range(3)}
            states[i] = decide(states[i], view, now=float(tick)).state
    best = np.median([st.weight_of(3) for st in states])
    print(f"\nThompson: median weight of the best arm after 20,000 requests {best:.1f} %")
    assert best >= 80
