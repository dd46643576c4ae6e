"""Feature-importance drift: does the model now lean on different features? And the
slices of the current window where it errs most.

Importance is computed on the reference and on the current window the same way: with
labels on both sides, permutation importance (keel.evaluate.permutation_importance: the
drop in the task's score when a column is shuffled); without, mean |SHAP| (keel.evaluate.
shap_values). Each side's importances are turned into shares (negative permutation
importances, which are noise, count as 0), and the distance is the total variation
between the two share vectors: half the sum of absolute share changes, 0 when the model
leans on the features as before, 1 when it leans on entirely different ones. Near-zero
features barely move it, where a rank correlation over every feature would be dominated by
the noisy order of unimportant ones; Spearman's rank correlation and the overlap of the
top ``top_k`` features are reported alongside. Flagged above ``threshold`` (0.2).

Example:
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(1_000, 2)), columns=["a", "b"])
    >>> model = RandomForestRegressor(n_estimators=20, random_state=0)
    >>> model = model.fit(X, 3 * X["a"] + X["b"])
    >>> current = X.assign(a=0.1 * X["a"], b=3 * X["b"])  # now b carries the output
    >>> found = importance_drift(model, X, current, max_rows=300)
    >>> found.method, found.drifted, found.top(1, "current")
    ('shap', True, ['b'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.errors import MonitoringError

if TYPE_CHECKING:
    from keel.evaluate import Slice

__all__ = ["ImportanceDrift", "importance_drift"]

_METHODS = ("auto", "permutation", "shap")


@dataclass(frozen=True)
class ImportanceDrift:
    """Importance on the reference and the current window, and how far it moved.

    Attributes:
        method: "permutation" or "shap".
        features: the model's input columns.
        reference, current: importance per feature (``features`` order), as computed.
        distance: total variation between the two importance-share vectors, in [0, 1].
        rank_correlation: Spearman's correlation of the two importance vectors.
        top_k_overlap: share of the reference's top ``top_k`` features still in the top.
        threshold: ``distance`` above which ``drifted``.
        slices: the current window's worst slices (with labels only; else empty).
    """

    method: str
    features: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]
    distance: float
    rank_correlation: float
    top_k_overlap: float
    top_k: int
    threshold: float
    drifted: bool
    slices: tuple[Slice, ...] = ()

    def top(self, k: int, side: str = "reference") -> list[str]:
        """The ``k`` most important features on ``side`` ("reference" or "current")."""
        values = np.asarray(self.reference if side == "reference" else self.current)
        order = np.argsort(-values, kind="stable")[:k]
        return [self.features[i] for i in order]

    def rank_changes(self) -> dict[str, int]:
        """Feature -> places moved up (positive) or down, largest moves first."""
        before, after = _ranks(self.reference), _ranks(self.current)
        moves = {f: int(b - a) for f, b, a in zip(self.features, before, after, strict=True)}
        return dict(sorted(moves.items(), key=lambda item: -abs(item[1])))

    def metrics(self) -> dict[str, float]:
        """Flat metrics for alert rules, e.g. ``importance.distance``."""
        return {
            "importance.distance": self.distance,
            "importance.rank_correlation": self.rank_correlation,
            "importance.top_k_overlap": self.top_k_overlap,
            "importance.drifted": float(self.drifted),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "features": list(self.features),
            "reference": list(self.reference),
            "current": list(self.current),
            "distance": self.distance,
            "rank_correlation": _plain(self.rank_correlation),
            "top_k_overlap": self.top_k_overlap,
            "top_k": self.top_k,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "rank_changes": self.rank_changes(),
            "slices": [s.to_dict() for s in self.slices],
        }


def importance_drift(
    model: Any,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    y_reference: Any = None,
    y_current: Any = None,
    method: str = "auto",
    threshold: float = 0.2,
    top_k: int = 5,
    max_rows: int = 2_000,
    n_repeats: int = 5,
    slices: int = 5,
    seed: int = 0,
) -> ImportanceDrift:
    """Compare the model's feature importance on ``reference`` and ``current`` rows.

    Args:
        model: keel's AutoML or a fitted scikit-learn estimator or Pipeline.
        reference, current: the model's input columns on each side.
        y_reference, y_current: labels for each side's rows; with both, ``auto`` uses
            permutation importance and the worst slices of the current window are found.
        method: "auto", "permutation" (needs both labels) or "shap".
        threshold: the share distance above which importance drifted, in (0, 1).
        top_k: features compared by ``top_k_overlap``.
        max_rows: rows (seeded sample) each side's importance is computed on.
        n_repeats: shuffles per column for permutation importance.
        slices: worst slices of the current window to keep (0: none).
        seed: the samples and shuffles.

    Raises:
        MonitoringError: a bad setting, or permutation importance without labels.
    """
    chosen = _method(method, y_reference, y_current, threshold)
    importance = _permutation if chosen == "permutation" else _shap
    before = importance(model, reference, y_reference, max_rows, n_repeats, seed)
    after = importance(model, current, y_current, max_rows, n_repeats, seed)
    features = tuple(str(f) for f in before.index)
    after = after.reindex(before.index)
    distance = _share_distance(before.to_numpy(), after.to_numpy())
    found_slices = _slices(model, current, y_current, slices) if y_current is not None else ()
    return ImportanceDrift(
        method=chosen,
        features=features,
        reference=tuple(float(v) for v in before),
        current=tuple(float(v) for v in after),
        distance=distance,
        rank_correlation=_spearman(before.to_numpy(), after.to_numpy()),
        top_k_overlap=_overlap(before.to_numpy(), after.to_numpy(), top_k),
        top_k=top_k,
        threshold=threshold,
        drifted=bool(distance > threshold),
        slices=found_slices,
    )


def _method(method: str, y_reference: Any, y_current: Any, threshold: float) -> str:
    if method not in _METHODS:
        raise MonitoringError(
            f"The importance method must be one of {', '.join(_METHODS)}. Got {method!r} instead.",
            field="method",
        )
    labelled = y_reference is not None and y_current is not None
    if method == "permutation" and not labelled:
        raise MonitoringError(
            "Permutation importance needs labels for both the reference and the current "
            "rows (y_reference and y_current); use method='shap' without them.",
            field="method",
        )
    if not 0.0 < float(threshold) < 1.0:
        raise MonitoringError(
            f"The importance threshold must lie in (0, 1), e.g. 0.2. Got {threshold!r} instead.",
            field="threshold",
        )
    if method == "auto":
        return "permutation" if labelled else "shap"
    return method


def _permutation(
    model: Any, X: pd.DataFrame, y: Any, max_rows: int, n_repeats: int, seed: int
) -> pd.Series:
    from keel.evaluate import permutation_importance

    found = permutation_importance(model, X, y, n_repeats=n_repeats, seed=seed, max_rows=max_rows)
    return found.to_series().reindex([str(c) for c in X.columns])


def _shap(
    model: Any, X: pd.DataFrame, y: Any, max_rows: int, n_repeats: int, seed: int
) -> pd.Series:
    from keel.evaluate import shap_values

    explained = shap_values(model, X, max_rows=max_rows, seed=seed).mean_abs()
    return explained.reindex([str(c) for c in X.columns if str(c) in explained.index])


def _shares(values: np.ndarray) -> np.ndarray:
    kept = np.clip(np.nan_to_num(values, nan=0.0), 0.0, None)
    total = kept.sum()
    return kept / total if total > 0 else np.full(kept.size, 1.0 / kept.size)


def _share_distance(before: np.ndarray, after: np.ndarray) -> float:
    return float(0.5 * np.abs(_shares(before) - _shares(after)).sum())


def _spearman(before: np.ndarray, after: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if before.size < 2 or np.ptp(before) == 0 or np.ptp(after) == 0:
        return math.nan
    return float(spearmanr(before, after).statistic)


def _overlap(before: np.ndarray, after: np.ndarray, k: int) -> float:
    k = max(1, min(k, before.size))
    top_before = set(np.argsort(-before, kind="stable")[:k].tolist())
    top_after = set(np.argsort(-after, kind="stable")[:k].tolist())
    return len(top_before & top_after) / k


def _ranks(values: tuple[float, ...]) -> np.ndarray:
    order = np.argsort(-np.asarray(values), kind="stable")
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def _slices(model: Any, current: pd.DataFrame, y: Any, top: int) -> tuple[Slice, ...]:
    from keel.evaluate import outcomes_of, worst_slices

    if top < 1:
        return ()
    found = outcomes_of(model, current, y)
    return tuple(worst_slices(found, current, top=top))


def _plain(value: float) -> float | None:
    return value if math.isfinite(value) else None
