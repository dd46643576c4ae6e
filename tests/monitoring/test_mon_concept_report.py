"""concept_drift: the report a monitor run keeps, its metrics and JSON shape."""

from __future__ import annotations

import doctest
import importlib
import json

import numpy as np
import pytest

from keel.errors import ConfigError, DataError
from keel.monitoring import ConceptDriftReport, concept_drift, error_stream


def test_a_classifiers_error_stream_reports_changes_and_metrics():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 60_000)
    wrong = np.r_[rng.random(40_000) < 0.1, rng.random(20_000) < 0.3]
    predicted = np.where(wrong, 1 - truth, truth)
    report = concept_drift(error_stream(truth, predicted, task="classification"))
    assert isinstance(report, ConceptDriftReport) and report.binary and report.drifted
    assert report.metrics() == {
        "concept.adwin.changes": 1,
        "concept.page_hinkley.changes": 1,
        "concept.ddm.changes": 1,
    }
    first = report.first_change()
    assert first is not None and 40_000 <= first.index <= 42_000


def test_json_shape_is_pinned():
    stream = np.r_[np.zeros(5_000), np.ones(100)]
    data = concept_drift(stream, detectors=["adwin"]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == ["schema_version", "n_values", "binary", "drifted", "detectors"]
    assert data["schema_version"] == 1 and data["n_values"] == 5_100
    (adwin,) = data["detectors"]
    assert list(adwin) == ["detector", "n_changes", "changes", "params", "note"]
    assert adwin["params"] == {
        "delta": 1e-05,
        "clock": 32,
        "max_buckets": 5,
        "min_window_length": 5,
        "grace_period": 10,
    }
    assert adwin["changes"][0]["index"] >= 5_000


def test_losses_skip_the_binary_detectors_with_a_note():
    rng = np.random.default_rng(1)
    losses = np.r_[rng.exponential(1.0, 30_000), rng.exponential(2.0, 5_000)]
    report = concept_drift(losses, detectors=["adwin", "ddm", "eddm", "page_hinkley"])
    assert not report.binary
    notes = {r.detector: r.note for r in report.results}
    assert notes["ddm"] is not None and "needs 0/1 errors" in notes["ddm"]
    assert notes["adwin"] is None
    assert set(report.metrics()) == {"concept.adwin.changes", "concept.page_hinkley.changes"}
    assert report.metrics()["concept.adwin.changes"] == 1
    assert [r.detector for r in concept_drift(losses).results] == ["adwin", "page_hinkley"]


def test_stationary_and_empty_streams_report_no_change():
    stream = (np.random.default_rng(2).random(100_000) < 0.2).astype(float)
    report = concept_drift(stream, detectors=["adwin", "ddm", "page_hinkley"])
    assert not report.drifted and report.first_change() is None
    empty = concept_drift([])
    assert empty.n_values == 0 and not empty.drifted


def test_params_and_the_river_backend():
    stream = np.r_[np.zeros(3_000), np.ones(300)]
    report = concept_drift(stream, detectors=["adwin"], params={"adwin": {"delta": 0.01}})
    assert report.results[0].params["delta"] == 0.01
    river = concept_drift(stream, detectors=["adwin"], backend="river")
    assert river.results[0].changes[0].index >= 3_000
    with pytest.raises(ConfigError, match="unknown detectors"):
        concept_drift(stream, params={"kswin": {}})


def test_bad_streams_are_refused_clearly():
    with pytest.raises(DataError, match="1 missing or infinite values"):
        concept_drift([0.0, float("nan"), 1.0])
    with pytest.raises(DataError, match="must hold numbers"):
        concept_drift(["a", "b"])
    with pytest.raises(DataError, match="one length"):
        error_stream([1, 0], [1], task="classification")
    with pytest.raises(ConfigError, match=r"'task' setting of monitor\.concept"):
        error_stream([1], [1], task="ranking")
    assert error_stream([1.0, 3.0], [2.0, 1.0], task="regression").tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "module",
    ["_concept", "_concept_adwin", "_concept_ddm", "_concept_ph", "_concept_report"],
)
def test_docstring_examples_run(module):
    found = importlib.import_module(f"keel.monitoring.{module}")
    result = doctest.testmod(found, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
