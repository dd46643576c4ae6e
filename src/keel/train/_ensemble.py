"""Ensembles of the trained models: greedy weighted blends and stacking, kept only if they pay.

`greedy_selection` is Caruana et al.'s ensemble selection with replacement (ICML 2004).
`choose_ensemble` scores each kind fairly before comparing it with the best single model:
a blend's weights are chosen on one half of the rows and scored on the other (2-fold
cross-fitting), since weights chosen and scored on the same OOF predictions flatter it; the
stacker is scored by its own inner cross-validation.

Example:
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> low, high = y - 1.0, y + 1.0  # each off by one, in opposite directions
    >>> mse = lambda t, p: float(np.mean((t - p) ** 2))
    >>> greedy_selection([low, high, y + 3.0], y, mse)
    array([0.5, 0.5, 0. ])
    >>> blend([low, high], np.array([0.5, 0.5]))
    array([0., 1., 2., 3.])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from keel.errors import TrainError
from keel.train._ensemble_stacking import Stacker, fit_stacker

__all__ = ["EnsembleChoice", "blend", "choose_ensemble", "greedy_selection"]

Loss = Callable[[np.ndarray, np.ndarray], float]

#: Rounds in a row without a better ensemble after which the greedy search stops.
_PATIENCE = 5
#: An improvement smaller than this (relative to the loss) is rounding noise, not a gain.
_TOLERANCE = 1e-12


def greedy_selection(
    oof: Sequence[np.ndarray],
    y: np.ndarray,
    loss: Callable[[np.ndarray, np.ndarray], float],
    *,
    rounds: int = 50,
    init_best: int = 1,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Weights over the models, from ensemble selection with replacement.

    Starts from the ``init_best`` models with the lowest ``loss(y_true, y_pred)`` and, for up
    to ``rounds`` rounds, adds the model (repeats allowed) whose addition to the running
    average lowers the loss most, ties going to the lowest index. Returns the counts of the
    best ensemble seen divided by their total. ``mask`` keeps only some rows (those a time
    split validated, say).

    Raises:
        TrainError: no model, or ``init_best`` outside 1..len(oof).
    """
    if not 1 <= init_best <= len(oof):
        raise TrainError(
            f"Ensemble selection must start from 1 to {len(oof)} models. Got {init_best}.",
            field="train.ensemble",
        )
    rows = slice(None) if mask is None else np.asarray(mask)
    preds = [np.asarray(p, dtype=float)[rows] for p in oof]
    y = np.asarray(y)[rows]
    counts = np.zeros(len(preds))
    counts[np.argsort([loss(y, p) for p in preds], kind="stable")[:init_best]] = 1
    total = np.sum([preds[i] for i in np.flatnonzero(counts)], axis=0)
    best_loss, best_counts, stale = loss(y, total / init_best), counts.copy(), 0
    for _ in range(rounds):
        trials = [loss(y, (total + p) / (counts.sum() + 1)) for p in preds]
        pick = int(np.argmin(trials))
        counts[pick] += 1
        total = total + preds[pick]
        if trials[pick] < best_loss - _TOLERANCE * max(1.0, abs(best_loss)):
            best_loss, best_counts, stale = trials[pick], counts.copy(), 0
        elif (stale := stale + 1) >= _PATIENCE:
            break
    return best_counts / best_counts.sum()


