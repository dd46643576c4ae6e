"""Prediction log segments: layout, versions, feedback joins, atomic writes, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from keel.serving._predlog import PredictionLog, read_feedback, read_predictions
from keel.serving._spec import PredictionLogSpec
from keel.store._prediction_log import PREDICTIONS, SegmentKey, write_segment

HOUR = 3600.0
AT = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def test_segments_go_under_model_version_and_utc_hour(tmp_path: Path) -> None:
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        log.write("churn", 3, "a", np.ones((1, 2)), ["x", "y"], np.array([1]), 0.1, AT)
        log.write("churn", 4, "b", np.ones((2, 2)), ["x", "y"], np.array([0, 1]), 0.1, AT + HOUR)
        log.write("path/model", None, "c", np.ones((1, 1)), ["x"], np.array([[0.2, 0.8]]), 0.1, AT)
    folders = {p.parent.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")}
    assert folders == {
        "churn/v3/2026010100",
        "churn/v4/2026010101",
        "path%2Fmodel/vnone/2026010100",
    }
    assert list(read_predictions(tmp_path, "churn", version=4)["request_id"]) == ["b", "b"]
    both = read_predictions(tmp_path, "churn")
    assert list(both["request_id"]) == ["a", "b", "b"] and list(both["row"]) == [0, 0, 1]
    assert str(both["at"].iloc[0]) == "2026-01-01 00:00:00+00:00"
    other = read_predictions(tmp_path, "path/model")
    assert other[["output_0", "output_1"]].values.tolist() == [[0.2, 0.8]]
    assert other["version"].isna().all()


def test_feedback_joins_predictions_by_request_id(tmp_path: Path) -> None:
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        for i in range(5):
            log.write("churn", 1, f"r{i}", np.full((1, 1), i), ["x"], np.array([i % 2]), 0.1)
        log.feedback("churn", "r1", label=1)
        log.feedback("churn", "r2", label="yes")
        log.feedback("churn", "r4", reward=0.5)
    joined = read_predictions(tmp_path, "churn").merge(
        read_feedback(tmp_path, "churn"), on="request_id"
    )
    assert joined["request_id"].tolist() == ["r1", "r2", "r4"]
    assert joined["label"].tolist()[:2] == ["1", "yes"] and joined["reward"].iloc[2] == 0.5
    assert list((tmp_path / "churn" / "feedback").iterdir())


def test_columns_clashing_with_the_log_s_own_are_renamed(tmp_path: Path) -> None:
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        log.write("m", 1, "r", np.array([[5.0, 6.0]]), ["at", "age"], np.array([1.0]), 0.1, AT)
    df = read_predictions(tmp_path, "m")
    assert df["input_at"].tolist() == [5.0] and df["age"].tolist() == [6.0]


def test_half_written_segments_are_never_read(tmp_path: Path) -> None:
    """A segment appears by rename only: a crash mid-write leaves a hidden temporary file,
    which readers skip; and a reader running beside the writer never meets a torn file."""
    key = SegmentKey(PREDICTIONS, "m", 1, "2026010100")
    write_segment(tmp_path, key, pa.table({"request_id": ["a"], "at": [0], "row": [0]}))
    folder = next(tmp_path.rglob("*.parquet")).parent
    (folder / ".crashed.parquet.tmp").write_bytes(b"PAR1 torn")
    assert len(read_predictions(tmp_path, "m")) == 1

    spec = PredictionLogSpec(max_pending_rows=100, flush_interval_s=0.01, max_segment_rows=100)
    log = PredictionLog(tmp_path / "live", spec)
    stop, seen, errors = threading.Event(), [], []

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(len(read_predictions(tmp_path / "live", "m")))
            except Exception as exc:  # a torn segment would land here
                errors.append(exc)

    watcher = threading.Thread(target=reader)
    watcher.start()
    for i in range(20_000):
        log.write("m", 1, f"r{i}", np.ones((1, 3)), ["x", "y", "z"], np.ones(1), 0.1)
    log.close()
    stop.set()
    watcher.join()
    assert errors == [] and len(seen) > 1 and seen == sorted(seen)
    assert len(read_predictions(tmp_path / "live", "m")) == 20_000


_CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from keel.serving._predlog import PredictionLog
    from keel.serving._spec import PredictionLogSpec

    spec = PredictionLogSpec(max_pending_rows=100, flush_interval_s=0.05, max_segment_rows=100)
    log = PredictionLog(sys.argv[1], spec)
    i = 0
    while True:
        log.write("m", 1, f"r{i}", np.full((1, 2), float(i)), ["x", "y"], np.ones(1), 0.1)
        i += 1
        if i % 200 == 0:
            time.sleep(0.001)
    """
)


def test_after_a_crash_segments_are_whole_and_spilled_rows_are_recovered(
    tmp_path: Path,
) -> None:
    writer = subprocess.Popen([sys.executable, "-c", _CRASHING_WRITER, str(tmp_path)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            spilled = list(tmp_path.glob(".spill/*/*.arrow"))
            if spilled and list(tmp_path.rglob("*.parquet")):
                break
            time.sleep(0.05)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    spilled = list(tmp_path.glob(".spill/*/*.arrow"))
    assert spilled, "the writer should have spilled before it was killed"
    before = read_predictions(tmp_path, "m")  # every visible segment reads whole
    assert (before["x"] == before["request_id"].str[1:].astype(float)).all()

    log = PredictionLog(tmp_path, PredictionLogSpec())
    assert log._spill.adopted >= len(spilled)  # the dead writer's spill files were taken over
    log.close()
    after = read_predictions(tmp_path, "m")
    assert len(after) > len(before)
    assert set(before["request_id"]) <= set(after["request_id"])
    assert not list(tmp_path.glob(".spill/*/*.arrow"))
    assert (after["x"] == after["request_id"].str[1:].astype(float)).all()


def test_object_outputs_and_badly_shaped_inputs(tmp_path: Path) -> None:
    """String labels (an object array) are kept as they are; inputs that do not fit the
    outputs and columns are left out with an error in the log, never raised to the caller."""
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        labels = np.array(["yes", "no"], dtype=object)
        log.write("m", 1, "a", np.ones((2, 2)), ("x", "y"), labels, 0.1, AT)
        log.write("m", 1, "b", np.ones((1, 1)), ("x", "y"), np.array(["no"], dtype=object), 0.1, AT)
        log.write("n", 1, "c", np.ones((3, 2)), ("x", "y"), np.ones(2), 0.1, AT)
        log.write("n", 1, "d", np.array([4.0, 5.0]), ("x", "y"), np.array([1.0]), 0.1, AT)
    df = read_predictions(tmp_path, "m")
    assert df["request_id"].tolist() == ["a", "a"] and df["output"].tolist() == ["yes", "no"]
    assert read_predictions(tmp_path, "n")[["request_id", "x", "y"]].values.tolist() == [
        ["d", 4.0, 5.0]
    ]
