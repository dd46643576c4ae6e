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
from typing import TYPE_CHECKING, Any

import numpy as np

from keel.errors import ModelError
from keel.serving._batcher import INLINE_BELOW_S, Batcher
from keel.serving._cache import ResponseCache
from keel.serving._errors import ApiError, wrong
from keel.serving._host import ModelHost, ServedModel
from keel.serving._spec import ServeSpec

if TYPE_CHECKING:
    from keel.serving._deploy import Deployments

__all__ = ["Call", "Context", "Runtime"]


class Call:
    """One request in flight: its id, and the model version that answered (for metrics).
    A request to a deployment also carries its route, its shadows and what its counters
    need of the answer (keel.serving._deploy)."""

    __slots__ = (
        "label",
        "model",
        "out",
        "request_id",
        "route",
        "rows",
        "score",
        "shadows",
        "started",
        "version",
    )

    def __init__(self, request_id: str, started: float):
        self.request_id = request_id
        self.started = started
        self.model: str | None = None
        self.version: int | None = None
        self.route: Any = None
        self.shadows: tuple[int, ...] = ()
        self.rows: np.ndarray | None = None
        self.out: np.ndarray | None = None
        self.score: float | None = None
        self.label: Any = None


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
        deployments: Deployments | None = None,
    ):
        self.host, self.spec = host, spec
        self.deployments = deployments
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
            names = self.names()
            message = str(exc)
            if self.deployments is not None:
                message = (
                    f"No model or deployment named {name!r} is served here; served: "
                    f"{', '.join(map(repr, names)) or 'none'}."
                )
            return ApiError(404, message, [wrong("model", name, f"one of {names}")])
        if version is not None and version != str(served.version):
            return ApiError(
                404,
                f"Version {version!r} of {name!r} is not served; the served version is "
                f"{served.version}.",
                [wrong("version", version, str(served.version))],
            )
        return served

    def served(
        self,
        name: str,
        call: Call,
        request: Any,
        version: str | None = None,
        *,
        counted: bool = True,
    ) -> ServedModel:
        """The model version answering ``call``: a served model's, or the one a
        deployment's router picks (``counted``: a prediction its counters and shadows
        see; metadata and explanations are not); the 404 to answer otherwise."""
        deployments = self.deployments
        if deployments is not None and (route := deployments.get(name)) is not None:
            picked = route.pick(request, call, version)
            if not counted:
                call.route, call.shadows = None, ()
            return picked
        served = self.model(name, version)
        if isinstance(served, ApiError):
            raise served
        call.model, call.version = served.name, served.version
        return served

    def names(self) -> list[str]:
        """Every name requests may use: served models and deployments."""
        extra = self.deployments.names() if self.deployments is not None else []
        return [*self.host.names(), *extra]

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