def blend(predictions: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted average of ``predictions`` (weights are normalized to sum to 1).

    Probability matrices (2-D, two or more columns) come back with rows that sum to 1.
    """
    weights = np.asarray(weights, dtype=float)
    if len(weights) != len(predictions) or (weights < 0).any() or not weights.sum() > 0:
        raise TrainError(
            f"A blend needs one non-negative weight per model ({len(predictions)}), not all "
            f"zero. Got {weights.tolist()} instead.",
            field="train.ensemble",
        )
    weights = weights / weights.sum()
    out = np.zeros_like(np.asarray(predictions[0], dtype=float))
    for weight, predicted in zip(weights, predictions, strict=True):
        if weight > 0:  # a model without weight may be absent (NaN) on some rows
            out += weight * np.asarray(predicted, dtype=float)
    if out.ndim == 2 and out.shape[1] > 1:
        out = out / out.sum(axis=1, keepdims=True)
    return out


@dataclass(frozen=True, eq=False)
class EnsembleChoice:
    """What `choose_ensemble` picked: a "single" model, a "blend" or a "stack".

    ``members`` index the models given to `choose_ensemble`; ``weights`` (single and blend)
    are over ``members``; ``stacker`` (stack) takes the members' predictions in that order.
    ``oof_loss`` is the choice's fair OOF loss, ``single_loss`` the best single model's.
    """

    kind: str
    members: list[int]
    weights: np.ndarray | None
    stacker: Stacker | None
    oof_loss: float
    single_loss: float
    reason: str

    def predict(self, predictions: Sequence[np.ndarray]) -> np.ndarray:
        """Combines ``predictions``, one per model in the order given to `choose_ensemble`."""
        chosen = [predictions[i] for i in self.members]
        if self.stacker is not None:
            return self.stacker.predict(chosen)
        assert self.weights is not None
        return blend(chosen, self.weights)


def choose_ensemble(
    oof: Sequence[np.ndarray],
    y: np.ndarray,
    task: str,
    loss: Callable[[np.ndarray, np.ndarray], float],
    *,
    seed: int,
    top_k: int = 5,
    min_gain: float = 1e-3,
    kinds: Sequence[str] = ("blend", "stack"),
) -> EnsembleChoice:
    """The best single model, or a blend or stack of the ``top_k`` best when it beats it.

    ``kinds`` limits the ensembles considered ("blend", "stack").

    An ensemble must lower the best single model's OOF loss by more than ``min_gain`` of
    its size: a smaller gain is within noise and does not pay for the extra models at
    prediction time. Rows with a NaN prediction (not validated by time folds) are left out.
    """
    if not oof or top_k < 1:
        raise TrainError(
            f"choose_ensemble needs at least one model and top_k >= 1. Got {len(oof)} models "
            f"and top_k={top_k} instead.",
            field="train.ensemble",
        )
    arrays = [np.asarray(p, dtype=float) for p in oof]
    covered = np.all([np.isfinite(p.reshape(len(p), -1)).all(axis=1) for p in arrays], axis=0)
    oof = [p[covered] for p in arrays]
    y = np.asarray(y)[covered]
    singles = [loss(y, p) for p in oof]
    ranked = np.argsort(singles, kind="stable")
    best, single_loss = int(ranked[0]), float(singles[ranked[0]])
    members = sorted(ranked[:top_k].tolist())
    options: list[_Option] = [("", np.inf, [], None, None)]
    if "blend" in kinds:
        options.append(_blend_option(oof, y, task, loss, members, seed))
    if (
        "stack" in kinds
        and len(members) > 1
        and (task == "regression" or np.unique(y, return_counts=True)[1].min() >= 2)
    ):
        options.append(_stack_option(oof, y, task, loss, members, seed))
    scores = ", ".join(f"{kind} {score:.4g}" for kind, score, *_ in options if kind)
    kind, score, chosen, weights, stacker = min(options, key=lambda option: option[1])
    if kind and single_loss - score > min_gain * abs(single_loss):
        reason = (
            f"the {kind} of models {chosen} has OOF loss {score:.4g}, below the best "
            f"single model {best}'s {single_loss:.4g} ({scores})"
        )
        return EnsembleChoice(kind, chosen, weights, stacker, score, single_loss, reason)
    reason = (
        f"no ensemble beat the best single model {best} (OOF loss {single_loss:.4g}) by "
        f"more than {min_gain:.1%}" + (f": {scores}" if scores else "")
    )
    return EnsembleChoice("single", [best], np.ones(1), None, single_loss, single_loss, reason)


_Option = tuple[str, float, list[int], np.ndarray | None, Stacker | None]


def _blend_option(
    oof: list[np.ndarray], y: np.ndarray, task: str, loss: Loss, members: list[int], seed: int
) -> _Option:
    """The greedy blend of ``members`` and its cross-fitted loss; kind "" if it is one model."""
    chosen = [oof[i] for i in members]
    weights = greedy_selection(chosen, y, loss)
    if np.count_nonzero(weights) < 2:
        return "", np.inf, [], None, None
    crossed = np.empty_like(chosen[0])
    for fit_rows, score_rows in _halves(y, task, seed):
        half = greedy_selection(chosen, y, loss, mask=np.isin(np.arange(len(y)), fit_rows))
        crossed[score_rows] = blend([p[score_rows] for p in chosen], half)
    used = np.flatnonzero(weights)
    return "blend", float(loss(y, crossed)), [members[i] for i in used], weights[used], None


def _stack_option(
    oof: list[np.ndarray], y: np.ndarray, task: str, loss: Loss, members: list[int], seed: int
) -> _Option:
    stacker = fit_stacker([oof[i] for i in members], y, task, seed, loss=loss)
    return "stack", stacker.cv_loss_, members, None, stacker


def _halves(y: np.ndarray, task: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    stratify = task != "regression" and np.unique(y, return_counts=True)[1].min() >= 2
    splitter = (StratifiedKFold if stratify else KFold)(2, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((len(y), 1)), y))
