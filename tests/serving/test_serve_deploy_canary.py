"""A canary rolled back by the server's own controller in the middle of a step, while
clients keep sending requests: not one request fails, and once the new revision is
installed every answer comes from the stable version. The breach is reported to the store
as another replica would report it (its counters), so the real controller (decide,
guardrails with mSPRT) rolls back."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _serve_deploy_support import Replica, workspace

import keel


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, cancer_packages: dict) -> Iterator[Any]:
    found = workspace(tmp_path_factory.mktemp("deploy-canary"), cancer_packages)
    yield found
    found.close()


class Load:
    """``clients`` threads posting as fast as they can; every answer is kept."""

    def __init__(self, url: str, record: dict, clients: int = 4):
        self.url, self.record = url, record
        self.answers: list[tuple[float, int, int | None]] = []  # (when, status, version)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(clients)]

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                unit = f"u{rng.randrange(10**9)}"
                try:
                    answer = client.post(
                        "/predict/can", json=self.record, headers={"X-Unit-ID": unit}
                    )
                    version = answer.json().get("version") if answer.status_code == 200 else None
                    self.answers.append((time.monotonic(), answer.status_code, version))
                except httpx.HTTPError:
                    self.answers.append((time.monotonic(), 0, None))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def _wait(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_canary_rolled_back_mid_step_under_load_fails_no_request(
    ws: keel.Workspace, serve: Any, cancer_records: list[dict]
) -> None:
    canary = {"steps": [20, 100], "min_requests": 100_000, "min_seconds": 3600,
              "guardrails": {"error_rate": "<= 0.01"}}  # fmt: skip
    state = ws.deploy("can", model="cancer", versions=[1, 2], strategy="canary",
                      settings={"canary": canary, "tick_s": 0.2})  # fmt: skip
    replica = Replica(ws, ["can"], serve, rollout={"poll_s": 0.2, "flush_s": 0.2})
    stop = replica.serving.start()  # polls, flushes and controller ticks, as `keel serve`
    try:
        with Load(replica.server.url, cancer_records[0]) as load:
            _wait(lambda: sum(a[2] == 2 for a in load.answers) >= 10)
            assert ws.deployment("can").status == "active"
            # Another replica's counters: the candidate fails 10 % of its requests.
            ws.add_deployment_counts(
                "can",
                state.epoch,
                {(2, "requests"): 2000.0, (2, "errors"): 200.0, (1, "requests"): 8000.0},
            )
            _wait(lambda: ws.deployment("can").status == "rolled_back")
            _wait(
                lambda: replica.serving.table.get("can").revision == ws.deployment("can").revision
            )
            switched = time.monotonic()
            _wait(lambda: sum(a[0] > switched for a in load.answers) >= 100)
    finally:
        stop()
    statuses = [a[1] for a in load.answers]
    assert len(statuses) > 150 and set(statuses) == {200}, "a request failed"
    assert {a[2] for a in load.answers if a[0] > switched} == {1}
    event = ws.deployment_history("can")[-1]
    assert event.kind == "rollback" and event.actor == "controller"
    counts = ws.deployment_counts("can", state.epoch)
    assert counts[2]["requests"] > 2000 and counts[1]["requests"] > 8000  # flushed too
