"""Micro-batching and backpressure under real concurrent load: concurrent requests are
predicted together and each caller gets its own answer; beyond the queue bound the server
answers 429 with Retry-After, then recovers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np

from conftest import Versions, make_app
from keel.models import load_package


def _hammer(url: str, clients: int, work: Any) -> list[Any]:
    start = threading.Barrier(clients)

    def one(index: int) -> Any:
        with httpx.Client(base_url=url, timeout=30) as client:
            start.wait()
            return work(client, index)

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(clients)))


def test_concurrent_requests_are_batched_and_answered_each(
    serve: Any, versions: Versions, cancer_records: list[dict[str, float]]
) -> None:
    app = make_app(versions, {"batching": {"mode": "auto", "max_batch": 64}})
    server = serve(app)
    predictor = load_package(versions.packages[1]).predictor()

    def work(client: httpx.Client, index: int) -> list[tuple[int, list[float]]]:
        seen = []
        for step in range(30):
            which = (index * 7 + step) % len(cancer_records)
            answer = client.post("/predict/cancer", json=cancer_records[which])
            assert answer.status_code == 200, answer.text
            seen.append((which, answer.json()["probabilities"][0]))
        return seen

    results = _hammer(server.url, 16, work)
    for which, probabilities in (pair for client in results for pair in client):
        want = predictor.predict_proba_one(cancer_records[which])
        np.testing.assert_allclose(probabilities, want, atol=1e-9)
    sizes = app.state.keel.runtimes()[0].batcher.batch_sizes
    assert max(sizes) > 1, sizes
    assert sum(size * count for size, count in sizes.items()) >= 16 * 30


def test_overload_answers_429_then_recovers(
    serve: Any, versions: Versions, cancer_records: list[dict[str, float]]
) -> None:
    # Batches are held open 200 ms, so the rows of concurrent requests pile up in the queue.
    spec = {
        "batching": {"mode": "on", "max_batch": 100_000, "max_wait_us": 200_000},
        "limits": {"max_queue_rows": 200},
    }
    server = serve(make_app(versions, spec))
    chunk = cancer_records[:50]

    def work(client: httpx.Client, index: int) -> tuple[int, str | None]:
        answer = client.post("/predict/cancer", json=chunk)
        return answer.status_code, answer.headers.get("retry-after")

    results = _hammer(server.url, 12, work)
    statuses = [status for status, _ in results]
    assert statuses.count(200) >= 1 and statuses.count(429) >= 1, statuses
    assert set(statuses) <= {200, 429}
    assert all(int(after) >= 1 for status, after in results if status == 429)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/predict/cancer", json=chunk)
        assert answer.status_code == 200 and len(answer.json()["predictions"]) == 50
