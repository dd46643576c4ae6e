"""Seeded bootstrap resamples as count matrices, and what to read from resampled values.

A resample is stored as how many times each row was drawn, not as the drawn rows: a chunk
is a matrix ``W`` of shape (n_resamples_in_chunk, n_samples) with ``W[i, j]`` the count of
row ``j`` in resample ``i``. Every metric is then a weighted sum (``W @ per_row_values``),
so a thousand resamples cost a few matrix products instead of a thousand metric calls.

Example:
    >>> chunks = list(bootstrap_counts(4, 3, seed=0, chunk=2))
    >>> [c.shape for c in chunks], [c.sum(axis=1).tolist() for c in chunks]
    ([(2, 4), (1, 4)], [[4.0, 4.0], [4.0]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from keel.errors import EvaluationError

__all__ = [
    "bootstrap_counts",
    "bootstrap_p_value",
    "percentile_interval",
    "resample_scores",
]

# 64 resamples of 50,000 rows is a 25 MB chunk. Measured on 50,000 binary rows, all
# metrics, 1,000 resamples: 64 took 1.4-1.5 s; 32, 128 and 256 took 1.9-2.1 s.
DEFAULT_CHUNK = 64


def bootstrap_counts(
    n: int, n_resamples: int, seed: int = 0, *, chunk: int = DEFAULT_CHUNK
) -> Iterator[np.ndarray]:
    """Yield resample count matrices, ``chunk`` resamples at a time.

    Args:
        n: rows in the data; each resample draws ``n`` rows with replacement.
        n_resamples: resamples in all, over every chunk.
        seed: the same seed gives the same counts, bit for bit.
        chunk: resamples per yielded matrix (bounds memory to chunk * n floats).

    Yields:
        float64 arrays of shape (min(chunk, left), n) whose rows each sum to ``n``. The
        resamples depend on ``seed`` only, not on ``chunk``.

    Raises:
        EvaluationError: ``n_resamples`` or ``n`` is below 1.
    """
    check_resamples(n_resamples)
    if n < 1:
        raise EvaluationError(f"Bootstrapping needs at least one row; got {n}.", field="n")
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        drawn = rng.integers(0, n, size=(size, n))
        # Offsetting each resample's draws lets one bincount count all of them at once.
        drawn += (np.arange(size) * n)[:, None]
        yield np.bincount(drawn.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def resample_scores(
    scorers: Sequence[Callable[[np.ndarray], dict[str, np.ndarray]]],
    n: int,
    n_resamples: int,
    seed: int = 0,
) -> list[dict[str, np.ndarray]]:
    """Run each scorer on the same resamples; one dict of name -> (n_resamples,) per scorer.

    Sharing the counts is what makes a comparison paired: both models see the same rows.
    """
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in scorers]
    for counts in bootstrap_counts(n, n_resamples, seed):
        for part, score in zip(parts, scorers, strict=True):
            part.append(score(counts))
    return [{name: np.concatenate([c[name] for c in part]) for name in part[0]} for part in parts]


def check_resamples(n_resamples: int) -> None:
    """Raise EvaluationError unless ``n_resamples`` is an integer >= 1."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise EvaluationError(
            f"n_resamples must be an integer >= 1. Got {n_resamples!r} instead.",
            field="n_resamples",
        )
    if n_resamples < 1:
        raise EvaluationError(
            f"n_resamples must be an integer >= 1. Got {n_resamples} instead.",
            field="n_resamples",
        )


def check_confidence(confidence: float) -> None:
    """Raise EvaluationError unless 0 < ``confidence`` < 1."""
    if not 0.0 < float(confidence) < 1.0:
        raise EvaluationError(
            f"confidence must lie strictly between 0 and 1 (e.g. 0.95). Got {confidence!r} "
            "instead.",
            field="confidence",
        )


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float, int]:
    """The percentile interval of resampled values, ignoring undefined (NaN) resamples.

    Returns:
        (low, high, n_undefined); low and high are NaN when every resample is undefined.

    Example:
        >>> percentile_interval(np.array([1.0, 2.0, 3.0, np.nan]), 0.5)
        (1.5, 2.5, 1)
    """
    defined = values[~np.isnan(values)]
    undefined = int(values.size - defined.size)
    if defined.size == 0:
        return float("nan"), float("nan"), undefined
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return float(low), float(high), undefined


def bootstrap_p_value(differences: np.ndarray) -> float:
    """Two-sided p-value that resampled differences are centred on zero.

    Twice the smaller tail share at zero, each tail counted with the +1 correction of
    Davison and Hinkley (1997), so the p-value is never 0; capped at 1. NaN entries
    (undefined resamples) are ignored.

    Example:
        >>> bootstrap_p_value(np.array([0.1, 0.2, 0.3]))
        0.5
    """
    defined = differences[~np.isnan(differences)]
    if defined.size == 0:
        return float("nan")
    at_or_below = (1 + np.count_nonzero(defined <= 0)) / (defined.size + 1)
    at_or_above = (1 + np.count_nonzero(defined >= 0)) / (defined.size + 1)
    return float(min(1.0, 2.0 * min(at_or_below, at_or_above)))
