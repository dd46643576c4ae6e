"""The search loop: ask Optuna for a configuration of the family the scheduler picks, score
it with a probe (pruned when it falls behind), tell Optuna, repeat until the budget is spent.

Trials run on an Executor (threads, or Ray tasks). The loop stops starting trials when the
time left cannot hold another one of the chosen family, and boosting fits stop themselves
at the deadline, so the budget holds.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import TrialState

from keel.train._catalog import MAX_ROUNDS, Algorithm
from keel.train._executors import Executor
from keel.train._objective import Evaluation, Problem
from keel.train._schedule import FamilyBoard
from keel.train._search_guard import RoundGuard, evaluate_trial, grid_points
from keel.train._spec import SearchSpec
from keel.train._studies import (
    fail_interrupted_trials,
    finished_trials,
    grid_exhausted,
    open_study,
)

__all__ = ["Search", "SearchResult", "TrialRecord"]

# A family whose trials fail this many times in a row is dropped from the search.
_MAX_FAILURES = 3
# A boosting trial stops (keeping its rounds so far) after this share of the time left.
_SLICE, _MIN_SLICE_S = 0.25, 1.0


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial, as the progress view and tracking see it."""

    number: int
    family: str
    params: dict[str, Any]
    state: str  # complete | pruned | failed
    loss: float
    seconds: float
    elapsed: float  # since the fit started
    rounds: int | None = None
    secondary: float | None = None
    message: str = ""


@dataclass
class SearchResult:
    trials: list[TrialRecord] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    first_model_s: float | None = None
    resumed_trials: int = 0
    #: Seconds the trials of earlier (interrupted) runs of this search took.
    resumed_seconds: float = 0.0


@dataclass
class _Running:
    family: str
    trial: optuna.Trial
    params: dict[str, Any]
    started: float


