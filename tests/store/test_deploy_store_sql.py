"""Deployment rows in the store, on SQLite and PostgreSQL: optimistic revisions, an
append-only event log written with each change, counters summed across writers."""

from __future__ import annotations

import threading

from keel.store import SQLStore
from keel.store._sql_deployments import DeploymentEventRow


def _state(revision: int, weight: float = 100.0) -> dict:
    return {
        "name": "api",
        "model": "churn",
        "strategy": "canary",
        "status": "active",
        "revision": revision,
        "epoch": 1,
        "arms": [[1, weight]],
    }


def _event(revision: int, kind: str = "created", at: float = 10.0) -> DeploymentEventRow:
    return DeploymentEventRow(
        deployment="api",
        at=at,
        revision=revision,
        kind=kind,
        actor="cli",
        reason="why not",
        evidence={"p_value": 0.5, "n": [1, 2]},
        state=_state(revision),
    )


def test_a_deployment_is_created_once_and_reads_back(store: SQLStore) -> None:
    assert store.deployment_state("api") is None
    assert store.write_deployment(_state(1), _event(1), expected=None) is True
    assert store.deployment_state("api") == _state(1)
    assert store.write_deployment(_state(1), _event(1), expected=None) is False
    assert [s["name"] for s in store.deployment_states()] == ["api"]
    assert len(store.deployment_events("api")) == 1


def test_an_update_lands_only_at_the_revision_it_read(store: SQLStore) -> None:
    store.write_deployment(_state(1), _event(1), expected=None)
    assert store.write_deployment(_state(2, 50.0), _event(2, "advance", 20.0), expected=1)
    # A second writer that also read revision 1 loses, and leaves no event behind.
    assert not store.write_deployment(_state(2, 75.0), _event(2, "advance", 21.0), expected=1)
    assert store.deployment_state("api") == _state(2, 50.0)
    events = store.deployment_events("api")
    assert [(e.revision, e.kind, e.at) for e in events] == [
        (1, "created", 10.0),
        (2, "advance", 20.0),
    ]
    assert events[1].evidence == {"p_value": 0.5, "n": [1, 2]} and events[1].reason == "why not"
    assert events[0].seq is not None and events[1].seq > events[0].seq


def test_counters_add_up_per_key_and_read_as_totals_and_series(store: SQLStore) -> None:
    store.add_deployment_counts("api", {(1, 1, 100, "requests"): 3, (1, 2, 100, "requests"): 1})
    store.add_deployment_counts("api", {(1, 1, 100, "requests"): 2, (1, 1, 101, "requests"): 4})
    store.add_deployment_counts("api", {(2, 1, 101, "requests"): 7, (1, 1, 101, "errors"): 1})
    store.add_deployment_counts("other", {(1, 1, 100, "requests"): 9})
    store.add_deployment_counts("api", {})
    assert store.deployment_count_totals("api", 1) == [
        (1, "errors", 1.0),
        (1, "requests", 9.0),
        (2, "requests", 1.0),
    ]
    assert store.deployment_count_series("api", 1) == [
        (100, 1, "requests", 5.0),
        (100, 2, "requests", 1.0),
        (101, 1, "errors", 1.0),
        (101, 1, "requests", 4.0),
    ]
    assert store.deployment_count_totals("api", 2) == [(1, "requests", 7.0)]


def test_counters_from_concurrent_replicas_are_all_kept(store: SQLStore) -> None:
    def replica(version: int) -> None:
        for _ in range(25):
            store.add_deployment_counts(
                "api", {(1, version, 100, "requests"): 1, (1, 9, 100, "requests"): 1}
            )

    threads = [threading.Thread(target=replica, args=(v,)) for v in (1, 2, 3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals = {(v, c): x for v, c, x in store.deployment_count_totals("api", 1)}
    assert totals == {(1, "requests"): 25, (2, "requests"): 25, (3, "requests"): 25,
                      (4, "requests"): 25, (9, "requests"): 100}  # fmt: skip
