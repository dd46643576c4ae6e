"""Metrics: each series appears in the exposition text after an observation."""

from __future__ import annotations

import threading

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from keel.serving._metrics import Metrics


def _samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    body, _ = metrics.render()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_every_series_is_exported_after_an_observation() -> None:
    metrics = Metrics()
    metrics.request("churn", 3, 200, 0.00018)
    metrics.request("churn", 3, 200, 0.0004)
    metrics.request("churn", 3, 422, 0.00009)
    metrics.request("local", None, 200, 0.002)
    metrics.batch("churn", 12)
    metrics.queue_depth("churn", 7)
    metrics.cache("churn", True)
    metrics.cache("churn", False)
    metrics.cache("churn", False)
    metrics.model_load("churn", 3, 0.25)
    found = _samples(metrics)

    def at(name: str, **labels: str) -> float:
        return found[(name, frozenset(labels.items()))]

    assert at("keel_requests_total", model="churn", version="3", status="200") == 2
    assert at("keel_requests_total", model="churn", version="3", status="422") == 1
    assert at("keel_requests_total", model="local", version="", status="200") == 1
    assert at("keel_request_duration_seconds_count", model="churn", version="3") == 3
    # µs-scale buckets: the 180 µs and 90 µs requests fall under 200 µs, not all in one.
    assert at("keel_request_duration_seconds_bucket", model="churn", version="3", le="0.0001") == 1
    assert at("keel_request_duration_seconds_bucket", model="churn", version="3", le="0.0002") == 2
    assert at("keel_batch_rows_sum", model="churn") == 12
    assert at("keel_batch_rows_bucket", model="churn", le="16.0") == 1
    assert at("keel_queue_rows", model="churn") == 7
    assert at("keel_cache_hits_total", model="churn") == 1
    assert at("keel_cache_misses_total", model="churn") == 2
    assert at("keel_model_load_seconds", model="churn", version="3") == 0.25


def test_the_content_type_is_prometheus_text_and_the_registry_is_private() -> None:
    first, second = Metrics(), Metrics()
    first.request("churn", 1, 200, 0.001)
    _, content_type = first.render()
    assert content_type.startswith("text/plain; version=")
    assert b"keel_requests_total{" not in second.render()[0]
    assert REGISTRY.get_sample_value("keel_requests_total", {"model": "churn"}) is None


def test_counts_are_exact_under_concurrent_observations() -> None:
    metrics = Metrics()

    def hammer() -> None:
        for i in range(2000):
            metrics.request("churn", 1, 200 if i % 2 else 500, 0.0001)
            metrics.cache("churn", bool(i % 2))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = _samples(metrics)
    ok = (
        "keel_requests_total",
        frozenset({"model": "churn", "version": "1", "status": "200"}.items()),
    )
    assert found[ok] == 4000
    assert found[("keel_cache_hits_total", frozenset({"model": "churn"}.items()))] == 4000
