"""Deployments answered by routing: A/B stickiness across replicas and after a restart,
the version that answered in every response, the counters in the store, the OIP path with
and without a pinned version, and a blue-green switch and rollback with both colours warm.
Real servers (uvicorn) over a real workspace (SQLite store, registry)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _serve_deploy_support import Replica, workspace

import keel

SALT = {"ab": {"salt": "test-salt-1"}}  # a fixed salt: the same split on every run


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cancer_packages: dict) -> Iterator[Any]:
    found = workspace(tmp_path_factory.mktemp("deploy-routing"), cancer_packages)
    yield found
    found.close()


def test_ab_assignment_is_sticky_across_replicas_and_restarts(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    ws.deploy("ab-api", model="cancer", versions=[1, 2], strategy="ab", settings=SALT)
    first, second = Replica(ws, ["ab-api"], serve), Replica(ws, ["ab-api"], serve)
    units = [f"user-{i}" for i in range(120)]
    record = cancer_records[0]
    seen = {}
    for unit in units:
        a, b = first.predict("ab-api", record, unit), second.predict("ab-api", record, unit)
        assert a.status_code == b.status_code == 200
        assert a.json()["version"] == b.json()["version"] == int(a.headers["x-model-version"])
        assert a.json()["model"] == "ab-api"
        seen[unit] = a.json()["version"]
    assert 0.3 < sum(v == 1 for v in seen.values()) / len(units) < 0.7
    assert first.serving.flush() > 0 and second.serving.flush() > 0
    first.close()
    restarted = Replica(ws, ["ab-api"], serve)  # a new process reads the same state
    assert all(restarted.predict("ab-api", record, u).json()["version"] == seen[u] for u in units)
    restarted.serving.flush()
    counts = ws.deployment_counts("ab-api")
    assert sum(c.get("requests", 0) for c in counts.values()) == 3 * len(units)
    for version, found in counts.items():
        answered = 3 * sum(v == version for v in seen.values())
        assert found["requests"] == answered
        assert sum(v for k, v in found.items() if k.startswith("lat_")) == answered
        assert sum(v for k, v in found.items() if k.startswith("score_")) == answered
        assert found.get("errors", 0) == 0


def test_oip_infer_routes_and_a_version_in_the_path_pins(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    ws.deploy("ab-oip", model="cancer", versions=[1, 2], strategy="ab", settings=SALT)
    replica = Replica(ws, ["ab-oip"], serve)
    names = list(cancer_records[0])
    body = {
        "inputs": [
            {"name": n, "shape": [1], "datatype": "FP64", "data": [cancer_records[0][n]]}
            for n in names
        ]
    }
    answer = replica.client.post("/v2/models/ab-oip/infer", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["model_version"] in {"1", "2"}
    pinned = replica.client.post("/v2/models/ab-oip/versions/2/infer", json=body)
    assert pinned.json()["model_version"] == "2"
    missing = replica.client.post("/v2/models/ab-oip/versions/7/infer", json=body)
    assert missing.status_code == 404 and "not served here" in missing.json()["error"]
    assert replica.client.get("/v2/models/ab-oip").json()["name"] == "ab-oip"
    unknown = replica.predict("nope", cancer_records[0])
    assert unknown.status_code == 404 and "ab-oip" in unknown.json()["error"]
    replica.serving.flush()
    counts = ws.deployment_counts("ab-oip")  # only the routed request is counted
    assert sum(c.get("requests", 0) for c in counts.values()) == 1


def test_blue_green_switches_and_rolls_back_with_both_colours_warm(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    ws.deploy("bg", model="cancer", versions=[1], strategy="single")
    replica = Replica(ws, ["bg"], serve)
    record = cancer_records[3]
    assert replica.predict("bg", record).json()["version"] == 1
    blue = replica.serving.table.get("bg").served[1]
    ws.deploy("bg", model="cancer", versions=[2], strategy="blue_green")
    assert replica.serving.refresh("bg")  # what the poll does within serve.rollout.poll_s
    route = replica.serving.table.get("bg")
    assert route.served[1] is blue  # the old colour stays loaded and warm
    assert {replica.predict("bg", record, f"u{i}").json()["version"] for i in range(20)} == {2}
    ws.rollback_deployment("bg", why="test")
    assert replica.serving.refresh("bg")
    assert replica.serving.table.get("bg").served[1] is blue  # no load: instant
    assert {replica.predict("bg", record, f"u{i}").json()["version"] for i in range(20)} == {1}
    assert not replica.serving.refresh("bg")  # same revision: nothing to do


def test_a_deployment_named_like_a_served_model_is_refused(ws: keel.Workspace) -> None:
    with pytest.raises(keel.errors.ConfigError, match="must not name a served model"):
        ws.serving_deployments(["cancer"], models=["cancer"])
    with pytest.raises(keel.errors.KeelError):
        ws.serving_deployments(["no-such-deployment"])


def test_spec_takes_deployments_and_their_settings(tmp_path: Path) -> None:
    from keel.serving import ServeSpec

    spec = ServeSpec.model_validate({"deployments": ["api"], "rollout": {"controller_s": 0}})
    assert spec.deployments == ["api"] and spec.rollout.poll_s == 1.0
    with pytest.raises(ValueError):
        ServeSpec.model_validate({"rollout": {"shadow_queue": 0}})


def test_counters_survive_a_failed_flush(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    from keel.rollout import DeploymentServing
    from keel.serving._app import create_app
    from keel.serving._host import ModelHost
    from keel.serving._spec import ServeSpec

    ws.deploy("flaky", model="cancer", versions=[1], strategy="single")
    attempts = []

    def add(name: str, epoch: int, counts: dict) -> None:
        attempts.append(dict(counts))
        if len(attempts) == 1:
            raise OSError("the store is away")
        ws.add_deployment_counts(name, epoch, counts)

    serving = DeploymentServing(
        ["flaky"], state_of=ws.deployment, load=ws.serving_load, add_counts=add
    )
    app = create_app(ModelHost([], ws.serving_load), ServeSpec(), deployments=serving.table)
    with httpx.Client(base_url=serve(app).url) as client:
        for _ in range(5):
            assert client.post("/predict/flaky", json=cancer_records[0]).status_code == 200
    assert serving.flush() == 0  # refused: kept for the next flush
    assert serving.flush() > 0
    assert ws.deployment_counts("flaky")[1]["requests"] == 5
