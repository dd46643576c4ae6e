"""The deployments service: states in the store, changed with an optimistic revision, each
change with its audit event; the controller tick; the shared counters.

Every write names the revision it read, so of two writers (a person rolling back while a
server's controller advances the canary) exactly one wins; the loser reads again and
retries once, and a second loss is a RolloutError (a controller tick just holds instead).

Example:
    >>> from keel.store import SQLStore
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> store = SQLStore("sqlite://"); store.open()
    >>> service = Deployments(store, clock=lambda: 600.0)
    >>> service.deploy("api", lambda previous: DeploymentState(
    ...     name="api", model="churn", strategy="single", arms=(Arm(1, 100.0),))).revision
    1
    >>> service.add_counts("api", 1, {(1, "requests"): 3.0})
    >>> service.counts("api")
    {1: {'requests': 3.0}}
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from keel.errors import KeelError, RolloutError
from keel.rollout._events import DeploymentEvent, event_row
from keel.rollout._state import DeploymentState
from keel.rollout._transitions import ended, rolled_back

if TYPE_CHECKING:
    import pandas as pd

    from keel.rollout._decide import Decision
    from keel.store import SQLStore

__all__ = ["Deployments"]

_log = logging.getLogger("keel.rollout")
#: (kind, next state, reason, evidence) of a change planned from the current state.
Plan = tuple[str, DeploymentState, str | None, dict[str, Any]]


class Deployments:
    """Deployments kept in ``store``. Thread-safe (the store is); many processes too.

    ``on_promote`` is called after a promotion is written (the workspace moves a registry
    alias there); ``clock`` gives seconds since the epoch.
    """

    def __init__(
        self,
        store: SQLStore,
        *,
        on_promote: Callable[[DeploymentState, str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self._on_promote = on_promote
        self._clock = clock

    # -- reading -------------------------------------------------------------------------

    def find(self, name: str) -> DeploymentState | None:
        data = self.store.deployment_state(name)
        return None if data is None else DeploymentState.from_dict(data)

    def get(self, name: str) -> DeploymentState:
        """The deployment's current state. Raises RolloutError when there is none."""
        found = self.find(name)
        if found is None:
            known = ", ".join(state.name for state in self.all()) or "none yet"
            raise RolloutError(
                f"No deployment named {name!r} in this workspace (known: {known}). Create it "
                "with `keel deploy`.",
                deployment=name,
            )
        return found

    def all(self) -> list[DeploymentState]:
        return [DeploymentState.from_dict(data) for data in self.store.deployment_states()]

    def history(self, name: str) -> list[DeploymentEvent]:
        self.get(name)
        return [DeploymentEvent.from_row(row) for row in self.store.deployment_events(name)]

    # -- changes people ask for ---------------------------------------------------------

    def deploy(
        self,
        name: str,
        build: Callable[[DeploymentState | None], DeploymentState],
        *,
        actor: str = "api",
        why: str | None = None,
    ) -> DeploymentState:
        """Create the deployment, or replace its state by ``build(current)`` (a new epoch:
        the versions' roles change, so counters start from zero)."""

        def plan(current: DeploymentState | None) -> Plan:
            new = build(current)
            if current is None:
                return "created", new.evolve(epoch=1), why, {}
            kind = "switch" if new.strategy == "blue_green" else "updated"
            return kind, new.evolve(epoch=current.epoch + 1), why, {}

        return self._change(name, plan, actor, create=True)

    def rollback(self, name: str, *, actor: str = "cli", why: str | None = None) -> DeploymentState:
        """All traffic back to the stable version (blue-green: the previous colour)."""
        return self._change(name, lambda s: ("rollback", rolled_back(_known(s)), why, {}), actor)

    def end(self, name: str, *, actor: str = "cli", why: str | None = None) -> DeploymentState:
        return self._change(name, lambda s: ("ended", ended(_known(s)), why, {}), actor)

    def _change(
        self,
        name: str,
        plan: Callable[[DeploymentState | None], Plan],
        actor: str,
        *,
        create: bool = False,
    ) -> DeploymentState:
        for _ in range(2):  # a lost race is computed again from a fresh read, once
            current = self.find(name) if create else self.get(name)
            kind, new, reason, evidence = plan(current)
            written = self._commit(current, new, kind, actor, reason, evidence)
            if written is not None:
                return written
        raise RolloutError(
            f"The deployment {name!r} changed twice while this change was being written; "
            "look at `keel deployments show` and try again.",
            deployment=name,
        )

    def _commit(
        self,
        current: DeploymentState | None,
        new: DeploymentState,
        kind: str,
        actor: str,
        reason: str | None,
        evidence: dict[str, Any],
        now: float | None = None,
    ) -> DeploymentState | None:
        """Write ``new`` at the next revision with its event; None when the race was lost."""
        now = self._clock() if now is None else now
        written = new.evolve(revision=(current.revision if current else 0) + 1, updated_at=now)
        event = event_row(written, kind, actor, reason, evidence, now)
        expected = None if current is None else current.revision
        ok = self.store.write_deployment(written.to_dict(), event, expected=expected)
        return written if ok else None

    # -- the controller -----------------------------------------------------------------

    def tick(self, name: str, *, now: float | None = None) -> Decision:
        """One controller step: read the counters, decide, write the decision if it changes
        anything. Safe to run on every replica: only one writes each decision."""
        from keel.rollout._decide import Decision, decide

        for _ in range(2):
            state = self.get(name)
            if state.status != "active":
                return Decision("hold", state, f"The deployment is {state.status}: nothing to do.")
            at = self._clock() if now is None else now
            decision = decide(state, self.counts(name, state.epoch), at)
            if decision.action == "hold":
                return decision
            action, reason, evidence = decision.action, decision.reason, dict(decision.evidence)
            written = self._commit(
                state, decision.state, action, "controller", reason, evidence, at
            )
            if written is not None:
                if decision.action == "promote":
                    self._promoted(written, decision.reason)
                return replace(decision, state=written)
        latest = self.get(name)
        return Decision("hold", latest, "Another controller changed the deployment first.")

    def _promoted(self, state: DeploymentState, reason: str) -> None:
        if self._on_promote is None:
            return
        try:
            self._on_promote(state, reason)
        except KeelError as exc:  # the promotion stands; the alias is a convenience on top
            _log.warning("Deployment %s promoted, but its alias did not move: %s", state.name, exc)

    # -- counters ------------------------------------------------------------------------

    def add_counts(
        self,
        name: str,
        epoch: int,
        counts: Mapping[tuple[int, str], float],
        *,
        at: float | None = None,
    ) -> None:
        """Add ``{(version, counter): increment}`` (a drained Tally) to the shared counters
        of ``epoch``, in the minute of ``at`` (now by default)."""
        minute = int((self._clock() if at is None else at) // 60)
        increments: dict[tuple[int, int, int, str], float] = {}
        for (version, counter), value in counts.items():
            if value:
                key = (int(epoch), int(version), minute, str(counter))
                increments[key] = increments.get(key, 0.0) + float(value)
        self.store.add_deployment_counts(name, increments)

    def counts(self, name: str, epoch: int | None = None) -> dict[int, dict[str, float]]:
        """``{version: {counter: total}}`` of ``epoch`` (the current one by default)."""
        chosen = self.get(name).epoch if epoch is None else epoch
        found: dict[int, dict[str, float]] = {}
        for version, counter, total in self.store.deployment_count_totals(name, chosen):
            found.setdefault(version, {})[counter] = total
        return found

    def counts_by_minute(self, name: str, epoch: int | None = None) -> pd.DataFrame:
        """The counters of ``epoch`` as rows [minute, version, counter, value], by minute."""
        import pandas as pd

        chosen = self.get(name).epoch if epoch is None else epoch
        rows = self.store.deployment_count_series(name, chosen)
        frame = pd.DataFrame(rows, columns=["minute", "version", "counter", "value"])
        return frame.astype({"minute": "int64", "version": "int64", "value": "float64"})


def _known(state: DeploymentState | None) -> DeploymentState:
    assert state is not None  # _change reads with get() unless creating
    return state
