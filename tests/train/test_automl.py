"""AutoML end to end on small data: budgets, reproducibility, pruning, resume, samplers,
ensembles, multi-objective search and bad settings."""

from __future__ import annotations

import time
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.metrics import roc_auc_score

from keel.errors import TrainError
from keel.train import AutoML
from keel.train._search import TrialRecord


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series]:
    frame = load_breast_cancer(as_frame=True).frame
    return frame.drop(columns="target"), frame["target"]


def _fit(X: pd.DataFrame, y: pd.Series, **kwargs) -> AutoML:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoML(**kwargs).fit(X, y)


def test_binary_within_budget_and_better_than_chance(cancer) -> None:
    X, y = cancer
    started = time.perf_counter()
    model = _fit(X.iloc[:450], y.iloc[:450], budget_s=6, seed=0)
    assert time.perf_counter() - started < 6 * 1.5
    assert model.task_ == "binary" and model.metric_.name == "roc_auc"
    assert model.first_model_s_ is not None and model.first_model_s_ < 2
    auc = roc_auc_score(y.iloc[450:], model.predict_proba(X.iloc[450:])[:, 1])
    assert auc > 0.95
    assert set(model.predict(X.iloc[450:])) <= {0, 1}
    families = {t.family for t in model.leaderboard_}
    assert {"logistic", "lightgbm"} <= families  # every family gets its default first


def test_multiclass_keeps_original_labels_and_regression_works() -> None:
    iris = load_iris(as_frame=True).frame
    labels = iris["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    model = _fit(iris.drop(columns="target"), labels, trials=8, budget_s=30, seed=0)
    assert model.task_ == "multiclass" and list(model.classes_) == [
        "setosa",
        "versicolor",
        "virginica",
    ]
    assert (model.predict(iris.drop(columns="target")) == labels).mean() > 0.9
    diabetes = load_diabetes(as_frame=True).frame
    reg = _fit(
        diabetes.drop(columns="target"),
        diabetes["target"],
        trials=6,
        budget_s=30,
        seed=0,
        algorithms=["linear", "lightgbm"],
    )
    assert reg.task_ == "regression" and reg.metric_.name == "r2"
    assert reg.predict(diabetes.drop(columns="target")).shape == (len(diabetes),)


def test_same_seed_one_job_gives_the_same_model(cancer) -> None:
    X, y = cancer
    runs = [
        _fit(X, y, trials=10, budget_s=60, seed=3, algorithms=["logistic", "lightgbm"])
        for _ in range(2)
    ]
    first, second = ([(t.family, t.params, t.loss) for t in m.leaderboard_] for m in runs)
    assert first == second
    np.testing.assert_array_equal(runs[0].predict_proba(X), runs[1].predict_proba(X))


def test_pruning_stops_bad_boosting_trials_early(cancer) -> None:
    X, y = cancer
    spec = {"search": {"pruner": "successive_halving", "sampler": "random"}}
    model = _fit(X, y, spec=spec, trials=25, budget_s=120, seed=1, algorithms=["lightgbm"])
    pruned = [t for t in model.leaderboard_ if t.state == "pruned"]
    assert pruned, "no trial was pruned"
    assert all("pruned at round" in t.message for t in pruned)
    assert all(int(t.message.split()[-1]) < 1000 for t in pruned)


def test_resume_continues_the_same_studies_without_redoing_trials(cancer, tmp_path) -> None:
    X, y = cancer
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    options = {
        "budget_s": 120,
        "seed": 0,
        "algorithms": ["logistic", "lightgbm"],
        "storage": storage,
        "study_name": "s",
    }
    _fit(X, y, trials=5, **options)
    resumed = _fit(X, y, trials=9, **options)
    assert len(resumed.leaderboard_) == 4  # 5 were done; 9 in all
    studies = [
        optuna.load_study(study_name=f"s/{f}", storage=storage) for f in ("logistic", "lightgbm")
    ]
    assert sum(len(s.trials) for s in studies) == 9


@pytest.mark.parametrize("sampler", ["random", "grid", "cmaes"])
def test_every_sampler_runs(cancer, sampler: str) -> None:
    X, y = cancer
    spec = {"search": {"sampler": sampler}}
    model = _fit(X, y, spec=spec, trials=6, budget_s=60, seed=0, algorithms=["logistic", "knn"])
    assert len(model.leaderboard_) == 6 and all(t.state == "complete" for t in model.leaderboard_)


def test_multi_objective_returns_a_pareto_front(cancer) -> None:
    X, y = cancer
    spec = {"search": {"secondary": "size"}}
    model = _fit(
        X, y, spec=spec, trials=8, budget_s=60, seed=0, algorithms=["logistic", "random_forest"]
    )
    front = model.pareto_
    assert front and all(e.secondary > 0 for e in front)
    losses = [e.loss for e in front]
    sizes = [e.secondary for e in front]
    assert losses == sorted(losses) and sizes == sorted(sizes, reverse=True)


def test_trial_callback_sees_every_trial(cancer) -> None:
    X, y = cancer
    seen: list[TrialRecord] = []
    model = _fit(X, y, trials=4, budget_s=60, seed=0, algorithms=["logistic"], on_trial=seen.append)
    assert seen == model.leaderboard_ and [t.number for t in seen] == [0, 1, 2, 3]


def test_bad_settings_get_clear_errors(cancer) -> None:
    X, y = cancer
    with pytest.raises(TrainError, match="xgboosted"):
        _fit(X, y, trials=2, algorithms=["xgboosted"])
    with pytest.raises(TrainError, match="single class"):
        _fit(X, y * 0, trials=2)
    with pytest.raises(TrainError, match=r"train\.spaces\.lightgbm"):
        _fit(X, y, trials=2, spec={"spaces": {"lightgbm": {"num_leaves": [64, 8]}}})
    with pytest.raises(TrainError, match="no values"):
        _fit(X, pd.Series([None] * len(X)), trials=2)
    with pytest.raises(TrainError, match="metric"):
        _fit(X, y, trials=2, metric="rmse")
