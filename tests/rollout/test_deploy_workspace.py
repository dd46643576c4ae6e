"""Deployments through the Workspace on a real store and registry: create from keel.yaml and
arguments, replace, roll back, end, history, counters, the controller tick, races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from _deploy_support import churn_workspace, feed, write_packages

import keel
from keel.errors import ConfigError, RegistryError, RolloutError
from keel.rollout._state import Arm

CANARY_YAML = """
deploy:
  name: churn-api
  model: churn
  strategy: canary
  alias: champion
  canary: {steps: [50, 100], min_requests: 200, min_seconds: 0,
           guardrails: {error_rate: "<= 0.01"}}
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_packages(tmp_path_factory.mktemp("deploy-packages"))


@pytest.fixture
def ws(tmp_path: Path, packages: list[Path], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    opened = churn_workspace(tmp_path / "ws", packages)
    yield opened
    opened.close()


@pytest.fixture
def canary_ws(tmp_path: Path, packages: list[Path], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    opened = churn_workspace(tmp_path / "ws", packages, CANARY_YAML)
    yield opened
    opened.close()


def test_a_single_deployment_defaults_to_the_newest_version(ws: keel.Workspace) -> None:
    state = ws.deploy("api", model="churn", why="first release")
    assert (state.name, state.strategy, state.arms) == ("api", "single", (Arm(3, 100.0),))
    assert (state.revision, state.epoch, state.status) == (1, 1, "active")
    assert ws.deployment("api") == state and ws.deployments() == [state]
    [event] = ws.deployment_history("api")
    assert (event.kind, event.actor, event.reason, event.revision) == (
        "created", "api", "first release", 1)  # fmt: skip
    assert event.state == state


def test_blue_green_switches_and_rolls_back_in_one_call(ws: keel.Workspace) -> None:
    ws.deploy("api", versions=["churn/1"], actor="cli")
    switched = ws.deploy("api", versions=["churn/2"], strategy="blue_green", actor="cli")
    assert (switched.arms, switched.stable, switched.candidate) == ((Arm(2, 100.0),), 1, 2)
    assert (switched.revision, switched.epoch) == (2, 2)
    back = ws.rollback_deployment("api", why="latency")
    assert (back.arms, back.status, back.revision, back.epoch) == (
        (Arm(1, 100.0),), "rolled_back", 3, 3)  # fmt: skip
    with pytest.raises(RolloutError, match="nothing to roll back to"):
        ws.rollback_deployment("api")
    kinds = [(e.kind, e.actor, e.reason) for e in ws.deployment_history("api")]
    assert kinds == [
        ("created", "cli", None),
        ("switch", "cli", None),
        ("rollback", "cli", "latency"),
    ]


def test_unknown_deployments_versions_and_models_are_refused(
    ws: keel.Workspace, packages: list[Path]
) -> None:
    with pytest.raises(RolloutError, match=r"No deployment named 'nope'.*none yet"):
        ws.deployment("nope")
    with pytest.raises(RegistryError, match="no version 9"):
        ws.deploy("api", versions=["churn/9"])
    with pytest.raises(RegistryError, match="No model named 'other'"):
        ws.deploy("api", model="other")
    ws.registry.register("other", packages[0])
    with pytest.raises(ConfigError, match="must name versions of 'churn'"):
        ws.deploy("api", model="churn", versions=["churn/1", "other/1"])
    with pytest.raises(ConfigError, match=r"deploy\.ab"):
        ws.deploy("api", versions=[1, 2], strategy="ab", settings={"ab": {"split": [50, 40]}})
    with pytest.raises(ConfigError, match="strategy"):
        ws.deploy("api", versions=[1], strategy="bogus")
    assert ws.deployments() == []
    ws.deploy("api", versions=[1])
    with pytest.raises(RolloutError, match="known: api"):
        ws.rollback_deployment("nope")


def test_ab_split_from_settings_with_a_fresh_salt_per_experiment(ws: keel.Workspace) -> None:
    first = ws.deploy("exp", versions=[1, 2], strategy="ab", settings={"ab": {"split": [30, 70]}})
    assert first.arms == (Arm(1, 30.0), Arm(2, 70.0)) and len(first.salt) >= 8
    second = ws.deploy("exp", versions=[1, 2], strategy="ab")
    assert second.arms == (Arm(1, 50.0), Arm(2, 50.0)) and second.salt != first.salt
    pinned = ws.deploy("exp", versions=[1, 2], strategy="ab", settings={"ab": {"salt": "s-1"}})
    assert pinned.salt == "s-1"
    assert ws.rollback_deployment("exp").arms == (Arm(1, 100.0),)


def test_counters_from_two_replicas_sum_per_epoch_and_by_minute(
    ws: keel.Workspace, tmp_path: Path
) -> None:
    ws.deploy("api", versions=[1, 2], strategy="ab")
    replica = keel.Workspace.open(tmp_path / "ws")
    try:
        ws.add_deployment_counts("api", 1, {(1, "requests"): 5, (2, "errors"): 0}, at=120.0)
        replica.add_deployment_counts("api", 1, {(1, "requests"): 2, (2, "requests"): 4}, at=185.0)
        assert replica.deployment_counts("api") == {1: {"requests": 7.0}, 2: {"requests": 4.0}}
        frame = ws.deployment_counts_by_minute("api")
        assert list(frame.columns) == ["minute", "version", "counter", "value"]
        assert frame.values.tolist() == [[2, 1, "requests", 5.0], [3, 1, "requests", 2.0],
                                         [3, 2, "requests", 4.0]]  # fmt: skip
        ws.deploy("api", versions=[1, 3], strategy="ab")  # a new experiment counts from zero
        assert ws.deployment_counts("api") == {}
        assert ws.deployment_counts("api", epoch=1)[1] == {"requests": 7.0}
    finally:
        replica.close()


def test_a_canary_from_keel_yaml_advances_and_promotes_moving_the_alias(
    canary_ws: keel.Workspace,
) -> None:
    ws = canary_ws
    ws.registry.set_alias("churn", "champion", 1)
    state = ws.deploy(versions=["churn@champion", "churn/2"], actor="cli", why="try 2")
    assert (state.name, state.stable, state.candidate, state.arms) == (
        "churn-api", 1, 2, (Arm(1, 50.0), Arm(2, 50.0)))  # fmt: skip
    assert ws.advance_deployment("churn-api").action == "hold"
    feed(ws, "churn-api", {1: (400, 0), 2: (400, 0)})
    advanced = ws.advance_deployment("churn-api")
    assert advanced.action == "advance" and advanced.state.revision == 2
    assert advanced.state.arms == (Arm(1, 0.0), Arm(2, 100.0)) and advanced.state.step == 1
    feed(ws, "churn-api", {2: (400, 0)})
    promoted = ws.advance_deployment("churn-api")
    assert promoted.action == "promote" and promoted.state.status == "promoted"
    assert ws.registry.resolve("churn@champion").version == 2
    assert ws.registry.history("churn", "champion")[-1].why == promoted.reason
    history = ws.deployment_history("churn-api")
    assert [(e.kind, e.actor) for e in history] == [
        ("created", "cli"), ("advance", "controller"), ("promote", "controller")]  # fmt: skip
    assert history[1].evidence["guardrails"][0]["breached"] is False
    assert ws.advance_deployment("churn-api").action == "hold"  # promoted: nothing to do


def test_a_breaching_canary_is_rolled_back_by_the_controller(canary_ws: keel.Workspace) -> None:
    ws = canary_ws
    ws.deploy(versions=[1, 2])
    feed(ws, "churn-api", {1: (1000, 10), 2: (1000, 150)})
    decision = ws.advance_deployment("churn-api")
    assert decision.action == "rollback"
    assert ws.deployment("churn-api").arms == (Arm(1, 100.0),)
    assert ws.deployment_history("churn-api")[-1].kind == "rollback"


def test_concurrent_controllers_write_each_decision_once(canary_ws: keel.Workspace) -> None:
    ws = canary_ws
    ws.deploy(versions=[1, 2])
    feed(ws, "churn-api", {1: (400, 0), 2: (400, 0)})
    replicas = [keel.Workspace.open(ws.root) for _ in range(4)]
    actions: list[str] = []
    barrier = threading.Barrier(len(replicas))

    def tick(replica: keel.Workspace) -> None:
        barrier.wait()
        actions.append(replica.advance_deployment("churn-api").action)

    threads = [threading.Thread(target=tick, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for replica in replicas:
        replica.close()
    assert sorted(actions).count("advance") == 1, actions
    assert [e.kind for e in ws.deployment_history("churn-api")] == ["created", "advance"]
    assert ws.deployment("churn-api").revision == 2


def test_a_change_that_loses_a_race_is_recomputed_once_then_refused(ws: keel.Workspace) -> None:
    from keel.rollout._deployments import Deployments

    ws.deploy("api", versions=[1])
    other = Deployments(ws.store)
    races = {"left": 1}

    def build(previous):
        if races["left"]:  # another writer moves the deployment after we read it
            races["left"] -= 1
            other.deploy("api", lambda p: p.evolve(arms=(Arm(2, 100.0),)))
        return previous.evolve(arms=(Arm(3, 100.0),))

    service = Deployments(ws.store)
    assert service.deploy("api", build).revision == 3
    races["left"] = 5
    with pytest.raises(RolloutError, match="changed twice"):
        service.deploy("api", build)


def test_ending_keeps_the_history_and_stops_the_controller(canary_ws: keel.Workspace) -> None:
    ws = canary_ws
    ws.deploy(versions=[1, 2])
    ended = ws.end_deployment("churn-api", why="done")
    assert ended.status == "ended" and ended.revision == 2
    assert ws.advance_deployment("churn-api").action == "hold"
    with pytest.raises(RolloutError, match="ended already"):
        ws.end_deployment("churn-api")
    with pytest.raises(RolloutError, match="has ended"):
        ws.rollback_deployment("churn-api")
    again = ws.deploy(versions=[2, 3])  # deploying again starts it afresh
    assert (again.status, again.stable, again.candidate, again.epoch) == ("active", 2, 3, 2)
