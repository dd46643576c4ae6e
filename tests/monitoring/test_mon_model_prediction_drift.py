"""Prediction drift and target drift on the output and label columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from keel.errors import MonitoringError
from keel.monitoring import ReferenceProfile, prediction_drift, target_drift


def test_scores_that_shift_are_flagged_and_stable_ones_are_not() -> None:
    rng = np.random.default_rng(0)
    reference = rng.beta(2, 5, size=5_000)
    assert not prediction_drift(reference, rng.beta(2, 5, size=5_000)).drifted
    found = prediction_drift(reference, rng.beta(3, 4, size=5_000))
    assert found.drifted and found.distance > 0.1
    assert found.metrics()["prediction_drift.distance"] == found.distance
    assert found.metrics()["prediction_drift.columns.output.distance"] == found.distance


def test_probability_matrices_compare_one_column_per_class() -> None:
    rng = np.random.default_rng(1)
    reference = rng.dirichlet([2, 2, 2], size=4_000)
    current = rng.dirichlet([6, 2, 2], size=4_000)
    found = prediction_drift(reference, current)
    assert found.columns == ["output_0", "output_1", "output_2"]
    assert "output_0" in found.report.drifted


def test_prediction_log_frames_pick_the_output_columns() -> None:
    rng = np.random.default_rng(2)
    log = pd.DataFrame({"request_id": ["a"] * 3_000, "age": rng.normal(size=3_000),
                        "output": rng.uniform(size=3_000)})  # fmt: skip
    later = log.assign(age=log["age"] + 3)
    found = prediction_drift(log, later)
    assert found.columns == ["output"] and not found.drifted


def test_target_drift_treats_labels_as_categories() -> None:
    rng = np.random.default_rng(3)
    reference = pd.Series(rng.choice(["no", "yes"], p=[0.8, 0.2], size=3_000), name="label")
    same = target_drift(reference, rng.choice(["no", "yes"], p=[0.8, 0.2], size=3_000))
    moved = target_drift(reference, rng.choice(["no", "yes"], p=[0.5, 0.5], size=3_000))
    assert same.report.columns[0].kind == "categorical" and not same.drifted
    assert moved.drifted and moved.kind == "target"
    assert "target_drift.distance" in moved.metrics()
    integer_labels = target_drift(rng.integers(0, 2, 2_000), rng.integers(0, 2, 2_000))
    assert integer_labels.report.columns[0].kind == "categorical"


def test_a_stored_reference_profile_works_too(tmp_path) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"output": rng.normal(size=4_000), "x": rng.normal(size=4_000)})
    profile = ReferenceProfile.from_frame(frame)
    found = prediction_drift(profile, pd.DataFrame({"output": rng.normal(1, size=2_000)}))
    assert found.drifted and found.columns == ["output"]
    out = json.loads(json.dumps(found.to_dict()))
    assert out["kind"] == "prediction" and out["report"]["drifted"] == ["output"]


def test_empty_window_and_bad_shapes_are_clear() -> None:
    with pytest.raises(MonitoringError, match="empty"):
        prediction_drift(np.arange(10.0), np.array([], dtype=float))
    with pytest.raises(MonitoringError, match="1-D or 2-D"):
        prediction_drift(np.zeros((2, 2, 2)), np.zeros(3))
    with pytest.raises(MonitoringError, match="lack the column"):
        prediction_drift(pd.DataFrame({"output": [0.1]}), pd.DataFrame({"output": [0.2]}),
                         columns=["score"])  # fmt: skip
