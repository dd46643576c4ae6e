"""``keel serve --deployment`` as a real process with two workers: each worker routes,
counts and flushes its counters to the store (summed), and a deployment that does not
exist is refused before a socket opens, with a message and no traceback."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
from _srv_s3_support import KEEL, keel_serve, make_workspace

import keel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    workspace, record = make_workspace(tmp_path_factory.mktemp("deploy-cli"))
    with keel.Workspace.open(workspace) as ws:
        ws.deploy("api", model="cancer", versions=[1], strategy="single")
    return workspace, record


def test_keel_serve_deployment_with_two_workers_counts_every_request(
    deployed: tuple[Path, dict],
) -> None:
    workspace, record = deployed
    with keel_serve(workspace, "--deployment", "api", "--workers", "2") as server:
        ready = httpx.get(f"{server.url}/v2/health/ready").json()
        answers = [httpx.post(f"{server.url}/predict/api", json=record) for _ in range(30)]
        time.sleep(1.5)  # serve.rollout.flush_s is 1 s; SIGTERM flushes the rest too
        assert server.terminate() == 0
    assert ready == {"ready": True}
    assert [a.status_code for a in answers] == [200] * 30
    assert {a.json()["version"] for a in answers} == {1}
    assert "Traceback" not in server.stderr
    with keel.Workspace.open(workspace) as ws:
        assert ws.deployment_counts("api")[1]["requests"] == 30


def test_an_unknown_deployment_is_refused_before_listening(deployed: tuple[Path, dict]) -> None:
    workspace, _ = deployed
    done = subprocess.run(
        [*KEEL, "--workspace", str(workspace), "serve", "--deployment", "nope", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "nope" in done.stderr and "Traceback" not in done.stderr
