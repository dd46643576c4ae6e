"""Deployments on the request path: a named endpoint whose requests a Router spreads over
loaded model versions, with every answer counted in a Tally and copies sent to shadows.

serving knows nothing of how routers are made or when weights change (``keel.rollout``
does, and installs a new ``DeploymentRoute`` whole when they do). A route is immutable:
a request keeps the route it started with, so a swap never splits a request.

Example:
    >>> table = Deployments()
    >>> table.get("churn-api") is None, table.names()
    (True, [])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from starlette.requests import Request

from keel.serving._deploy_memory import Recent
from keel.serving._deploy_shadow import ShadowJob, ShadowWorker
from keel.serving._errors import ApiError, wrong
from keel.serving._host import ServedModel
from keel.serving._routing import Router, Tally, score_bucket

__all__ = ["DeploymentRoute", "Deployments", "answer_facts", "finish"]


@dataclass(frozen=True, eq=False)
class DeploymentRoute:
    """One revision of a deployment as a server holds it: the router, the loaded
    versions (each warmed before this route was installed) and the counters of its epoch."""

    name: str
    router: Router
    served: Mapping[int, ServedModel]
    revision: int
    epoch: int
    tally: Tally
    table: Deployments = field(repr=False)
    active: bool = True

    def pick(self, request: Request, call: Any, version: str | None = None) -> ServedModel:
        """The version answering this request: the router's choice for the unit id
        (X-Unit-ID, else the request id), or ``version`` when the path pins one (a pinned
        request is answered but not counted: the client chose, not the router)."""
        if not self.active:
            raise ApiError(404, f"The deployment {self.name!r} has ended.")
        if version is not None:
            return self._pinned(call, version)
        unit = request.headers.get("x-unit-id") or call.request_id
        assignment = self.router.route(unit)
        served = self.served[assignment.version]
        call.model, call.version, call.route = self.name, served.version, self
        call.shadows = assignment.shadows
        return served

    def _pinned(self, call: Any, version: str) -> ServedModel:
        found = {str(v): s for v, s in self.served.items()}.get(version)
        if found is None:
            known = ", ".join(sorted(map(str, self.served)))
            raise ApiError(
                404,
                f"Version {version!r} of the deployment {self.name!r} is not served here; "
                f"served: {known}.",
                [wrong("version", version, f"one of {known}")],
            )
        call.model, call.version = self.name, found.version
        return found


class Deployments:
    """The deployments a server answers for, by name.

    ``get`` is lock-free (one dict, replaced whole by ``install``). Counters are kept per
    (name, epoch), so increments drained after an epoch change still go to the epoch in
    which their requests were answered.

    Args:
        memory: request ids remembered for /feedback (version and predicted label).
        shadow_queue: shadow copies waiting at most; more are dropped and counted.
        shadow_linger_s: how long the shadow thread lets copies gather.
    """

    def __init__(
        self, *, memory: int = 100_000, shadow_queue: int = 4096, shadow_linger_s: float = 0.2
    ):
        self._routes: dict[str, DeploymentRoute] = {}
        self._tallies: dict[tuple[str, int], Tally] = {}
        self._lock = threading.Lock()
        self.memory = Recent(memory)
        self.shadows = ShadowWorker(shadow_queue, self.memory, linger_s=shadow_linger_s)

    def get(self, name: str) -> DeploymentRoute | None:
        return self._routes.get(name)

    def names(self) -> list[str]:
        return list(self._routes)

    def install(
        self,
        name: str,
        router: Router,
        served: Mapping[int, ServedModel],
        *,
        revision: int,
        epoch: int,
        active: bool = True,
    ) -> DeploymentRoute:
        """Swap in a new revision of ``name``; every version its router can assign must
        be in ``served`` (loaded and warmed)."""
        missing = sorted(router.versions() - set(served))
        if missing:
            raise ValueError(f"deployment {name!r}: versions {missing} are not loaded")
        with self._lock:
            tally = self._tallies.setdefault((name, epoch), Tally())
            route = DeploymentRoute(name, router, dict(served), revision, epoch, tally, self,
                                    active)  # fmt: skip
            self._routes = {**self._routes, name: route}
        return route

    def drain(self) -> list[tuple[str, int, dict[tuple[int, str], float]]]:
        """(name, epoch, increments) of every tally with something to report."""
        with self._lock:
            tallies = list(self._tallies.items())
        drained = [(name, epoch, tally.drain()) for (name, epoch), tally in tallies]
        return [item for item in drained if item[2]]

    def give_back(self, name: str, epoch: int, counts: Mapping[tuple[int, str], float]) -> None:
        """Put undelivered increments back (the store refused them; try again later)."""
        tally = self._tallies.setdefault((name, epoch), Tally())
        for (version, counter), value in counts.items():
            tally.add(version, counter, value)


def answer_facts(call: Any, served: ServedModel, rows: np.ndarray, out: np.ndarray) -> None:
    """Note on ``call`` what the counters and the shadows need of an answer (routed only)."""
    if call.route is None:
        return
    call.rows, call.out = rows, out
    labels = served.labels
    if labels is None:
        return
    first = out[0]
    call.label = labels[int(first.argmax())]
    call.score = float(first[1] if len(first) == 2 else first.max())


def finish(call: Any, status: int, seconds: float) -> None:
    """Count a routed request once its answer is ready; remember it for feedback; hand
    its copy to the shadows (their predictions run on another thread, after this)."""
    route: DeploymentRoute = call.route
    version = call.version
    route.tally.request(version, ok=status < 500, latency_s=seconds, score=call.score)
    out = call.out
    if out is None or status >= 300:
        return
    if out.ndim == 2 and len(out) > 1 and call.score is not None:
        _more_scores(route.tally, version, out[1:])
    table = route.table
    table.memory.remember(call.request_id, route, version, call.label)
    if call.shadows:
        job = ShadowJob(route.name, route.tally, [route.served[v] for v in call.shadows],
                        call.request_id, call.rows, out, time.time())  # fmt: skip
        table.shadows.submit(job)


def _more_scores(tally: Tally, version: int, out: np.ndarray) -> None:
    scores = out[:, 1] if out.shape[1] == 2 else out.max(axis=1)
    for score in scores.tolist():
        tally.add(version, f"score_{score_bucket(score):02d}")
