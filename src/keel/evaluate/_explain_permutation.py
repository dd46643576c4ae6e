"""Permutation SHAP over background rows, batched across all the rows explained.

The same estimator as shap's PermutationExplainer with an Independent masker: for an
ordering of the features, switch them one at a time from a background row's value to the
explained row's value; each feature's SHAP value is the mean change of the model's output
(averaged over the background rows) when it switches, averaged over orderings. Every
ordering telescopes from the mean background output to the row's own output, so the values
of a row always add up to ``f(row) - base`` exactly. Up to 4 features every ordering is
used (exact Shapley values); beyond, ``2 * _PAIRS`` seeded orderings, each with its reverse.

Written here rather than called from shap because shap's version (0.51) compiles its
masker with numba on first use (7-14 s per process, measured on 2 cores) and calls the
model about 40 times per explained row (0.23 s per row for a scikit-learn pipeline); this
one calls it once per ordering and chunk of rows. It matches shap's ExactExplainer to
1e-12 where it enumerates the orderings (tests/evaluate/test_eval_explain.py).

Example:
    >>> X, background = np.array([[1.0, 2.0]]), np.zeros((3, 2))
    >>> values, base = permutation_shap(lambda m: m[:, 0] * m[:, 1], X, background, seed=0)
    >>> values.tolist(), base.tolist()  # the product's credit is shared equally
    ([[1.0, 1.0]], [0.0])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

__all__ = ["orderings", "permutation_shap"]

#: Random orderings (each with its reverse) when there are too many to use them all.
_PAIRS = 10
_EXACT_UP_TO = 4
#: Model inputs per call: bounds memory (rows x features x 8 bytes) while keeping calls few.
_CHUNK_ROWS = 100_000

Output = Callable[[np.ndarray], np.ndarray]


def orderings(n_features: int, seed: int) -> np.ndarray:
    """The feature orderings used: all of them for up to 4 features, else seeded pairs."""
    if n_features <= _EXACT_UP_TO:
        return np.array(list(itertools.permutations(range(n_features))), dtype=np.intp)
    rng = np.random.default_rng(seed)
    forward = np.array([rng.permutation(n_features) for _ in range(_PAIRS)], dtype=np.intp)
    return np.concatenate([forward, forward[:, ::-1]])


def permutation_shap(
    f: Output, X: np.ndarray, background: np.ndarray, seed: int, order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values of ``f`` (a model output, (n,) or (n, k)) on the rows of X.

    Returns:
        values of shape (n_rows, n_features[, k]) and base values (n_rows[, k]).
    """
    order = orderings(X.shape[1], seed) if order is None else order
    base = np.asarray(f(background), dtype=np.float64).mean(axis=0)
    own = np.asarray(f(X), dtype=np.float64)
    values = np.zeros((*X.shape, *base.shape))
    per_row = max(1, (X.shape[1] - 1) * len(background))
    step = max(1, _CHUNK_ROWS // per_row)
    for start in range(0, X.shape[0], step):
        rows = slice(start, start + step)
        for ordering in order:
            values[rows] += _one_ordering(f, X[rows], background, ordering, base, own[rows])
    return values / len(order), np.broadcast_to(base, own.shape).copy()


def _one_ordering(
    f: Output,
    X: np.ndarray,
    background: np.ndarray,
    ordering: np.ndarray,
    base: np.ndarray,
    own: np.ndarray,
) -> np.ndarray:
    """Each feature's change of the mean output when it joins, in ``ordering``."""
    n, p = X.shape
    if p == 1:
        return (own - base)[:, None]
    joined = np.zeros((p - 1, p), dtype=bool)  # coalition s holds ordering[: s + 1]
    for s in range(p - 1):
        joined[s, ordering[: s + 1]] = True
    mixed = np.where(joined[None, :, None, :], X[:, None, None, :], background[None, None])
    outputs = np.asarray(f(mixed.reshape(-1, p)), dtype=np.float64)
    means = outputs.reshape(n, p - 1, len(background), *base.shape).mean(axis=2)
    start = np.broadcast_to(base, (n, 1, *base.shape))
    path = np.concatenate([start, means, own[:, None]], axis=1)
    deltas = np.diff(path, axis=1)
    values = np.empty_like(deltas)
    values[:, ordering] = deltas
    return values
