"""From the search's probes to the final model: cross-validate the finalists, choose the
best single model or an ensemble of them (only when it wins on out-of-fold predictions),
and refit the chosen members on every row — each step only when the budget holds it.

When there is no time to cross-validate, the best probe is refit on every row; when there
is not even time for that, the best probe's own model (trained on fold 0's rows) is the
final model. The budget is a promise; the model says which path it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keel.train._catalog import get_algorithm
from keel.train._checkpoint import Checkpoints
from keel.train._ensemble import EnsembleChoice, choose_ensemble
from keel.train._objective import Evaluation, Problem, evaluate_cv, refit
from keel.train._search import SearchResult
from keel.train._spec import TrainSpec

__all__ = ["FittedModel", "finalize", "finalize_seconds"]

# Finalists: the best configuration of each of the best families, then the next best
# configurations overall, up to this many.
MAX_FINALISTS = 5
BEST_FAMILIES = 3
# The search keeps time for the best finalist's CV only when it costs less than this share.
_CV_SHARE = 0.35
_ENSEMBLE_KINDS = {
    "auto": ("blend", "stack"),
    "blend": ("blend",),
    "stacking": ("stack",),
    "none": (),
}


@dataclass
class FittedModel:
    """The chosen member models and how their outputs combine."""

    task: str
    members: list[tuple[str, dict[str, Any], Any]]  # (family, params, fitted estimator)
    choice: EnsembleChoice | None
    finalists: list[Evaluation] = field(default_factory=list)
    cv_loss: float = float("nan")
    #: How the final model was made: "refit" on every row, or "probe" (no time to refit).
    path: str = "refit"

    def predict(self, X: np.ndarray) -> np.ndarray:
        outputs = [
            get_algorithm(family).predict(model, X, self.task) for family, _, model in self.members
        ]
        if self.choice is None or self.choice.kind == "single":
            return outputs[0]
        # The choice indexes the finalists; only its members were refit.
        by_finalist: list[Any] = [None] * (max(self.choice.members) + 1)
        for index, output in zip(self.choice.members, outputs, strict=True):
            by_finalist[index] = output
        return self.choice.predict(by_finalist)

    @property
    def description(self) -> str:
        names = [family for family, _, _ in self.members]
        kind = "single" if self.choice is None else self.choice.kind
        return names[0] if kind == "single" else f"{kind} of {', '.join(names)}"


def finalize_seconds(evaluations: list[Evaluation], problem: Problem, budget: float) -> float:
    """The time to keep for ``finalize`` after a search that produced ``evaluations``: the
    refit of the best probe, plus the full CV of as many finalists, best first, as stay
    cheap next to the budget (beyond that the search's time is worth more than the CV).

    On small data one probe fold is a few dozen rows, and the best probe is often a lucky
    one (k-NN beat every boosting family on a 91-row fold of breast cancer, then lost on
    CV); cross-validating the runners-up, which costs little there, is what catches it."""
    finalists = _finalists(evaluations)
    if not finalists:
        return 0.0
    reserve = _refit_seconds(problem, finalists[0])
    for finalist in finalists:
        cv_s = _cv_seconds(problem, finalist)
        if reserve + cv_s >= _CV_SHARE * budget:
            break
        reserve += cv_s
    return reserve


def finalize(
    problem: Problem,
    search: SearchResult,
    spec: TrainSpec,
    *,
    deadline: float,
    checkpoints: Checkpoints | None = None,
) -> FittedModel:
    """Cross-validate finalists, choose, and refit, all before ``deadline``; a boosting
    refit keeps checkpoints in ``checkpoints`` when given."""
    candidates = _finalists(search.evaluations)
    best = candidates[0]
    cross_validated = []
    # Probes underestimate full-data fits (a 10 s diamonds run overran by 4 s on estimates
    # alone); each measured CV corrects the estimates that follow it.
    slowdown = 1.0
    for candidate in candidates:
        estimate = _cv_seconds(problem, candidate)
        needed = slowdown * (estimate + _refit_seconds(problem, best))
        if time.perf_counter() + needed > deadline:
            break
        algorithm = get_algorithm(candidate.family)
        cap = _round_cap(candidate) if algorithm.iterative else None
        started = time.perf_counter()
        cross_validated.append(evaluate_cv(problem, algorithm, candidate.params, cap))
        slowdown = max(slowdown, _measured_slowdown(time.perf_counter() - started, estimate))
    if not cross_validated:
        return _single(problem, best, None, [], best.loss, deadline, checkpoints)
    cross_validated.sort(key=lambda e: e.loss)
    kinds = _ENSEMBLE_KINDS[spec.ensemble]
    if not kinds or len(cross_validated) < 2:
        best = cross_validated[0]
        return _single(
            problem, best, None, cross_validated, best.loss, deadline, checkpoints, slowdown
        )
    choice = choose_ensemble(
        [e.predictions for e in cross_validated if e.predictions is not None],
        problem.y,
        problem.task,
        problem.metric.loss,
        seed=problem.seed,
        kinds=kinds,
    )
    members = [cross_validated[i] for i in choice.members]
    needed = slowdown * sum(_refit_seconds(problem, m) for m in members)
    if choice.kind == "single" or time.perf_counter() + needed > deadline:
        single = choice if choice.kind == "single" else None
        first = members[0] if choice.kind == "single" else cross_validated[0]
        return _single(
            problem, first, single, cross_validated, first.loss, deadline, checkpoints, slowdown
        )
    fitted = [_refit_member(problem, m, checkpoints) for m in members]
    return FittedModel(problem.task, fitted, choice, cross_validated, choice.oof_loss)


def _single(
    problem: Problem,
    best: Evaluation,
    choice: EnsembleChoice | None,
    finalists: list[Evaluation],
    cv_loss: float,
    deadline: float,
    checkpoints: Checkpoints | None,
    slowdown: float = 1.0,
) -> FittedModel:
    needed = slowdown * _refit_seconds(problem, best)
    if time.perf_counter() + needed > deadline and best.model is not None:
        member = (best.family, best.params, best.model)
        return FittedModel(problem.task, [member], choice, finalists, cv_loss, path="probe")
    refitted = _refit_member(problem, best, checkpoints)
    return FittedModel(problem.task, [refitted], choice, finalists, cv_loss)


def _refit_member(
    problem: Problem, member: Evaluation, checkpoints: Checkpoints | None
) -> tuple[str, dict[str, Any], Any]:
    algorithm = get_algorithm(member.family)
    return (
        member.family,
        member.params,
        refit(problem, algorithm, member.params, member.rounds, checkpoints),
    )


def _measured_slowdown(seconds: float, estimate: float) -> float:
    """How much slower a finalist's CV ran than its probe predicted (at least 1)."""
    return seconds / estimate if estimate > 0 else 1.0


def _round_cap(probe: Evaluation) -> int | None:
    """Boosting rounds for CV: a little past the probe's best (it may have been cut short)."""
    return None if probe.rounds is None else max(10, int(probe.rounds * 1.2))


def _cv_seconds(problem: Problem, evaluation: Evaluation) -> float:
    if evaluation.full_cv:
        return 0.0
    per_fold = evaluation.seconds * _scale(problem.folds[0].train.size, evaluation)
    return per_fold * len(problem.folds)


def _refit_seconds(problem: Problem, evaluation: Evaluation) -> float:
    per_fit = evaluation.seconds / max(len(evaluation.fold_losses), 1)
    return per_fit * _scale(len(problem.y), evaluation)


def _scale(rows: int, evaluation: Evaluation) -> float:
    return rows / max(evaluation.train_rows, 1)


def _finalists(evaluations: list[Evaluation]) -> list[Evaluation]:
    ranked = sorted(evaluations, key=lambda e: e.loss)
    chosen: list[Evaluation] = []
    families: list[str] = []
    for evaluation in ranked:
        if evaluation.family not in families and len(families) < BEST_FAMILIES:
            families.append(evaluation.family)
            chosen.append(evaluation)
    for evaluation in ranked:
        if len(chosen) >= MAX_FINALISTS:
            break
        if evaluation not in chosen:
            chosen.append(evaluation)
    return sorted(chosen, key=lambda e: e.loss)
