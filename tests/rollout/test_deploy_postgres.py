"""The deployments service on PostgreSQL (and SQLite, the same code path): concurrent
creators and controllers write each change once; counters from threads all add up."""

from __future__ import annotations

import threading
from collections.abc import Callable

from keel.rollout._deployments import Deployments
from keel.rollout._initial import initial_state
from keel.rollout._spec import parse_deploy_spec
from keel.rollout._state import Arm, DeploymentState
from keel.store import SQLStore

SPEC = parse_deploy_spec(
    {
        "name": "api",
        "model": "churn",
        "strategy": "canary",
        "canary": {"steps": [10, 100], "min_requests": 100, "min_seconds": 0},
    }
)


def _all_at_once(n: int, work: Callable[[int], object]) -> list[object]:
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # kept to assert on
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _canary(previous: DeploymentState | None) -> DeploymentState:
    return initial_state(SPEC, versions=[1, 2], now=0.0, salt="s", previous=previous)


def test_concurrent_creators_and_controllers_write_each_change_once(store: SQLStore) -> None:
    services = [Deployments(store, clock=lambda: 100.0) for _ in range(4)]
    # Two people deploy at once: one creates it, the other loses, reads again and replaces
    # it (one retry is enough when there is one rival).
    created = _all_at_once(2, lambda i: services[i].deploy("api", _canary, actor="cli"))
    assert sorted(s.revision for s in created) == [1, 2], created  # type: ignore[union-attr]
    state = services[0].get("api")
    assert state.arms == (Arm(1, 90.0), Arm(2, 10.0)) and state.epoch == 2
    _all_at_once(4, lambda i: services[i].add_counts("api", 2, {(1, "requests"): 250,
                                                                 (2, "requests"): 50}))  # fmt: skip
    assert services[1].counts("api") == {1: {"requests": 1000.0}, 2: {"requests": 200.0}}
    actions = _all_at_once(4, lambda i: services[i].tick("api").action)  # type: ignore[union-attr]
    assert sorted(actions) == ["advance", "hold", "hold", "hold"], actions  # type: ignore[type-var]
    kinds = [e.kind for e in services[2].history("api")]
    assert kinds == ["created", "updated", "advance"]
    assert services[3].get("api").arms == (Arm(1, 0.0), Arm(2, 100.0))
