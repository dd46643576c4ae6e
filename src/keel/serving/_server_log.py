"""What a serving process says about itself: a structured access log with request ids, its
memory (RSS, and PSS: the share of pages common with the other workers), and its cold start
(process start to the first good answer).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson

__all__ = ["AccessLog", "configure_logging", "memory", "process_started_at"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("keel.serving")
access_logger = logging.getLogger("keel.serving.access")
_REQUEST_ID = b"x-request-id"


def configure_logging(level: str) -> None:
    """One line per record on stderr for keel's serving loggers (uvicorn keeps its own)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("keel.serving")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    # The access log is JSON, one object per line, so it is written as it is.
    plain = logging.StreamHandler(sys.stderr)
    plain.setFormatter(logging.Formatter("%(message)s"))
    access_logger.handlers[:] = [plain]
    access_logger.propagate = False


def process_started_at() -> float:
    """When this process started (epoch seconds), from /proc; now where /proc is missing."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


def memory() -> dict[str, float]:
    """This process's memory in MB: ``rss`` (resident), ``pss`` (resident with shared pages
    divided among the processes sharing them: what a worker really costs) and ``private``
    (pages only it holds). Empty where /proc/self/smaps_rollup is missing."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return {}
    kb: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key] = int(parts[0])
    private = kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)
    return {
        "rss": kb.get("Rss", 0) / 1024,
        "pss": kb.get("Pss", 0) / 1024,
        "private": private / 1024,
    }


def memory_text() -> str:
    found = memory()
    if not found:
        return "memory unknown"
    rss, pss, private = found["rss"], found["pss"], found["private"]
    return f"RSS {rss:.1f} MB, PSS {pss:.1f} MB, private {private:.1f} MB"


class AccessLog:
    """ASGI middleware: one JSON line per request (request id, method, path, status,
    milliseconds, pid) on the ``keel.serving.access`` logger, and one line for the cold
    start: seconds from process start to the first 2xx answer to a POST.

    Uvicorn's own access log is turned off: it cannot show the request id, which the app
    sets on the response (X-Request-ID).
    """

    def __init__(self, app: ASGIApp, *, started_at: float, enabled: bool = True):
        self.app = app
        self.started_at = started_at
        self.enabled = enabled and access_logger.isEnabledFor(logging.INFO)
        self.cold_start_s: float | None = None
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (not self.enabled and self.cold_start_s is not None):
            # Nothing left to note: skip the wrapper (a closure and a header scan per request).
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "request_id": None}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == _REQUEST_ID:
                        seen["request_id"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._note(scope, seen, time.perf_counter() - t0)

    def _note(self, scope: Scope, seen: dict[str, Any], seconds: float) -> None:
        status = seen["status"]
        if self.cold_start_s is None and 200 <= status < 300 and scope["method"] == "POST":
            self.cold_start_s = time.time() - self.started_at
            logger.info("cold start: first good answer %.3f s after process start",
                        self.cold_start_s)  # fmt: skip
        if not self.enabled:
            return
        client = scope.get("client")
        line = {
            "t": round(time.time(), 6),
            "request_id": seen["request_id"],
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "ms": round(seconds * 1000, 3),
            "client": client[0] if client else None,
            "pid": self.pid,
        }
        access_logger.info(orjson.dumps(line).decode())
