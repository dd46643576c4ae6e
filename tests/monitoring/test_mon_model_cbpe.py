"""CBPE: expected metrics of calibrated probabilities, checked against realised ones."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from keel.errors import MonitoringError
from keel.monitoring import CBPE, estimate_performance


def _logistic(n: int, seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose labels follow a logistic model exactly, so a fitted logistic regression
    is calibrated; ``scale`` spreads the features (and so the scores) out or in."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * scale
    p = 1 / (1 + np.exp(-(X @ np.array([1.5, -1.0, 0.5]))))
    return X, (rng.uniform(size=n) < p).astype(int)


@pytest.fixture(scope="module")
def model() -> LogisticRegression:
    X, y = _logistic(20_000, seed=0)
    return LogisticRegression().fit(X, y)


def test_estimated_auc_is_within_its_interval_of_the_realised_auc(model) -> None:
    X, y = _logistic(5_000, seed=1)
    proba = model.predict_proba(X)
    estimate = estimate_performance(proba, seed=0)
    realised = roc_auc_score(y, proba[:, 1])
    auc = estimate["roc_auc"]
    assert auc.low <= realised <= auc.high
    assert abs(auc.value - realised) < 0.02
    checked = estimate.check(y)
    assert all(entry["within"] for entry in checked.values())
    assert checked["accuracy"]["realized"] == pytest.approx(accuracy_score(y, proba.argmax(1)))
    assert checked["f1"]["realized"] == pytest.approx(f1_score(y, proba.argmax(1)))


def test_the_estimate_moves_when_the_score_distribution_shifts(model) -> None:
    X, _ = _logistic(5_000, seed=2)
    X_narrow, y_narrow = _logistic(5_000, seed=3, scale=0.3)
    before = estimate_performance(model.predict_proba(X), seed=0)["roc_auc"]
    after = estimate_performance(model.predict_proba(X_narrow), seed=0)["roc_auc"]
    assert after.high < before.low  # scores bunched near 0.5: the model separates less
    realised = roc_auc_score(y_narrow, model.predict_proba(X_narrow)[:, 1])
    assert after.low <= realised <= after.high


def test_intervals_cover_the_realised_metric_at_about_their_level() -> None:
    rng = np.random.default_rng(4)
    p = rng.beta(2, 3, size=1_000)
    covered = 0
    for seed in range(100):
        y = (rng.uniform(size=p.size) < p).astype(int)
        covered += estimate_performance(p, n_draws=200, seed=seed).check(y)["roc_auc"]["within"]
    assert 88 <= covered <= 100


def test_expected_auc_matches_the_mean_realised_auc_over_label_draws() -> None:
    rng = np.random.default_rng(5)
    p = rng.beta(1, 4, size=3_000)
    estimate = estimate_performance(p, metrics=["roc_auc", "precision", "recall"], seed=0)
    draws = rng.uniform(size=(200, p.size)) < p
    mean_auc = np.mean([roc_auc_score(d, p) for d in draws])
    assert estimate["roc_auc"].value == pytest.approx(mean_auc, abs=3e-3)
    assert [m.name for m in estimate.metrics] == ["roc_auc", "precision", "recall"]


def test_multiclass_accuracy_and_macro_auc() -> None:
    rng = np.random.default_rng(6)
    proba = rng.dirichlet([0.7, 0.7, 0.7], size=4_000)
    y = (rng.uniform(size=4_000)[:, None] > np.cumsum(proba, axis=1)[:, :-1]).sum(axis=1)
    estimate = estimate_performance(proba, seed=0)
    assert estimate.task == "multiclass"
    checked = estimate.check(y)
    assert checked["roc_auc"]["realized"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    assert checked["roc_auc"]["within"] and checked["accuracy"]["within"]


def test_fit_calibrates_miscalibrated_scores_first() -> None:
    rng = np.random.default_rng(7)
    p = rng.uniform(size=6_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    cbpe = CBPE(seed=0).fit(p[:3_000] ** 3, y[:3_000])
    assert cbpe.calibration_.chosen != "none"
    calibrated = cbpe.estimate(p[3_000:] ** 3)
    raw = estimate_performance(p[3_000:] ** 3, seed=0)
    realised = accuracy_score(y[3_000:], (p[3_000:] ** 3 > 0.5).astype(int))
    assert calibrated.calibrated and not raw.calibrated
    # Uncalibrated cubed scores claim ~0.8 accuracy they do not have; calibrated, the
    # estimate is near the accuracy of the recalibrated decisions (~0.75).
    assert raw["accuracy"].value - realised > 0.03
    assert abs(calibrated["accuracy"].value - 0.75) < 0.02
    assert calibrated.to_dict()["calibrated"] is True


def test_empty_window_bad_probabilities_and_unknown_metrics_are_clear() -> None:
    with pytest.raises(MonitoringError, match="no predictions"):
        estimate_performance(np.empty((0, 2)))
    with pytest.raises(MonitoringError, match=r"in \[0, 1\]"):
        estimate_performance(np.array([0.2, 1.7]))
    with pytest.raises(MonitoringError, match="f1"):
        estimate_performance(np.full((3, 3), 1 / 3), metrics=["f1"])
    with pytest.raises(MonitoringError, match="class codes"):
        estimate_performance(np.array([0.2, 0.7])).check(np.array([0, 2]))
    with pytest.raises(MonitoringError, match="fit"):
        CBPE().estimate(np.array([0.2, 0.7]))


def test_to_dict_is_plain_json() -> None:
    import json

    found = estimate_performance(np.array([0.1, 0.9, 0.8, 0.3]), n_draws=50, seed=1)
    out = json.loads(json.dumps(found.to_dict()))
    assert set(out) == {"task", "n", "confidence", "n_draws", "seed", "calibrated", "metrics"}
    assert set(out["metrics"]["roc_auc"]) == {"name", "value", "low", "high"}
