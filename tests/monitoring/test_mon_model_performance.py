"""Realised performance per window, labels joined late by request id."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from keel.errors import MonitoringError
from keel.monitoring import join_feedback, performance_over_time
from keel.serving import PredictionLog
from keel.serving._spec import PredictionLogSpec
from keel.store._prediction_log import read_feedback, read_predictions

START = pd.Timestamp("2026-03-01T00:00:00", tz="UTC").timestamp()


def test_a_real_prediction_log_scored_per_hour(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 3_000
    p = np.r_[rng.uniform(size=n // 2), rng.uniform(0.3, 0.7, size=n // 2)]  # weaker in hour 2
    y = (rng.uniform(size=n) < p).astype(int)
    with PredictionLog(tmp_path, PredictionLogSpec()) as log:
        for i in range(n):
            at = START + i * 2.4  # 1,500 rows an hour
            log.write("churn", 1, f"r{i}", np.array([[p[i]]]), ["x"], np.array([p[i]]), 0.001, at)
            if i % 3:  # a third of the labels never arrive
                log.feedback("churn", f"r{i}", label=int(y[i]), at=at + 600)
    predictions, feedback = read_predictions(tmp_path, "churn"), read_feedback(tmp_path, "churn")
    found = performance_over_time(predictions, feedback, task="binary", classes=["0", "1"],
                                  window="1h", n_resamples=100)  # fmt: skip
    assert [w.rows for w in found.windows] == [1_500, 1_500]
    assert [w.labelled for w in found.windows] == [1_000, 1_000]
    first, second = (w.metrics["roc_auc"] for w in found.windows)
    labelled = np.arange(n) % 3 != 0
    hour = np.arange(n) < n // 2
    expected = roc_auc_score(y[labelled & hour], p[labelled & hour])
    assert first.value == pytest.approx(expected, abs=1e-9)
    assert first.low < first.value < first.high
    assert second.high < first.low  # the drop is outside both intervals
    assert found.metrics()["performance.roc_auc"] == second.value
    assert found.windows[0].start == pd.Timestamp("2026-03-01T00:00", tz="UTC")
    json.dumps(found.to_dict())
    assert set(found.to_frame()["metric"]) == {"roc_auc", "accuracy", "f1"}


def test_count_windows_and_too_few_labels() -> None:
    at = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(250), unit="min")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"at": at, "output": rng.uniform(size=250)})
    frame["label"] = np.where(np.arange(250) < 220, (rng.uniform(size=250) < 0.5), None)
    frame["label"] = frame["label"].map({True: "1", False: "0", None: None})
    found = performance_over_time(frame, task="binary", window=100, classes=["0", "1"],
                                  n_resamples=50)  # fmt: skip
    assert [w.rows for w in found.windows] == [100, 100, 50]
    assert [w.labelled for w in found.windows] == [100, 100, 20]
    assert found.windows[2].metrics is None and "below min_labels=30" in found.windows[2].note
    assert found.windows[0].end == at[99]
    assert found.metrics()["performance.labelled"] == 20


def test_a_single_class_window_says_so() -> None:
    at = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(60), unit="s")
    frame = pd.DataFrame({"at": at, "output": np.linspace(0, 1, 60), "label": ["1"] * 60})
    (window,) = performance_over_time(frame, task="binary", classes=["0", "1"],
                                      n_resamples=20).windows  # fmt: skip
    assert np.isnan(window.metrics["roc_auc"].value)
    assert window.note == "The labels hold one class only: roc_auc undefined."
    assert window.to_dict()["metrics"]["roc_auc"]["value"] is None


def test_join_keeps_the_latest_label_and_unlabelled_rows() -> None:
    predictions = pd.DataFrame({"request_id": ["a", "b", "c"], "output": [0.1, 0.6, 0.9]})
    feedback = pd.DataFrame({"request_id": ["a", "a", "b"], "label": ["1", "0", "1"],
                             "at": pd.to_datetime([2, 1, 1], unit="s")})  # fmt: skip
    joined = join_feedback(predictions, feedback)
    assert joined["label"].tolist()[:2] == ["1", "1"] and pd.isna(joined["label"][2])


def test_regression_and_multiclass_outputs() -> None:
    rng = np.random.default_rng(2)
    at = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.arange(200), unit="min")
    truth = rng.normal(size=200)
    frame = pd.DataFrame({"at": at, "output": truth + 0.1, "label": truth.astype(str)})
    (window,) = performance_over_time(frame, task="regression", window="1d",
                                      n_resamples=20).windows  # fmt: skip
    assert window.metrics["mae"].value == pytest.approx(0.1)
    proba = rng.dirichlet([1, 1, 1], size=200)
    multi = pd.DataFrame({"at": at, "output_0": proba[:, 0], "output_1": proba[:, 1],
                          "output_2": proba[:, 2],
                          "label": rng.choice(["a", "b", "c"], size=200)})  # fmt: skip
    found = performance_over_time(multi, task="multiclass", window="2h", n_resamples=20)
    assert len(found.windows) == 2 and found.windows[0].metrics.task == "multiclass"


def test_bad_input_gets_a_clear_message() -> None:
    frame = pd.DataFrame({"at": pd.to_datetime([0], unit="s"), "output": [0.5], "label": ["1"]})
    with pytest.raises(MonitoringError, match="window is empty"):
        performance_over_time(frame.iloc[:0], task="binary")
    with pytest.raises(MonitoringError, match="'window' setting"):
        performance_over_time(frame, task="binary", window="soon")
    with pytest.raises(MonitoringError, match="pass classes"):
        performance_over_time(frame, task="binary")
    with pytest.raises(MonitoringError, match="no 'request_id'"):
        join_feedback(frame, frame)
    with pytest.raises(MonitoringError, match="labels the model does not know: 'yes'"):
        performance_over_time(
            frame.assign(label="yes"), task="binary", classes=["0", "1"], min_labels=1
        )
    with pytest.raises(MonitoringError, match="cannot be scored"):
        performance_over_time(frame.assign(label="n/a"), task="regression", min_labels=1)
    with pytest.raises(MonitoringError, match="Unknown binary metric"):
        performance_over_time(frame, task="binary", classes=["0", "1"], metrics=["rmse"])
