"""The measurements that decide whether a compiled library is kept: parity with the native
model on the holdout (the rule the ONNX graph passes), and single-record latency and batch
throughput against the predictor the package would use without it.

Both sides are timed the same way, through everything a caller waits for: a record's
validation and the model for single records; the schema matrix and the model for batches.

Example:
    >>> import numpy as np
    >>> parity(np.array([[0.2, 0.8]]), np.array([[0.2, 0.8]]), "binary")["passed"]
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from keel.models._onnx_parity import compare_outputs

__all__ = ["BATCH_ROWS", "batch_rows_per_s", "one_row_p50_us", "parity"]

#: Rows of the batch timing (the holdout repeated): enough for the thread pools to matter,
#: small enough to keep writing a package within seconds.
BATCH_ROWS = 20_000
#: Single-record calls timed per side (the holdout's records, repeated).
ONE_ROW_CALLS = 600


def parity(got: np.ndarray, reference: np.ndarray, task: str) -> dict[str, Any]:
    """The ONNX parity rule on compiled outputs (keel.models._onnx_parity.compare_outputs)."""
    return compare_outputs(got, reference, task)


def one_row_p50_us(predict_one: Callable[[dict[str, Any]], Any], records: list[dict]) -> float:
    """Median microseconds of ``predict_one`` over the records (after a warm-up pass)."""
    for record in records[:50]:
        predict_one(record)
    times = []
    calls = max(ONE_ROW_CALLS, len(records))
    for index in range(calls):
        record = records[index % len(records)]
        start = time.perf_counter()
        predict_one(record)
        times.append(time.perf_counter() - start)
    return round(float(np.median(times)) * 1e6, 2)


def batch_rows_per_s(output: Callable[[pd.DataFrame], Any], batch: pd.DataFrame) -> float:
    """Rows per second of ``output`` on ``batch``, best of three runs after a warm-up."""
    output(batch.iloc[:100])
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        output(batch)
        best = min(best, time.perf_counter() - start)
    return round(len(batch) / best, 1)


def repeated(frame: pd.DataFrame, rows: int = BATCH_ROWS) -> pd.DataFrame:
    """``frame`` repeated to ``rows`` rows (the batch a timing runs on)."""
    times = -(-rows // max(1, len(frame)))
    return pd.concat([frame] * times, ignore_index=True).iloc[:rows]
