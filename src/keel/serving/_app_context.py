"""What every endpoint shares: the host, the settings, the optional auth, metrics and
prediction log, and one batcher and cache per served model version.

Example:
    >>> from keel.serving._spec import ServeSpec
    >>> from keel.serving._host import ModelHost
    >>> context = Context(ModelHost([], load=lambda ref: (None, None)), ServeSpec())
    >>> context.model("nope").status
    404
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from keel.errors import ModelError
from keel.serving._batcher import INLINE_BELOW_S, Batcher
from keel.serving._cache import ResponseCache
from keel.serving._errors import ApiError, wrong
from keel.serving._host import ModelHost, ServedModel
from keel.serving._spec import ServeSpec

__all__ = ["Call", "Context", "Runtime"]


class Call:
    """One request in flight: its id, and the model version that answered (for metrics)."""

    __slots__ = ("model", "request_id", "started", "version")

    def __init__(self, request_id: str, started: float):
        self.request_id = request_id
        self.started = started
        self.model: str | None = None
        self.version: int | None = None


class Runtime:
    """The batcher and response cache of one served model version."""

    def __init__(self, served: ServedModel, spec: ServeSpec, metrics: Any):
        inline = served.row_seconds < INLINE_BELOW_S
        self.name = served.name
        self.batcher = Batcher(
            served.predict_rows,
            spec.batching,
            spec.limits,
            metrics,
            model=served.name,
            inline=inline,
        )
        size = spec.cache.size
        self.cache = ResponseCache(size, spec.cache.ttl_s) if size else None
        self._metrics = metrics

    async def output(self, rows: np.ndarray) -> np.ndarray:
        """The model's outputs for validated ``rows``: from the cache, else predicted."""
        cache = self.cache
        if cache is None:
            return await self.batcher.submit(rows)
        found = cache.get(rows)
        if self._metrics is not None:
            self._metrics.cache(self.name, found is not None)
        if found is not None:
            return found
        out = await self.batcher.submit(rows)
        cache.put(rows, out)
        return out

    def close(self) -> None:
        self.batcher.close()


class Context:
    """Everything the endpoints need, built once by ``create_app``."""

    def __init__(
        self,
        host: ModelHost,
        spec: ServeSpec,
        *,
        auth: Any = None,
        metrics: Any = None,
        log: Any = None,
        feedback: Callable[..., Any] | None = None,
        rollback: Callable[[str], Any] | None = None,
    ):
        self.host, self.spec = host, spec
        self.auth, self.metrics, self.log = auth, metrics, log
        self.feedback, self.rollback = feedback, rollback
        # Keyed by the ServedModel object: a swapped-out version's runtime goes with it once
        # its last request has finished (requests hold the ServedModel they started with).
        self._runtimes: weakref.WeakKeyDictionary[ServedModel, Runtime] = (
            weakref.WeakKeyDictionary()
        )

    def model(self, name: str, version: str | None = None) -> ServedModel | ApiError:
        """The served model ``name`` (at ``version`` when given), or the 404 to answer."""
        try:
            served = self.host.get(name)
        except ModelError as exc:
            return ApiError(404, str(exc), [wrong("model", name, f"one of {self.host.names()}")])
        if version is not None and version != str(served.version):
            return ApiError(
                404,
                f"Version {version!r} of {name!r} is not served; the served version is "
                f"{served.version}.",
                [wrong("version", version, str(served.version))],
            )
        return served

    def runtime(self, served: ServedModel) -> Runtime:
        runtime = self._runtimes.get(served)
        if runtime is None:
            runtime = self._runtimes[served] = Runtime(served, self.spec, self.metrics)
        return runtime

    def runtimes(self) -> list[Runtime]:
        return list(self._runtimes.values())

    def log_prediction(
        self, call: Call, served: ServedModel, rows: np.ndarray, out: np.ndarray
    ) -> None:
        """Hand the prediction to the prediction log (it queues; it never blocks)."""
        if self.log is None:
            return
        latency = time.perf_counter() - call.started
        self.log.write(
            served.name,
            served.version,
            call.request_id,
            rows,
            served.validator.fields,
            out,
            latency,
            time.time(),
        )
