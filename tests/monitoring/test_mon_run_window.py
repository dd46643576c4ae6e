"""Windows of the prediction log read with DuckDB: count and time windows, ties, the row
cap, hour-folder pruning, feedback joins (a log written by keel.serving.PredictionLog)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keel.errors import MonitoringError
from keel.monitoring import LogReader
from keel.serving import PredictionLog
from keel.serving._spec import PredictionLogSpec

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
HOUR = 3600.0


def _write(folder: Path, n: int, *, step: float = 1.0, rows_per_request: int = 1) -> None:
    with PredictionLog(folder, PredictionLogSpec()) as log:
        for i in range(n):
            x = np.column_stack([np.full(rows_per_request, float(i)), np.arange(rows_per_request)])
            out = np.column_stack([np.full(rows_per_request, 0.3), np.full(rows_per_request, 0.7)])
            log.write("m", 1, f"r{i:05d}", x, ["a", "b"], out, 0.01, T0 + i * step)


def test_count_windows_are_exact_even_when_rows_share_a_time(tmp_path: Path) -> None:
    _write(tmp_path, 100, rows_per_request=3)  # three rows per request, one time each
    reader = LogReader(tmp_path, "m", 1)
    window = reader.latest(rows=10)
    assert window.rows == 10 and window.outputs == ["output_0", "output_1"]
    frame = reader.frame(window, ["a", "b"], ordered=True)
    assert (
        len(frame) == 10
        and frame["a"].tolist() == [96.0] * 1 + [97.0] * 3 + [98.0] * 3 + [99.0] * 3
    )
    assert len(reader.predictions(window)) == 10
    assert [len(c.columns) for c in reader.chunks(window, ["a", "b"], size=1)] == [1, 1]


def test_time_windows_are_half_open_and_capped_at_max_rows(tmp_path: Path) -> None:
    _write(tmp_path, 7200)  # two hours, one row a second
    reader = LogReader(tmp_path, "m", 1)
    hour = reader.latest(seconds=HOUR)
    assert hour.rows == 3600 and hour.start == T0 + 3600 and hour.end == T0 + 7199
    before = reader.before(hour)
    assert before.rows == 3600 and before.end < hour.start
    capped = LogReader(tmp_path, "m", 1, max_rows=500).latest(seconds=HOUR)
    assert capped.rows == 500 and capped.start == T0 + 6700  # the newest rows win


def test_a_window_reads_only_its_hours(tmp_path: Path) -> None:
    _write(tmp_path, 100)
    old = tmp_path / "m" / "v1" / "2025123100"  # a day earlier: never opened
    old.mkdir(parents=True)
    (old / "broken.parquet").write_bytes(b"not parquet")
    reader = LogReader(tmp_path, "m", 1)
    assert reader.latest(seconds=60).rows == 60
    window = reader.latest(rows=60)  # a count window stops at the folders holding its rows
    assert window.rows == 60 and len(reader.frame(window, ["a"])) == 60


def test_labels_join_by_request_id_and_the_newest_wins(tmp_path: Path) -> None:
    _write(tmp_path, 10)
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        log.feedback("m", "r00002", label="no", at=T0 + 20)
        log.feedback("m", "r00002", label="yes", at=T0 + 30)
        log.feedback("m", "r00007", label="yes", at=T0 + 30)
        log.feedback("m", "unknown", label="yes", at=T0 + 30)
    reader = LogReader(tmp_path, "m", 1)
    labelled = reader.labelled(reader.latest(rows=10))
    assert labelled["request_id"].tolist() == ["r00002", "r00007"]
    assert labelled["label"].tolist() == ["yes", "yes"] and labelled["at"].iloc[0] == T0 + 2
    assert reader.labelled(reader.latest(rows=2)).empty


def test_unknown_columns_and_models_are_clear_errors(tmp_path: Path) -> None:
    _write(tmp_path, 5)
    reader = LogReader(tmp_path, "m", 1)
    with pytest.raises(MonitoringError, match="has no column 'c'; it has a, b, output_0"):
        reader.frame(reader.latest(rows=5), ["c"])
    with pytest.raises(MonitoringError, match="No predictions are logged for other"):
        LogReader(tmp_path, "other").latest(rows=5)
