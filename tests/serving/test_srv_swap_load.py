"""Hot swap under load: while 8 clients hammer /predict, the model's alias moves from
version 1 to 2 and a reload swaps it in; no request fails and each client sees 1, then 2."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from conftest import Versions, make_app


def test_swap_under_load_loses_no_request(
    serve: Any, versions: Versions, cancer_records: list[dict[str, float]]
) -> None:
    app = make_app(versions)
    server = serve(app)
    stop = threading.Event()

    def client_loop(index: int) -> list[tuple[int, Any]]:
        seen = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                answer = client.post("/predict/cancer", json=cancer_records[index])
                seen.append((answer.status_code, answer.json().get("version")))
        return seen

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(client_loop, i) for i in range(8)]
        time.sleep(0.5)
        versions.current = 2  # the alias moved
        swaps = app.state.keel.host.poll(versions.resolve)
        assert [(s.from_version, s.to_version) for s in swaps] == [(1, 2)]
        time.sleep(0.5)
        stop.set()
        results = [future.result() for future in running]

    for seen in results:
        assert all(status == 200 for status, _ in seen)
        order = [version for _, version in seen]
        assert order[0] == 1 and order[-1] == 2
        assert order == sorted(order)  # never back to 1 once 2 answered
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/v2/models/cancer").json()["versions"] == ["2"]


def test_admin_reload_swaps_and_rollback_needs_a_registry(serve: Any, versions: Versions) -> None:
    server = serve(make_app(versions))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        versions.current = 2
        swaps = client.post("/admin/reload", json={"model": "cancer"}).json()["swaps"]
        assert swaps[0]["from_version"] == 1 and swaps[0]["to_version"] == 2
        assert client.post("/admin/reload", json={"model": "nope"}).status_code == 404
        assert client.post("/admin/rollback", json={"model": "cancer"}).status_code == 409


def test_a_rollback_the_registry_refuses_is_a_409_with_the_reason(
    serve: Any, versions: Versions
) -> None:
    from keel.errors import RegistryError

    def refuse(name: str) -> None:
        raise RegistryError(f"{name}@champion has no previous version to roll back to.")

    server = serve(make_app(versions, rollback=refuse))
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post("/admin/rollback", json={"model": "cancer"})
    assert answer.status_code == 409
    assert "no previous version" in answer.json()["error"]
