"""How fast and how big a model is: single-record latency, batch throughput, pickled size
and the memory one batch prediction allocates.

Single-record latency uses the model's fastest one-row path: for keel's AutoML the
compiled record function (``features_.transform_one``) and the fitted model on one row,
as serving calls it; otherwise ``predict_proba`` (or ``predict``) on a one-row DataFrame
built before the clock starts. Timings are wall-clock on this machine, so compare them
only with timings taken on the same machine.

Example:
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> profile = performance_profile(model, X, single_calls=20, batch_rows=100)
    >>> profile.single_path, profile.latency_p50_ms > 0
    ('predict_proba on a one-row DataFrame', True)
"""

from __future__ import annotations

import pickle
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError

__all__ = ["PerformanceProfile", "performance_profile"]

_WARMUP_CALLS = 5
_BATCH_REPEATS = 3
_MIB = 2**20


@dataclass(frozen=True)
class PerformanceProfile:
    """A model's speed and size.

    Attributes:
        latency_p50_ms, latency_p99_ms: single-record prediction latency percentiles.
        batch_rows_per_s: rows per second of one batch prediction (median of three).
        serialized_bytes: the size of ``pickle.dumps(model, protocol=5)``.
        peak_memory_mb: the peak memory, in MiB, that Python and NumPy allocated during
            one batch prediction (traced by ``tracemalloc``; memory a native library
            allocates itself, such as LightGBM's or BLAS's buffers, is not seen).
        single_path, batch_path: which calls were timed.
        single_calls, batch_rows: how many single calls and batch rows were timed.
    """

    latency_p50_ms: float
    latency_p99_ms: float
    batch_rows_per_s: float
    serialized_bytes: int
    peak_memory_mb: float
    single_path: str
    batch_path: str
    single_calls: int
    batch_rows: int

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain JSON-able values."""
        return asdict(self)


def performance_profile(
    model: Any,
    X_sample: pd.DataFrame,
    *,
    single_calls: int = 200,
    batch_rows: int = 10_000,
    seed: int = 0,
) -> PerformanceProfile:
    """Measure a fitted model's latency, throughput, size and batch memory on ``X_sample``.

    Args:
        model: a fitted keel AutoML or scikit-learn style estimator.
        X_sample: input rows (raw columns); single calls and the batch draw rows from it
            at random with ``seed``, with replacement.
        single_calls: how many one-row predictions to time (after a few warm-up calls).
        batch_rows: the batch size whose throughput is measured.

    Raises:
        EvaluationError: X_sample is empty or not a DataFrame, a count is below 1, the
            model cannot predict X_sample's rows or cannot be pickled.
    """
    _check(X_sample, single_calls, batch_rows)
    rng = np.random.default_rng(seed)
    positions = rng.integers(0, len(X_sample), size=_WARMUP_CALLS + single_calls)
    single_path, call = _single_call(model, X_sample.iloc[positions])
    latencies = _latencies_ms(call, single_path, _WARMUP_CALLS + single_calls)[_WARMUP_CALLS:]
    batch = X_sample.iloc[rng.integers(0, len(X_sample), size=batch_rows)]
    batch_path, predict = _batch_method(model)
    seconds = np.median([_seconds(predict, batch) for _ in range(_BATCH_REPEATS)])
    return PerformanceProfile(
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        batch_rows_per_s=float(batch_rows / max(seconds, 1e-9)),
        serialized_bytes=_serialized_bytes(model),
        peak_memory_mb=_peak_bytes(predict, batch) / _MIB,
        single_path=single_path,
        batch_path=batch_path,
        single_calls=single_calls,
        batch_rows=batch_rows,
    )


def _check(X_sample: Any, single_calls: int, batch_rows: int) -> None:
    if not isinstance(X_sample, pd.DataFrame) or X_sample.empty:
        got = type(X_sample).__name__ if not isinstance(X_sample, pd.DataFrame) else "no rows"
        raise EvaluationError(
            f"X_sample must be a non-empty DataFrame of input rows; got {got}.",
            field="X_sample",
        )
    for name, value in (("single_calls", single_calls), ("batch_rows", batch_rows)):
        if not isinstance(value, int) or value < 1:
            raise EvaluationError(
                f"{name} must be an integer >= 1. Got {value!r} instead.", field=name
            )


def _single_call(model: Any, rows: pd.DataFrame) -> tuple[str, Callable[[int], Any]]:
    """The fastest one-row prediction the model offers, as a call on the i-th row."""
    features: Any = getattr(model, "features_", None)
    fitted: Any = getattr(model, "model_", None)
    if hasattr(features, "transform_one") and hasattr(fitted, "predict"):
        records = rows.to_dict("records")
        return "features_.transform_one + model_.predict", lambda i: fitted.predict(
            features.transform_one(records[i])[None, :]
        )
    path, predict = _batch_method(model)
    frames = [rows.iloc[[i]] for i in range(len(rows))]  # built before the clock starts
    return f"{path} on a one-row DataFrame", lambda i: predict(frames[i])


def _batch_method(model: Any) -> tuple[str, Callable[[pd.DataFrame], Any]]:
    regression = getattr(model, "task_", None) == "regression"
    if hasattr(model, "predict_proba") and not regression:
        return "predict_proba", model.predict_proba
    return "predict", model.predict


def _latencies_ms(call: Callable[[int], Any], path: str, calls: int) -> np.ndarray:
    try:
        call(0)  # a model that cannot predict fails here, before any timing
    except Exception as error:
        raise EvaluationError(
            f"The model could not predict one row of X_sample with {path}: {error}. "
            "X_sample must hold the raw input columns the model was trained on.",
            field="X_sample",
        ) from error
    latencies = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter_ns()
        call(i)
        latencies[i] = (time.perf_counter_ns() - started) / 1e6
    return latencies


def _seconds(predict: Callable[[pd.DataFrame], Any], batch: pd.DataFrame) -> float:
    started = time.perf_counter()
    predict(batch)
    return time.perf_counter() - started


def _peak_bytes(predict: Callable[[pd.DataFrame], Any], batch: pd.DataFrame) -> int:
    # tracemalloc rather than the rusage max-RSS: max-RSS is a high-water mark of the
    # whole process, so a batch that stays under an earlier peak reads as zero.
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        predict(batch)
        return max(0, tracemalloc.get_traced_memory()[1] - before)
    finally:
        if not tracing:
            tracemalloc.stop()


def _serialized_bytes(model: Any) -> int:
    try:
        return len(pickle.dumps(model, protocol=5))
    except Exception as error:
        raise EvaluationError(
            f"The model cannot be pickled ({error}); keel saves models with pickle, so a "
            "model that holds open files, locks or lambdas cannot be registered.",
            field="model",
        ) from error
