"""Serving deployments: the glue between a deployment's state in the store and the routes
a server answers with (keel.serving._deploy), which cannot import rollout itself.

``DeploymentServing`` reads each deployment's state, loads and warms every version it
names (and the stable one, kept warm for an instant rollback), builds the router with
``router_for`` and only then swaps the new route in. A background thread polls the state
(a new revision is picked up within ``poll_s``), flushes the counters to the store every
``flush_s`` and runs a controller tick every ``controller_s``. Everything it needs from
the store comes in as callbacks (the Workspace passes its own methods).

Example (callbacks over a dict instead of a store)::

    serving = DeploymentServing(["churn-api"], state_of=states.__getitem__,
                                load=ws.serving_load, spec=DeploymentsSpec())
    app = create_app(ModelHost([], load), spec, deployments=serving.table)
    stop = serving.start()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keel.rollout._routers import router_for
from keel.rollout._state import DeploymentState
from keel.serving._deploy import Deployments
from keel.serving._host import ServedModel, prepare
from keel.serving._spec import DeploymentsSpec

__all__ = ["DeploymentServing"]

logger = logging.getLogger("keel.rollout.serve")

Load = Callable[[str], tuple[Any, int | None]]
AddCounts = Callable[[str, int, dict[tuple[int, str], float]], Any]


class DeploymentServing:
    """Keeps the routes of ``names`` current for one server process.

    Args:
        names: the deployments to answer for.
        state_of: a deployment's current DeploymentState (``ws.deployment``).
        load: a model reference ("churn/3") -> (package, version) (``ws.serving_load``).
        add_counts: (name, epoch, {(version, counter): increment}) -> stored, summed
            over replicas (``ws.add_deployment_counts``); None keeps them in memory.
        tick: one controller tick of a deployment (``ws.advance_deployment``); None: none.
        spec: serve.rollout's intervals and sizes.
        warm_record: a record to warm each version with (one from the schema when None).

    Raises (from the constructor, before a socket opens): whatever ``state_of`` or
    ``load`` raise for a deployment that does not exist or a version that does not load.
    """

    def __init__(
        self,
        names: Sequence[str],
        *,
        state_of: Callable[[str], DeploymentState],
        load: Load,
        add_counts: AddCounts | None = None,
        tick: Callable[[str], Any] | None = None,
        spec: DeploymentsSpec | None = None,
        warm_record: dict | None = None,
    ):
        self.names = list(dict.fromkeys(names))
        self.spec = spec or DeploymentsSpec()
        self._state_of, self._load, self._add, self._tick = state_of, load, add_counts, tick
        self._warm_record = warm_record
        self._loaded: dict[tuple[str, int], ServedModel] = {}
        self._tick_s: dict[str, float] = {}
        self._last_tick: dict[str, float] = {}
        self._lock = threading.Lock()
        self.table = Deployments(
            memory=self.spec.feedback_memory,
            shadow_queue=self.spec.shadow_queue,
            shadow_linger_s=self.spec.shadow_linger_s,
        )
        for name in self.names:
            self.refresh(name)

    def refresh(self, name: str) -> bool:
        """Install ``name``'s current state when its revision changed; True if it did.
        The versions are loaded and warmed first, so no request meets a cold model."""
        state = self._state_of(name)
        current = self.table.get(name)
        if current is not None and current.revision == state.revision:
            return False
        self._tick_s[name] = float(state.settings.get("tick_s") or 0.0)
        with self._lock:
            served = self._warm(name, state)
            route = self.table.install(
                name,
                router_for(state),
                served,
                revision=state.revision,
                epoch=state.epoch,
                active=state.status != "ended",
            )
        logger.info("deployment %s: revision %d (epoch %d) serves %s", name, route.revision,
                    route.epoch, _weights(state))  # fmt: skip
        return True

    def _warm(self, name: str, state: DeploymentState) -> Mapping[int, ServedModel]:
        """Every version the state needs, loaded once: the answering and shadow ones and
        the stable one (blue-green's previous colour stays warm for a rollback)."""
        needed = set(state.versions())
        needed |= {v for v in (state.stable, state.candidate) if v is not None}
        for version in sorted(needed):
            if (name, version) not in self._loaded:
                ref = f"{state.model}/{version}"
                self._loaded[(name, version)] = prepare(name, ref, self._load, self._warm_record)
        for key in [k for k in self._loaded if k[0] == name and k[1] not in needed]:
            del self._loaded[key]  # requests in flight keep their own reference
        return {v: self._loaded[(name, v)] for v in needed}

    def flush(self) -> int:
        """Hand the counters' increments to ``add_counts``; returns how many were sent.
        A failed write puts them back for the next flush (nothing is lost to a hiccup)."""
        sent = 0
        for name, epoch, counts in self.table.drain():
            if self._add is None:
                self.table.give_back(name, epoch, counts)
                continue
            try:
                self._add(name, epoch, counts)
                sent += len(counts)
            except Exception:
                logger.exception("deployment %s: storing counters failed; retrying", name)
                self.table.give_back(name, epoch, counts)
        return sent

    def tick(self, *, due_only: bool = False) -> None:
        """One controller tick for each deployment (with ``due_only``, each whose own
        ``tick_s`` setting, else serve.rollout.controller_s, has passed), then pick up
        what it decided."""
        if self._tick is None:
            return
        now = time.monotonic()
        for name in self.names:
            if due_only and now < self._last_tick.get(name, 0.0) + self._tick_every(name):
                continue
            self._last_tick[name] = now
            try:
                self._tick(name)
                self.refresh(name)
            except Exception:
                logger.exception("deployment %s: controller tick failed", name)

    def _tick_every(self, name: str) -> float:
        """The deployment's own ``tick_s`` (deploy settings), else serve.rollout's."""
        return self._tick_s.get(name) or self.spec.controller_s

    def poll(self) -> None:
        for name in self.names:
            try:
                self.refresh(name)
            except Exception:  # the current route keeps serving
                logger.exception("deployment %s: reading its state failed", name)

    def start(self) -> Callable[[], None]:
        """Run polls, flushes and ticks on a daemon thread; returns the function that
        stops it (after a last flush)."""
        stop = threading.Event()
        thread = threading.Thread(target=self._loop, args=(stop,), name="keel-rollout",
                                  daemon=True)  # fmt: skip
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=30)
            self.table.shadows.wait_idle(5.0)
            self.flush()

        return halt

    def _loop(self, stop: threading.Event) -> None:
        spec = self.spec
        due = {"poll": spec.poll_s, "flush": spec.flush_s}
        jobs: dict[str, Callable[[], Any]] = {"poll": self.poll, "flush": self.flush}
        if spec.controller_s > 0 and self._tick is not None:
            # Each deployment's own tick_s decides; checking often enough costs nothing.
            shortest = min([spec.controller_s, *(v for v in self._tick_s.values() if v)])
            due["tick"] = min(shortest, 1.0)
            jobs["tick"] = lambda: self.tick(due_only=True)
        start = time.monotonic()
        next_at = {job: start + every for job, every in due.items()}
        while True:
            wait = max(0.0, min(next_at.values()) - time.monotonic())
            if stop.wait(wait):
                return
            now = time.monotonic()
            for job, at in next_at.items():
                if at <= now:
                    _safely(jobs[job])
                    next_at[job] = now + due[job]


def _safely(job: Callable[[], Any]) -> None:
    try:
        job()
    except Exception:  # the background loop must outlive any one failure
        logger.exception("deployments: %s failed", getattr(job, "__name__", job))


def _weights(state: DeploymentState) -> str:
    arms = ", ".join(f"v{arm.version} {arm.weight:g}%" for arm in state.arms)
    return arms + (f"; shadows {list(state.shadows)}" if state.shadows else "")
