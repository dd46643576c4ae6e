"""POST /feedback/{deployment}: rewards and labels reach the counters of the version that
answered (remembered by request id), a forgotten id needs its version, and a bandit's
controller reweights from those rewards, which the server then routes by."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _serve_deploy_support import Replica, workspace

import keel

SALT = {"ab": {"salt": "test-salt-1"}}  # a fixed salt: the same split on every run


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cancer_packages: dict) -> Iterator[Any]:
    found = workspace(tmp_path_factory.mktemp("deploy-feedback"), cancer_packages)
    yield found
    found.close()


def test_bandit_rewards_through_feedback_reach_the_counters_and_the_weights(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    state = ws.deploy("bandit-api", model="cancer", versions=[1, 2], strategy="bandit",
                      settings={"bandit": {"min_share": 0.05}})  # fmt: skip
    replica = Replica(ws, ["bandit-api"], serve)
    answered = {1: 0, 2: 0}
    for i in range(120):
        answer = replica.predict("bandit-api", cancer_records[i % 50], f"user-{i}").json()
        version = answer["version"]
        answered[version] += 1
        reward = 1.0 if version == 2 else 0.0  # version 2 converts, version 1 does not
        sent = replica.client.post(
            "/feedback/bandit-api", json={"request_id": answer["request_id"], "reward": reward}
        )
        assert sent.status_code == 202, sent.text
    replica.serving.flush()
    counts = ws.deployment_counts("bandit-api")
    for version in (1, 2):
        assert counts[version]["reward_n"] == answered[version]
    assert counts[2]["reward_sum"] == answered[2] and counts[1].get("reward_sum", 0) == 0
    decision = ws.advance_deployment("bandit-api")
    assert decision.action == "reweight", decision.reason
    assert replica.serving.refresh("bandit-api")
    now = ws.deployment("bandit-api")
    assert now.weight_of(2) > now.weight_of(1) >= 5.0
    routed = [replica.predict("bandit-api", cancer_records[0], f"x{i}").json()["version"]
              for i in range(100)]  # fmt: skip
    assert routed.count(2) > routed.count(1)
    assert state.epoch == now.epoch  # a reweight keeps counting in the same epoch


def test_feedback_for_an_unknown_request_needs_its_version(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    ws.deploy("fb-api", model="cancer", versions=[1, 2], strategy="ab", settings=SALT)
    replica = Replica(ws, ["fb-api"], serve)
    unknown = replica.client.post("/feedback/fb-api", json={"request_id": "gone", "reward": 1})
    assert unknown.status_code == 404
    assert '"version"' in unknown.json()["error"] and "another replica" in unknown.json()["error"]
    wrong = {"request_id": "gone", "reward": 1, "version": 9}
    refused = replica.client.post("/feedback/fb-api", json=wrong)
    assert refused.status_code == 422 and "9" in refused.json()["error"]
    given = {"request_id": "gone", "reward": 0.5, "version": 2}
    assert replica.client.post("/feedback/fb-api", json=given).status_code == 202
    answer = replica.predict("fb-api", cancer_records[1], "labelled").json()
    label = {"request_id": answer["request_id"], "label": answer["predictions"][0]}
    assert replica.client.post("/feedback/fb-api", json=label).status_code == 202
    missed = {"request_id": answer["request_id"], "label": 1 - answer["predictions"][0]}
    assert replica.client.post("/feedback/fb-api", json=missed).status_code == 202
    replica.serving.flush()
    counts = ws.deployment_counts("fb-api")
    assert counts[2]["reward_n"] == 1 and counts[2]["reward_sum"] == 0.5
    assert counts[answer["version"]]["label_n"] == 2
    assert counts[answer["version"]]["label_hits"] == 1
