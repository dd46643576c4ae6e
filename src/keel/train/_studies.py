"""Optuna studies, one per algorithm family, in keel's database: samplers, pruners, and
what a resumed search finds in them.

One study per family keeps each search space flat (no conditional parameters), lets the
pruner compare like with like, and lets the scheduler move budget between families.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.trial import TrialState

from keel.errors import TrainError
from keel.train._spec import SearchSpec

__all__ = [
    "fail_interrupted_trials",
    "finished_trials",
    "grid_exhausted",
    "make_pruner",
    "make_sampler",
    "open_study",
]

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Marks the trials a killed process left RUNNING (they failed by interruption, not config).
_INTERRUPTED = "keel.interrupted"


def make_sampler(kind: str, seed: int, grid: dict[str, list[Any]] | None = None) -> Any:
    """The sampler named in train.search.sampler, seeded."""
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=6, multivariate=True)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "cmaes":
        # CMA-ES models continuous parameters; categorical ones go to its independent sampler.
        independent = optuna.samplers.RandomSampler(seed=seed)
        return optuna.samplers.CmaEsSampler(
            seed=seed, independent_sampler=independent, warn_independent_sampling=False
        )
    if kind == "grid":
        if not grid:
            raise TrainError(
                "The grid sampler needs a grid: the family has no parameters.",
                field="train.search.sampler",
            )
        return _AskTellGridSampler(grid, seed=seed)
    raise TrainError(f"Unknown sampler {kind!r}.", field="train.search.sampler")


class _AskTellGridSampler(optuna.samplers.GridSampler):
    """A grid sampler for keel's ask-and-tell loop: Optuna's stops the study when the grid
    is done, which only works inside ``study.optimize``; the search loop stops asking
    instead (see ``grid_exhausted``)."""

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        return None


def grid_exhausted(study: optuna.Study) -> bool:
    """True when a grid-sampled study has run every point of its grid."""
    sampler = study.sampler
    return isinstance(sampler, _AskTellGridSampler) and not sampler._get_unvisited_grid_ids(study)


def make_pruner(kind: str, max_rounds: int) -> Any:
    """The pruner named in train.search.pruner; rounds of boosting are its resource."""
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=10, max_resource=max_rounds, reduction_factor=3
        )
    if kind == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=10, reduction_factor=3)
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=20)
    return optuna.pruners.NopPruner()


def open_study(
    name: str, storage: Any, spec: SearchSpec, seed: int, max_rounds: int, grid: Any = None
) -> optuna.Study:
    """Create the study ``name`` in ``storage``, or load it when it exists (resume)."""
    directions: list[Any] = ["minimize", "minimize"] if spec.secondary else ["minimize"]
    # Multi-objective studies cannot prune (there is no single value to compare).
    pruner = make_pruner("none" if spec.secondary else spec.pruner, max_rounds)
    return optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=make_sampler(spec.sampler, seed, grid),
        pruner=pruner,
        directions=directions,
        load_if_exists=True,
    )


def fail_interrupted_trials(study: optuna.Study) -> int:
    """Mark trials left RUNNING by a killed process as FAIL, so a resumed search neither
    waits for them nor counts them; returns how many there were."""
    stale = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING]
    for trial in stale:
        study._storage.set_trial_system_attr(trial._trial_id, _INTERRUPTED, True)
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
    return len(stale)


def finished_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Every trial that ran to an end (complete, pruned or failed by its configuration);
    trials interrupted by a kill are not counted."""
    ended = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    return [
        trial
        for trial in study.get_trials(deepcopy=False)
        if trial.state in ended and not trial.system_attrs.get(_INTERRUPTED)
    ]
