"""With the access log off, AccessLog still notes the cold start (the first 2xx POST) and
then hands requests straight to the app, writing nothing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from keel.serving._server_log import AccessLog


async def _app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _request(log: AccessLog, method: str = "POST") -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/predict/m", "client": ("127.0.0.1", 1)}
    asyncio.run(log(scope, receive, send))
    return sent


def test_cold_start_is_noted_and_nothing_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    log = AccessLog(_app, started_at=0.0, enabled=False)
    with caplog.at_level(logging.INFO, logger="keel.serving"):
        assert _request(log, "GET")[0]["status"] == 200  # a GET is not the cold start
        assert log.cold_start_s is None
        assert _request(log)[0]["status"] == 200
        first = log.cold_start_s
        assert first is not None
        assert _request(log)[0]["status"] == 200  # straight through, cold start kept
    assert log.cold_start_s == first
    assert not [r for r in caplog.records if r.name == "keel.serving.access"]
    assert sum("cold start" in r.getMessage() for r in caplog.records) == 1
