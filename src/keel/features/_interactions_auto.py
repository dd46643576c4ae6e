"""AutoInteractions: the products and ratios that make a simple model better, found by CV.

The step behind ``interactions: auto`` in keel.yaml. ``fit(X, y)`` on raw numeric columns:

1. fills missing values (None, NaN, ``pd.NA``, ``inf``) with each column's median (0.0
   when all missing) and draws a seeded sample of at most ``max_rows`` rows;
2. ranks the columns by mutual information with ``y`` (scikit-learn's ``mutual_info_*``)
   and proposes candidates from pairs of the top ones, best pairs first (lowest sum of
   ranks): for a pair ``a``, ``b`` with ``a`` ranked higher, ``a*b``, ``a/b`` and ``b/a``
   (a ratio is 0.0 where ``|denominator| <= 1e-12``), up to ``max_candidates``;
3. scores a fast scaled linear model (``StandardScaler`` then ``LogisticRegression`` or
   ``Ridge``) by mean cross-validated ``roc_auc`` (binary), ``neg_log_loss``
   (multiclass) or ``r2`` (regression), on seeded ``StratifiedKFold``/``KFold`` folds:
   first on the columns alone (``baseline_score_``), then with each candidate added
   alone;
4. walks the candidates from the largest gain alone down (greedy forward selection in
   that order, each scored with the ones kept so far): a candidate is kept when it adds
   at least ``min_gain`` to the score, until ``max_keep`` are kept. A candidate whose gain
   alone is under ``min_gain`` is not scored again.

``report_`` says what was tried and why each candidate was kept or dropped, and
``final_score_`` is the score with the kept terms. ``transform`` outputs only the kept
terms, named ``a*b`` / ``a/b`` (possibly none: an array of shape (n_samples, 0)).

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(2000, 4)), columns=["a", "b", "c", "d"])
    >>> y = X["a"] * X["b"] + 0.1 * rng.normal(size=2000)
    >>> step = AutoInteractions(task="regression").fit(X, y)
    >>> step.get_feature_names_out().tolist()
    ['a*b']
    >>> step.report_[0].kept, round(step.report_[0].gain, 1)
    (True, 1.0)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from keel.errors import FeatureError
from keel.features._contract import check_fitted, require_setting
from keel.features._interactions_terms import (
    Term,
    TermOutputs,
    check_frame,
    fill_missing,
    learn_medians,
    numeric_matrix,
    term_values,
)

__all__ = ["AutoInteractions", "InteractionCandidate"]

_OWNER = "features.interactions"
_SCORING = {"binary": "roc_auc", "multiclass": "neg_log_loss", "regression": "r2"}


@dataclass(frozen=True)
class InteractionCandidate:
    """One candidate `AutoInteractions` tried.

    Attributes:
        name: the output name, ``a*b`` or ``a/b``.
        kind: ``"product"`` or ``"ratio"``.
        gain: the CV score gain it was judged on (alone, or over the terms kept before it);
            NaN when it was not scored.
        kept: whether ``transform`` outputs it.
        reason: why it was kept or dropped, in words.
    """

    name: str
    kind: str
    gain: float
    kept: bool
    reason: str


class AutoInteractions(TermOutputs, TransformerMixin, BaseEstimator):
    """Column step: keeps the products and ratios of numeric columns that CV says help.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        max_candidates: how many candidates to propose, at least 1.
        max_keep: how many to keep at most, at least 1.
        cv: cross-validation folds, at least 2.
        min_gain: the least score gain that keeps a candidate, >= 0.
        random_state: seed of the row sample, the mutual information and the folds.
        max_rows: rows sampled for ranking and scoring, at least 100 (speed).
    """

    def __init__(
        self,
        task: str,
        max_candidates: int = 20,
        max_keep: int = 5,
        cv: int = 3,
        min_gain: float = 0.002,
        random_state: int = 0,
        max_rows: int = 20000,
    ):
        self.task = task
        self.max_candidates = max_candidates
        self.max_keep = max_keep
        self.cv = cv
        self.min_gain = min_gain
        self.random_state = random_state
        self.max_rows = max_rows

    def fit(self, X: pd.DataFrame, y: Any) -> AutoInteractions:
        """Propose candidates, score them by CV and keep the ones that help (see module)."""
        self._check_params()
        check_frame(X, _OWNER)
        columns = [str(column) for column in X.columns]
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        target = _checked_target(y, len(X), self.task)
        filled_all = numeric_matrix(X, columns, _OWNER)
        medians = learn_medians(filled_all)
        rows = _sample_rows(len(X), self.max_rows, self.random_state)
        sample = fill_missing(filled_all[rows], medians)
        candidates = list(self._propose(sample, target[rows], columns))
        with warnings.catch_warnings():
            # A candidate that makes the linear model converge slowly is judged on its
            # score like any other: the warning would only be noise to the user.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            kept = self._select(sample, target[rows], candidates)
        used = sorted({term.left for term in kept} | {term.right for term in kept})
        slot = {index: k for k, index in enumerate(used)}
        self.columns_ = [columns[i] for i in used]
        self.medians_ = medians[used]
        self.terms_ = tuple(Term(t.name, t.kind, slot[t.left], slot[t.right]) for t in kept)
        return self

    def _check_params(self) -> None:
        _require(self.task in _SCORING, "task", f"be one of {sorted(_SCORING)}", self.task)
        for setting, least in (("max_candidates", 1), ("max_keep", 1), ("cv", 2)):
            value = getattr(self, setting)
            ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
            _require(ok and value >= least, setting, f"be an integer >= {least}", value)
        rows = self.max_rows
        ok = isinstance(rows, int | np.integer) and not isinstance(rows, bool) and rows >= 100
        _require(ok, "max_rows", "be an integer >= 100", rows)
        gain = self.min_gain
        ok = isinstance(gain, int | float) and not isinstance(gain, bool) and gain >= 0
        _require(ok and math.isfinite(gain), "min_gain", "be a number >= 0", gain)
        ok = isinstance(self.random_state, int | np.integer)
        _require(ok, "random_state", "be an integer", self.random_state)

    def _propose(
        self, sample: np.ndarray, target: np.ndarray, columns: list[str]
    ) -> Iterator[Term]:
        if self.task == "regression":
            information = mutual_info_regression(sample, target, random_state=self.random_state)
        else:
            information = mutual_info_classif(sample, target, random_state=self.random_state)
        ranked = np.argsort(-information, kind="stable")
        proposed = 0
        for i, j in _pairs_by_rank(len(ranked)):
            a, b = int(ranked[i]), int(ranked[j])
            first, second = min(a, b), max(a, b)  # a product is named in column order
            for term in (
                Term(f"{columns[first]}*{columns[second]}", "product", first, second),
                Term(f"{columns[a]}/{columns[b]}", "ratio", a, b),
                Term(f"{columns[b]}/{columns[a]}", "ratio", b, a),
            ):
                if proposed == self.max_candidates:
                    return
                proposed += 1
                yield term

    def _select(self, sample: np.ndarray, target: np.ndarray, candidates: list[Term]) -> list[Term]:
        score = self._scorer(target)
        values = term_values(sample, candidates)
        self.baseline_score_ = current = score(sample)
        alone = [
            score(np.hstack([sample, values[:, [k]]])) - current
            if np.ptp(values[:, k]) > 0
            else math.nan
            for k in range(len(candidates))
        ]
        kept: list[int] = []
        verdicts: dict[int, tuple[float, bool, str]] = {}
        for k in sorted(range(len(candidates)), key=lambda k: _descending(alone[k])):
            gain, reason = alone[k], self._screen(alone[k], len(kept))
            if reason is None and kept:
                gain = score(np.hstack([sample, values[:, [*kept, k]]])) - current
            is_kept = reason is None and gain >= self.min_gain
            if reason is None:
                sign = ">=" if is_kept else "<"
                over = f" over the {len(kept)} kept" if kept else ""
                reason = f"gain{over} {gain:.4f} {sign} min_gain {self.min_gain}"
            if is_kept:
                kept.append(k)
                current += gain
            verdicts[k] = (gain, is_kept, reason)
        self.final_score_ = current
        self.report_ = [
            InteractionCandidate(term.name, term.kind, *verdicts[k])
            for k, term in enumerate(candidates)
        ]
        return [candidates[k] for k in kept]

    def _screen(self, alone: float, n_kept: int) -> str | None:
        """Why a candidate is dropped without scoring it with the kept ones, if it is."""
        if math.isnan(alone):
            return "constant on the sample: not scored"
        if alone < self.min_gain:
            return f"gain alone {alone:.4f} < min_gain {self.min_gain}"
        if n_kept == self.max_keep:
            return f"max_keep {self.max_keep} already kept"
        return None

    def _scorer(self, target: np.ndarray) -> Callable[[np.ndarray], float]:
        if self.task == "regression":
            model = make_pipeline(StandardScaler(), Ridge())
            folds = KFold(self.cv, shuffle=True, random_state=self.random_state)
        else:
            # Measured on 20,000 rows: tol=1e-3 moves CV scores by about 1e-4 and saves a
            # third of the time.
            linear = LogisticRegression(max_iter=200, tol=1e-3)
            model = make_pipeline(StandardScaler(), linear)
            folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        splits = list(folds.split(np.zeros((len(target), 1)), target))
        scoring = _SCORING[self.task]

        def score(matrix: np.ndarray) -> float:
            return float(cross_val_score(model, matrix, target, cv=splits, scoring=scoring).mean())

        return score

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The kept terms, an array of shape (n_samples, n_kept), float64, all finite."""
        check_fitted(self)
        check_frame(X, _OWNER)
        filled = fill_missing(numeric_matrix(X, self.columns_, _OWNER), self.medians_)
        return term_values(filled, self.terms_)


