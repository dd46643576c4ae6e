"""Which algorithm family gets the next trial: cost-aware, as FLAML's ECI.

Every family first runs its default configuration, cheapest first (a valid model within a
second or two). After that, each family's *estimated cost for improvement* is the time it
would need to beat the best loss so far: for the leader, the time since its last
improvement; for the others, the gap to the leader divided by the rate at which they have
been closing it. The next family is drawn with probability inversely proportional to that
cost, from a seeded generator, so budget flows to the families that are winning while the
others keep a chance.

Example:
    >>> board = FamilyBoard(["logistic", "lightgbm"], seed=0)
    >>> board.next_family()
    'logistic'
    >>> board.record("logistic", 0.40, 0.1); board.record("lightgbm", 0.30, 0.5)
    >>> board.leader
    'lightgbm'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FamilyBoard", "FamilyState"]

_FLOOR_SECONDS = 1e-3


@dataclass
class FamilyState:
    """What one family has done so far."""

    name: str
    trials: int = 0
    seconds: float = 0.0
    first_loss: float = math.inf
    best_loss: float = math.inf
    since_improvement: int = 0
    seconds_since_improvement: float = 0.0
    losses: list[float] = field(default_factory=list)

    @property
    def seconds_per_trial(self) -> float:
        return max(self.seconds / max(self.trials, 1), _FLOOR_SECONDS)


class FamilyBoard:
    """The families of one search and the rule that picks the next one."""

    def __init__(self, families: list[str], *, seed: int):
        self.states = {name: FamilyState(name) for name in families}
        self._order = list(families)  # cheapest first
        self._rng = np.random.default_rng(seed)

    @property
    def leader(self) -> str | None:
        tried = [s for s in self.states.values() if s.trials]
        return min(tried, key=lambda s: s.best_loss).name if tried else None

    @property
    def best_loss(self) -> float:
        return min((s.best_loss for s in self.states.values()), default=math.inf)

    def record(self, family: str, loss: float, seconds: float) -> None:
        """One finished trial (a pruned or failed one counts its time with loss inf)."""
        state = self.states[family]
        state.trials += 1
        state.seconds += seconds
        if math.isfinite(loss):
            state.losses.append(loss)
            if not math.isfinite(state.first_loss):
                state.first_loss = loss
        if loss < state.best_loss:
            state.best_loss = loss
            state.since_improvement = 0
            state.seconds_since_improvement = 0.0
        else:
            state.since_improvement += 1
            state.seconds_since_improvement += seconds

    def next_family(self, *, exclude: set[str] | frozenset[str] = frozenset()) -> str | None:
        """The family of the next trial; None when every family is excluded."""
        for name in self._order:
            if name not in exclude and self.states[name].trials == 0:
                return name
        names = [n for n in self._order if n not in exclude]
        if not names:
            return None
        costs = np.array([self._cost_for_improvement(self.states[n]) for n in names])
        weights = 1.0 / np.maximum(costs, _FLOOR_SECONDS)
        return names[int(self._rng.choice(len(names), p=weights / weights.sum()))]

    def _cost_for_improvement(self, state: FamilyState) -> float:
        best = self.best_loss
        per_trial = state.seconds_per_trial
        if not math.isfinite(state.best_loss):  # it never produced a valid model
            return per_trial * (4 + 4 * state.trials)
        if state.best_loss <= best:  # the leader: how long it has gone without improving
            return max(state.seconds_since_improvement, per_trial) + per_trial
        gap = state.best_loss - best
        gained = state.first_loss - state.best_loss
        if gained <= 0 or state.seconds <= 0:
            return per_trial * (2 + state.trials) * (1 + gap / (abs(best) + 1e-12))
        return max(gap / (gained / state.seconds), per_trial)
