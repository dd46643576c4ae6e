"""``keel serve`` as a real process: it answers, its workers share one port, and SIGTERM
drains the requests in flight before it exits."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from _srv_s3_support import KeelServer, keel_serve, make_workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    workspace, record = make_workspace(tmp_path_factory.mktemp("srv-server"))
    # Room for the drain test's large requests, which would otherwise get 429.
    with (workspace / "keel.yaml").open("a") as config:
        config.write("serve:\n  limits: {max_queue_rows: 1000000}\n")
    return workspace, record


def _access_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith('{"t":')]


def test_serve_answers_health_predict_and_logs_each_request(served: tuple[Path, dict]) -> None:
    workspace, record = served
    with keel_serve(workspace, "cancer@champion") as server:
        ready = httpx.get(f"{server.url}/v2/health/ready")
        answer = httpx.post(f"{server.url}/predict/cancer", json=record,
                            headers={"x-request-id": "req-42"})  # fmt: skip
        metrics = httpx.get(f"{server.url}/metrics").text
        assert server.terminate() == 0
    assert ready.status_code == 200
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["model"], body["version"], body["request_id"]) == ("cancer", 1, "req-42")
    assert body["predictions"] in ([0], [1]) and len(body["probabilities"][0]) == 2
    assert 'keel_worker_memory_bytes{kind="pss"' in metrics
    lines = _access_lines(server.stderr)
    predict = [line for line in lines if line["path"] == "/predict/cancer"]
    assert predict and predict[0]["request_id"] == "req-42" and predict[0]["status"] == 200
    assert "cold start: first good answer" in server.stderr
    assert "RSS" in server.stderr and "Traceback" not in server.stderr
    assert (workspace / ".keel" / "predictions" / "cancer").is_dir()  # the log was flushed


def test_two_workers_share_the_port_and_each_reports_its_memory(
    served: tuple[Path, dict],
) -> None:
    workspace, record = served
    with keel_serve(workspace, "cancer@champion", "--workers", "2") as server:
        statuses = asyncio.run(_burst(server.url, record, requests=200, parallel=16))
        assert server.terminate() == 0
    assert statuses == [200] * 200
    pids = {line["pid"] for line in _access_lines(server.stderr)}
    assert len(pids) == 2, server.stderr[-3000:]
    assert server.proc.pid not in pids  # the parent only supervises
    for pid in pids:
        assert f"(pid {pid}) serving: RSS" in server.stderr


async def _burst(url: str, record: dict, *, requests: int, parallel: int) -> list[int]:
    """``requests`` predictions, ``parallel`` at a time, each on a new connection (so the
    kernel hands them to whichever worker accepts)."""
    gate = asyncio.Semaphore(parallel)

    async def one() -> int:
        async with gate, httpx.AsyncClient() as client:
            return (await client.post(f"{url}/predict/cancer", json=record)).status_code

    return list(await asyncio.gather(*(one() for _ in range(requests))))


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_every_request_in_flight(served: tuple[Path, dict], workers: int) -> None:
    workspace, record = served
    # Slow-ish requests: 20,000 records each take a good fraction of a second to validate.
    columns = {key: [value] * 20_000 for key, value in record.items()}
    with keel_serve(workspace, "cancer@champion", "--workers", str(workers)) as server:
        results, stopped_at = asyncio.run(_terminate_during(server, columns, requests=6))
        code = server.wait()
    assert code == 0, server.stderr[-3000:]
    assert [status for status, _, _ in results] == [200] * 6, results
    assert all(rows == 20_000 for _, rows, _ in results)
    # At least one request was still in flight when SIGTERM arrived: drained, not refused.
    assert max(done for _, _, done in results) > stopped_at
    assert "Traceback" not in server.stderr


async def _terminate_during(
    server: KeelServer, columns: dict, requests: int
) -> tuple[list[tuple[int, int, float]], float]:
    body = json.dumps({"columns": columns})

    async def one(client: httpx.AsyncClient) -> tuple[int, int, float]:
        answer = await client.post(f"{server.url}/predict/cancer", content=body,
                                   headers={"content-type": "application/json"})  # fmt: skip
        rows = len(answer.json().get("predictions", [])) if answer.status_code == 200 else 0
        return answer.status_code, rows, time.monotonic()

    limits = httpx.Limits(max_connections=requests)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        tasks = [asyncio.create_task(one(client)) for _ in range(requests)]
        await asyncio.sleep(0.5)  # sent and accepted, not answered yet
        stopped_at = time.monotonic()
        server.proc.terminate()
        return list(await asyncio.gather(*tasks)), stopped_at


def test_a_worker_that_dies_is_replaced(served: tuple[Path, dict]) -> None:
    import os
    import re
    import signal

    workspace, record = served
    with keel_serve(workspace, "cancer@champion", "--workers", "2") as server:
        scrape = httpx.get(f"{server.url}/metrics").text
        victim = int(re.search(r'keel_worker_memory_bytes\{kind="rss",pid="(\d+)"', scrape)[1])
        os.kill(victim, signal.SIGKILL)
        time.sleep(3)  # the supervisor forks a replacement
        statuses = asyncio.run(_burst(server.url, record, requests=100, parallel=16))
        assert server.terminate() == 0
    assert statuses == [200] * 100
    assert f"(pid {victim}) died (signal SIGKILL)" in server.stderr
    pids = {line["pid"] for line in _access_lines(server.stderr)} - {victim}
    assert len(pids) == 2