def _descending(gain: float) -> float:
    return math.inf if math.isnan(gain) else -gain


def _pairs_by_rank(n: int) -> Iterator[tuple[int, int]]:
    """Rank pairs ``i < j`` of ``n`` columns, by ``i + j`` then ``i``: the best pairs first."""
    for total in range(1, 2 * n - 2):
        for i in range(max(0, total - n + 1), (total + 1) // 2):
            yield i, total - i


def _sample_rows(n: int, max_rows: int, seed: int) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def _checked_target(y: Any, n: int, task: str) -> np.ndarray:
    target = np.asarray(y)
    if target.ndim != 1 or len(target) != n:
        raise FeatureError(
            f"{_OWNER} (auto) needs y with one value per row of X ({n}). "
            f"Got shape {target.shape} instead.",
            field=_OWNER,
        )
    if pd.isna(target).any():
        raise FeatureError(f"{_OWNER} (auto) needs y without missing values.", field=_OWNER)
    classes = len(np.unique(target)) if task != "regression" else 0
    if (task == "binary" and classes != 2) or (task == "multiclass" and classes < 2):
        raise FeatureError(
            f"{_OWNER} (auto) with task {task!r} needs y with "
            f"{'2' if task == 'binary' else 'at least 2'} classes. Got {classes} instead.",
            field=_OWNER,
        )
    return target.astype(np.float64) if task == "regression" else target


def _require(ok: bool, setting: str, expected: str, value: Any) -> None:
    require_setting(ok, _OWNER, setting, expected, value, where=" (auto)")
