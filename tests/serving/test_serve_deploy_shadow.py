"""Shadow deployments: the copy is predicted after the answer, on another thread; its
answer is logged (as DEPLOYMENT@shadow, with the same request id) and counted, never
returned; labels sent to /feedback give a paired accuracy comparison in shadow_report; a
full queue drops copies (counted) instead of slowing answers down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _serve_deploy_support import Replica, workspace

import keel
from keel.models import load_package
from keel.rollout import shadow_report
from keel.serving import PredictionLog, read_predictions
from keel.serving._spec import PredictionLogSpec


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cancer_packages: dict) -> Iterator[Any]:
    found = workspace(tmp_path_factory.mktemp("deploy-shadow"), cancer_packages)
    yield found
    found.close()


def test_shadow_answers_are_logged_and_counted_never_returned(
    ws: keel.Workspace,
    serve: Any,
    cancer_data: Any,
    cancer_packages: dict[int, Path],
    tmp_path: Path,
) -> None:
    X, y = cancer_data
    records = [{k: float(v) for k, v in r.items()} for r in X.tail(40).to_dict("records")]
    labels = y.tail(40).tolist()
    state = ws.deploy("sh", model="cancer", versions=[1, 2], strategy="shadow")
    assert state.shadows == (2,) and [a.version for a in state.arms] == [1]
    log = PredictionLog(tmp_path / "log", PredictionLogSpec(flush_interval_s=0.1))
    replica = Replica(ws, ["sh"], serve, log=log)
    first = load_package(cancer_packages[1]).predictor()
    ids = []
    for record in records:
        answer = replica.predict("sh", record).json()
        assert answer["version"] == 1
        np.testing.assert_allclose(answer["probabilities"][0], first.predict_proba_one(record),
                                   atol=1e-9)  # fmt: skip
        ids.append(answer["request_id"])
    assert replica.serving.table.shadows.wait_idle()
    for request_id, label in zip(ids, labels, strict=True):
        sent = replica.client.post("/feedback/sh", json={"request_id": request_id, "label": label})
        assert sent.status_code == 202, sent.text
    replica.close()
    log.close()
    answered, shadowed = (
        read_predictions(log.folder, "sh"),
        read_predictions(log.folder, "sh@shadow"),
    )
    assert len(answered) == len(shadowed) == 40
    assert set(answered["version"]) == {1} and set(shadowed["version"]) == {2}
    assert set(shadowed["request_id"]) == set(ids)
    second = load_package(cancer_packages[2]).predictor()
    np.testing.assert_allclose(
        shadowed.sort_values("request_id")[["output_0", "output_1"]].to_numpy(),
        np.array([second.predict_proba_one(records[ids.index(i)]) for i in sorted(ids)]),
        atol=1e-9,
    )
    replica.serving.flush()
    counts = ws.deployment_counts("sh")
    assert counts[1]["requests"] == 40 and "requests" not in counts[2]
    assert counts[2]["shadow_n"] == 40 and counts[2]["shadow_label_n"] == 40
    assert counts[1]["label_n"] == 40
    report = shadow_report(ws.deployment("sh"), counts)
    row = report["shadows"][0]
    assert row["version"] == 2 and row["copies"] == 40 and row["labelled"] == 40
    assert 0.0 <= row["agreement"] <= 1.0 and row["errors"] == 0
    assert row["accuracy_answer"] == counts[1]["label_hits"] / 40
    assert row["latency_ms"]["shadow_p50"] is not None


def test_a_full_shadow_queue_drops_and_counts(cancer_packages: dict[int, Path]) -> None:
    from keel.serving._deploy_memory import Recent
    from keel.serving._deploy_shadow import ShadowJob, ShadowWorker
    from keel.serving._host import prepare
    from keel.serving._routing import Tally

    def load(ref: str) -> tuple[Any, int]:
        return load_package(cancer_packages[2]), 2

    shadow = prepare("sh", "cancer/2", load)
    tally, worker = Tally(), ShadowWorker(1, Recent(10))  # not started: nothing drains
    rows = np.zeros((1, len(shadow.validator.fields)))
    jobs = [ShadowJob("sh", tally, [shadow], f"r{i}", rows, rows, 0.0) for i in range(3)]
    assert [worker.submit(job) for job in jobs] == [True, False, False]
    assert tally.drain() == {(2, "shadow_dropped"): 2.0}
    worker.start()
    assert worker.wait_idle()
    worker.close()
    assert tally.drain()[(2, "shadow_n")] == 1.0
