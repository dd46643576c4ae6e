"""Metrics: every value equals scikit-learn's, on all rows and on count-weighted rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import label_binarize

from keel.errors import EvaluationError
from keel.evaluate._metrics import compute_metrics, metric_names, metrics_with_intervals
from keel.evaluate._metrics_weighted import scorer
from keel.evaluate._outcomes import Outcomes, outcomes

TOLERANCE = 1e-9


def _proba_pool(rng: np.random.Generator, k: int, size: int) -> np.ndarray:
    """A few distinct probability rows, rounded, so scores tie often and hit 0 and 1."""
    pool = np.round(rng.dirichlet(np.full(k, 0.7), size=size), 1)
    pool[:, -1] = 1.0 - pool[:, :-1].sum(axis=1)
    pool = pool[(pool >= 0).all(axis=1)]
    return np.vstack([pool, np.eye(k)[:1]])


def _classification(k: int, n: int = 300, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    pool = _proba_pool(rng, k, 12)
    proba = pool[rng.integers(0, len(pool), n)]
    # Labels agree with the argmax often enough for the metrics to be interesting.
    noisy = rng.random(n) < 0.4
    y = np.where(noisy, rng.integers(0, k, n), proba.argmax(axis=1))
    y[:k] = np.arange(k)
    return outcomes(y, proba, task="binary" if k == 2 else "multiclass", classes=list(range(k)))


def _regression(n: int = 300, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    y = rng.normal(50, 10, n).round(0)
    y[:3] = 0.0  # MAPE divides by max(|y|, eps)
    return outcomes(y, y + rng.normal(0, 4, n).round(1), task="regression")


def _sklearn(name: str, y: np.ndarray, proba: np.ndarray, task: str) -> float:
    """Each metric computed by scikit-learn, the reference implementation."""
    if task == "regression":
        return _sklearn_regression(name, y, proba)
    k = proba.shape[1]
    labels = list(range(k))
    pred = proba.argmax(axis=1)
    score = proba[:, 1] if task == "binary" else proba
    if name in ("precision", "recall", "f1") or "_m" in name:
        base, _, average = name.partition("_")
        function = {"precision": skm.precision_score, "recall": skm.recall_score}
        return function.get(base, skm.f1_score)(y, pred, average=average or "binary")
    return {
        "accuracy": lambda: skm.accuracy_score(y, pred),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, pred),
        "roc_auc": lambda: skm.roc_auc_score(y, score, multi_class="ovr", labels=labels),
        "pr_auc": lambda: skm.average_precision_score(
            y if task == "binary" else label_binarize(y, classes=labels), score
        ),
        "log_loss": lambda: skm.log_loss(y, proba, labels=labels),
        "brier": lambda: skm.brier_score_loss(y, score, labels=labels),
        "mcc": lambda: skm.matthews_corrcoef(y, pred),
    }[name]()


def _sklearn_regression(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    if name.startswith("pinball"):
        return skm.mean_pinball_loss(y, pred, alpha=int(name[-2:]) / 100)
    function = {
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
        "mape": skm.mean_absolute_percentage_error,
        "r2": skm.r2_score,
    }[name]
    return function(y, pred)


CASES = {
    "binary": lambda s: _classification(2, seed=s),
    "multiclass": lambda s: _classification(4, seed=s),
}
CASES["regression"] = lambda s: _regression(seed=s)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_metric_equals_sklearn(task: str, seed: int) -> None:
    o = CASES[task](seed)
    ours = compute_metrics(o)
    assert list(ours) == metric_names(task)
    for name, value in ours.items():
        assert value == pytest.approx(
            _sklearn(name, o.y, o.output, task), rel=TOLERANCE, abs=TOLERANCE
        ), name


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_counts_weight_rows_like_repeating_them(task: str) -> None:
    o = CASES[task](3)
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 4, size=(3, o.n)).astype(np.float64)
    resampled = scorer(o, metric_names(task))(counts)
    for i, row_counts in enumerate(counts.astype(int)):
        y, output = np.repeat(o.y, row_counts), np.repeat(o.output, row_counts, axis=0)
        for name, values in resampled.items():
            expected = _sklearn(name, y, output, task)
            assert values[i] == pytest.approx(expected, rel=TOLERANCE, abs=TOLERANCE), (name, i)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_macro_averages_cover_only_labels_seen_like_sklearn() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1]])
    o = outcomes([0, 1, 1, 0], proba, classes=[0, 1, 2])  # class 2: never true nor predicted
    for name in ("precision_macro", "recall_macro", "f1_macro", "balanced_accuracy", "mcc"):
        assert compute_metrics(o, [name])[name] == pytest.approx(
            _sklearn(name, o.y, proba, "multiclass"), abs=TOLERANCE
        )


def test_undefined_metrics_are_nan_and_counted_per_resample() -> None:
    o = outcomes([0, 0, 0, 1, 0, 0], np.array([0.1, 0.3, 0.2, 0.8, 0.4, 0.1]), task="binary")
    table = metrics_with_intervals(o, ["roc_auc", "accuracy"], n_resamples=300, seed=0)
    assert table["roc_auc"].value == 1.0
    # P(the one positive row is not drawn) = (5/6)**6, about a third of resamples.
    assert 60 < table["roc_auc"].undefined_resamples < 140
    assert table["accuracy"].undefined_resamples == 0
    only_one_class = outcomes([0, 0], np.array([0.1, 0.3]), classes=[0, 1])
    assert np.isnan(compute_metrics(only_one_class, ["roc_auc"])["roc_auc"])


def test_intervals_are_seeded_and_cover_the_sampling_error() -> None:
    o = _classification(2, n=2000, seed=4)
    first = metrics_with_intervals(o, n_resamples=400, seed=5)
    assert first == metrics_with_intervals(o, n_resamples=400, seed=5)
    assert first != metrics_with_intervals(o, n_resamples=400, seed=6)
    accuracy = first["accuracy"]
    # A 95% interval of a proportion spans about 2 * 1.96 standard errors.
    width = 2 * 1.96 * np.sqrt(accuracy.value * (1 - accuracy.value) / o.n)
    assert accuracy.high - accuracy.low == pytest.approx(width, rel=0.15)
    assert all(i.low <= i.value <= i.high for i in first.intervals)


def test_table_reads_as_text_and_as_json() -> None:
    o = _regression()
    table = metrics_with_intervals(o, ["rmse", "r2"], n_resamples=50)
    record = json.loads(json.dumps(table.to_dict()))
    assert record["metrics"]["rmse"]["greater_is_better"] is False
    assert record["n_resamples"] == 50 and table.names == ["rmse", "r2"]
    text = table.to_text()
    assert "rmse" in text and "lower is better" in text and "95%" in text
    with pytest.raises(KeyError, match="rmse, r2"):
        table["mae"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda o: compute_metrics(o, ["acuracy"]), "'acuracy' is not a metric"),
        (lambda o: compute_metrics(o, ["rmse"]), "'rmse' is defined for regression"),
        (lambda o: compute_metrics(o, ["f1"]), "binary tasks, not multiclass"),
        (lambda o: metrics_with_intervals(o, n_resamples=0), "n_resamples must be"),
        (lambda o: metrics_with_intervals(o, confidence=95), "confidence must lie"),
        (lambda o: metric_names("ranking"), "task must be one of"),
    ],
)
def test_bad_requests_name_the_problem(call, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        call(_classification(3, n=30))
