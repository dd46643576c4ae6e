"""The prediction log under a burst: a tiny queue spills to disk, yet every row arrives."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from keel.serving._predlog import PredictionLog, read_predictions
from keel.serving._spec import PredictionLogSpec

THREADS = 8
WRITES = 50_000


def _burst(log: PredictionLog, thread: int, count: int) -> None:
    for i in range(count):
        rows = 3 if i % 10 == 0 else 1  # some requests carry several records
        inputs = np.column_stack([np.full(rows, float(i)), np.arange(rows, dtype=float)])
        outputs = inputs[:, 0] * 2 + inputs[:, 1]
        log.write("churn", 2, f"t{thread}-{i}", inputs, ["a", "b"], outputs, 1e-4)


def test_a_burst_through_a_tiny_queue_spills_and_loses_nothing(tmp_path: Path) -> None:
    spec = PredictionLogSpec(max_pending_rows=100, flush_interval_s=0.05, max_segment_rows=5000)
    log = PredictionLog(tmp_path, spec)
    per_thread = WRITES // THREADS
    threads = [threading.Thread(target=_burst, args=(log, t, per_thread)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()

    assert log.rows_spilled > 0, "the queue of 100 rows should have overflowed"
    df = read_predictions(tmp_path, "churn")
    expected_rows = THREADS * sum(3 if i % 10 == 0 else 1 for i in range(per_thread))
    assert len(df) == expected_rows
    per_request = df.groupby("request_id").size()
    assert len(per_request) == WRITES
    expected = {
        f"t{t}-{i}": 3 if i % 10 == 0 else 1 for t in range(THREADS) for i in range(per_thread)
    }
    assert per_request.to_dict() == expected
    # Each row is the one written: a (the request number), b (the row) and the output.
    number = df["request_id"].str.split("-").str[1].astype(float)
    assert (df["a"] == number).all() and (df["b"] == df["row"]).all()
    assert np.allclose(df["output"], df["a"] * 2 + df["b"])
    assert (df["version"] == 2).all() and df["latency_s"].eq(1e-4).all()
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.arrow"))
    assert all(len(pd.read_parquet(p)) <= 5000 for p in tmp_path.rglob("*.parquet"))


def test_write_costs_a_few_microseconds(tmp_path: Path) -> None:
    """write() is on the request path. Measured here at about 1-2 µs; the bound leaves
    room for a busy shared machine."""
    log = PredictionLog(tmp_path, PredictionLogSpec(max_pending_rows=1_000_000))
    inputs, outputs, columns = np.ones((1, 30)), np.ones(1), [f"f{j}" for j in range(30)]
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        for i in range(1000):
            log.write("churn", 1, "r", inputs, columns, outputs, 1e-4, 1.7e9 + i)
        timings.append((time.perf_counter() - started) / 1000)
    log.close()
    best = min(timings) * 1e6
    print(f"PredictionLog.write: {best:.2f} µs per call (best of 20 x 1000)")
    assert best < 20
    assert len(read_predictions(tmp_path, "churn")) == 20_000


def test_writing_after_close_is_refused(tmp_path: Path) -> None:
    import pytest

    log = PredictionLog(tmp_path, PredictionLogSpec())
    log.close()
    log.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        log.write("m", 1, "r", np.ones((1, 1)), ["x"], np.ones(1), 0.0)