class Search:
    """One search over several families, each with its own study in ``storage``."""

    def __init__(
        self,
        problem: Problem,
        algorithms: list[Algorithm],
        spec: SearchSpec,
        *,
        executor: Executor,
        storage: Any,
        study_name: str,
        started: float,
        deadline: float,
        overrides: dict[str, Any] | None = None,
        on_trial: Callable[[TrialRecord], None] | None = None,
        reserve: Callable[[list[Evaluation]], float] | None = None,
    ):
        self.problem, self.spec, self.executor = problem, spec, executor
        self.algorithms = {a.name: a for a in algorithms}
        self.started, self.deadline = started, deadline
        self.overrides = overrides or {}
        self.on_trial = on_trial
        self.reserve = reserve or (lambda evaluations: 0.0)
        self.board = FamilyBoard([a.name for a in algorithms], seed=problem.seed)
        self.studies = {
            a.name: open_study(
                f"{study_name}/{a.name}",
                storage,
                spec,
                problem.seed + i,
                MAX_ROUNDS,
                self._grid(a) if spec.sampler == "grid" else None,
            )
            for i, a in enumerate(algorithms)
        }
        self.result = SearchResult()
        self._failures = dict.fromkeys(self.algorithms, 0)
        self._family_best: dict[str, Evaluation] = {}
        self._numbers = itertools.count()
        self._restore()

    def run(self) -> SearchResult:
        running: dict[concurrent.futures.Future[Any], _Running] = {}
        while True:
            while len(running) < self.executor.slots and self._may_start(len(running)):
                started = self._start()
                if started is None:
                    break
                running[started[0]] = started[1]
            if not running:
                return self.result
            done, _ = concurrent.futures.wait(
                running, timeout=None, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                self._finish(future, running.pop(future))

    # -- starting and finishing trials ----------------------------------------------------

    def _may_start(self, running: int) -> bool:
        limit = self.spec.trials
        return self._left() > 0 and (limit is None or self._trials_done() + running < limit)

    def _start(self) -> tuple[concurrent.futures.Future[Any], _Running] | None:
        family = self.board.next_family(exclude=self._excluded())
        if family is None:
            return None
        algorithm, study = self.algorithms[family], self.studies[family]
        if self.board.states[family].trials == 0 and not study.trials:
            defaults = algorithm.defaults(len(self.problem.probe_rows), self.problem.task)
            study.enqueue_trial(defaults, skip_if_exists=True)
        trial = study.ask()
        params = algorithm.sample(
            trial, len(self.problem.probe_rows), self.problem.task, self.overrides.get(family)
        )
        guard = self._guard(family, trial) if algorithm.iterative else None
        problem = self.executor.share(self.problem)
        future = self.executor.submit(
            evaluate_trial, problem, algorithm, params, guard, self.spec.secondary
        )
        return future, _Running(family, trial, params, time.perf_counter())

    def _finish(self, future: concurrent.futures.Future[Any], running: _Running) -> None:
        study, seconds = self.studies[running.family], time.perf_counter() - running.started
        state, loss, message, evaluation = "complete", math.inf, "", None
        try:
            evaluation = future.result()
        except optuna.TrialPruned as exc:
            state, message = "pruned", str(exc) or "pruned"
            study.tell(running.trial, state=TrialState.PRUNED)
        except Exception as exc:  # a configuration that cannot fit: record it, go on
            state, message = "failed", f"{type(exc).__name__}: {exc}"
            study.tell(running.trial, state=TrialState.FAIL)
            self._failures[running.family] += 1
        else:
            loss = evaluation.loss
            values = [loss, evaluation.secondary] if self.spec.secondary else loss
            if evaluation.rounds is not None:  # a resumed search refits with these rounds
                running.trial.set_user_attr("rounds", evaluation.rounds)
            study.tell(running.trial, values)
            self._failures[running.family] = 0
            self._keep_model_of_family_best(evaluation)
            self.result.evaluations.append(evaluation)
            if self.result.first_model_s is None:
                self.result.first_model_s = time.perf_counter() - self.started
        self.board.record(running.family, loss, seconds)
        self._emit(running, state, loss, seconds, message, evaluation)

    def _keep_model_of_family_best(self, evaluation: Evaluation) -> None:
        """Keep the fitted probe model of each family's best trial only (memory)."""
        best = self._family_best.get(evaluation.family)
        if best is None or evaluation.loss < best.loss:
            if best is not None:
                best.model = None
            self._family_best[evaluation.family] = evaluation
        else:
            evaluation.model = None

    def _emit(
        self,
        running: _Running,
        state: str,
        loss: float,
        seconds: float,
        message: str,
        evaluation: Evaluation | None,
    ) -> None:
        record = TrialRecord(
            number=next(self._numbers),
            family=running.family,
            params=running.params,
            state=state,
            loss=loss,
            seconds=seconds,
            elapsed=time.perf_counter() - self.started,
            rounds=evaluation.rounds if evaluation else None,
            secondary=evaluation.secondary if evaluation else None,
            message=message,
        )
        self.result.trials.append(record)
        if self.on_trial is not None:
            self.on_trial(record)

    def _guard(self, family: str, trial: optuna.Trial) -> RoundGuard:
        prune = not self.spec.secondary
        # One trial may use a slice of the time left, so a slow default cannot eat the
        # budget; the slice ends the fit gracefully (the rounds so far make the model).
        # Wall clock: Ray tasks run in other processes.
        left = self._left()
        deadline = time.time() + min(left, max(_MIN_SLICE_S, _SLICE * left))
        if self.executor.remote:  # the task reopens the trial through the shared database
            study = self.studies[family]
            storage = study._storage
            # Optuna wraps its RDB storage in a cache; the URL is the backend's.
            url = getattr(storage, "url", None) or getattr(
                getattr(storage, "_backend", None), "url", None
            )
            if url is None:
                return RoundGuard(deadline, None, prune=False)
            return RoundGuard(deadline, (url, study.study_name, trial._trial_id), prune)
        return RoundGuard(deadline, trial, prune)

    # -- budget ----------------------------------------------------------------------------

    def _left(self) -> float:
        """Seconds left for trials: what is left of the budget, less what the finalists'
        cross-validation and the refit will need."""
        return self.deadline - self.reserve(self.result.evaluations) - time.perf_counter()

    def _trials_done(self) -> int:
        return len(self.result.trials) + self.result.resumed_trials

    def _excluded(self) -> set[str]:
        """Families that failed too often, or whose typical trial would overrun the budget."""
        left = self._left()
        out = {name for name, n in self._failures.items() if n >= _MAX_FAILURES}
        for name, state in self.board.states.items():
            if state.trials and state.seconds_per_trial > left:
                out.add(name)
            if grid_exhausted(self.studies[name]):
                out.add(name)
        return out

    # -- resume and grids ------------------------------------------------------------------

    def _restore(self) -> None:
        """Take up what earlier runs of this search finished: their trials count against
        the trial limit and their time against the budget, and completed ones are
        candidates for the finalists (their models are refit from the stored parameters).
        Trials a kill interrupted are marked failed and not counted."""
        for family, study in self.studies.items():
            fail_interrupted_trials(study)
            for trial in finished_trials(study):
                seconds = trial.duration.total_seconds() if trial.duration else 0.0
                done = trial.state == TrialState.COMPLETE and trial.values
                loss = float(trial.values[0]) if done else math.inf
                self.board.record(family, loss, seconds)
                self.result.resumed_trials += 1
                self.result.resumed_seconds += seconds
                if done:
                    self.result.evaluations.append(self._restored(family, trial, loss, seconds))
        self.deadline -= self.result.resumed_seconds

    def _restored(
        self, family: str, trial: optuna.trial.FrozenTrial, loss: float, seconds: float
    ) -> Evaluation:
        rounds = trial.user_attrs.get("rounds")
        secondary = trial.values[1] if self.spec.secondary and len(trial.values) > 1 else None
        return Evaluation(
            family,
            dict(trial.params),
            loss,
            seconds,
            rounds,
            [loss],
            secondary=secondary,
            train_rows=len(self.problem.probe_rows),
        )

    def _grid(self, algorithm: Algorithm) -> dict[str, list[Any]]:
        probe = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        trial = probe.ask()
        algorithm.sample(
            trial,
            len(self.problem.probe_rows),
            self.problem.task,
            self.overrides.get(algorithm.name),
        )
        return {name: grid_points(dist) for name, dist in trial.distributions.items()}
