"""keel.train._catalog and ._spaces: every family builds, fits, predicts, reports and prunes
alike; keel.yaml's search-space overrides are parsed strictly."""

from __future__ import annotations

import doctest
import importlib
import pickle
import sys
from typing import Any

import numpy as np
import optuna
import pytest

from keel.errors import TrainError
from keel.train._catalog import (
    ALGORITHMS,
    Algorithm,
    algorithms_for,
    get_algorithm,
    sample_weight,
)
from keel.train._spaces import Choice, Fixed, Range, SpaceOverride, parse_space

optuna.logging.set_verbosity(optuna.logging.WARNING)

INSTALLED = [a for a in ALGORITHMS.values() if a.available]
CLASSIFIERS = [a for a in INSTALLED if "multiclass" in a.tasks]
BOOSTERS = ["lightgbm", "xgboost"] + (["catboost"] if ALGORITHMS["catboost"].available else [])
N_CLASSES = {"binary": 2, "multiclass": 3, "regression": 1}
ROUNDS = 20  # keeps boosting fits of the tests short


def _data(task: str, n: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    signal = X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=n)
    if task == "binary":
        return X, (signal > 0).astype(np.int64)
    if task == "multiclass":
        return X, np.digitize(signal, [-0.5, 0.5]).astype(np.int64)
    return X, signal


def _fit_predict(
    algorithm: Algorithm, params: dict[str, Any], task: str, seed: int = 0, **fit: Any
) -> np.ndarray:
    X, y = _data(task)
    model = algorithm.build(params, task, N_CLASSES[task], seed, 1, None)
    algorithm.fit(model, X[:60], y[:60], X_valid=X[60:], y_valid=y[60:], max_rounds=ROUNDS, **fit)
    return algorithm.predict(model, X[60:], task)


def _small(algorithm: Algorithm) -> SpaceOverride | None:
    # Forests search 16..512 trees; a few are enough to test them.
    if algorithm.name in ("random_forest", "extra_trees"):
        return SpaceOverride(algorithm.name, {"n_estimators": Range(4, 8, integer=True)})
    return None


def _sampled(algorithm: Algorithm, task: str, seed: int = 0) -> list[dict[str, Any]]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    configs = []
    for _ in range(2):
        trial = study.ask()
        configs.append(algorithm.sample(trial, 60, task, _small(algorithm)))
        study.tell(trial, 0.0)
    return configs


CASES = [(a, task) for a in INSTALLED for task in sorted(a.tasks)]
IDS = [f"{a.name}-{task}" for a, task in CASES]


def _check(prediction: np.ndarray, task: str) -> None:
    if task == "regression":
        assert prediction.shape == (30,) and np.isfinite(prediction).all()
    else:
        assert prediction.shape == (30, N_CLASSES[task])
        np.testing.assert_allclose(prediction.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(("algorithm", "task"), CASES, ids=IDS)
def test_defaults_build_fit_predict(algorithm: Algorithm, task: str) -> None:
    params = algorithm.defaults(60, task, _small(algorithm))
    _check(_fit_predict(algorithm, params, task), task)


@pytest.mark.parametrize(("algorithm", "task"), CASES, ids=IDS)
def test_sampled_configs_build_fit_predict(algorithm: Algorithm, task: str) -> None:
    for params in _sampled(algorithm, task):
        _check(_fit_predict(algorithm, params, task), task)


@pytest.mark.parametrize(("algorithm", "task"), CASES, ids=IDS)
def test_same_seed_same_predictions(algorithm: Algorithm, task: str) -> None:
    params = _sampled(algorithm, task, seed=3)[1]
    first = _fit_predict(algorithm, params, task, seed=7)
    np.testing.assert_array_equal(first, _fit_predict(algorithm, params, task, seed=7))


@pytest.mark.parametrize("algorithm", CLASSIFIERS, ids=lambda a: a.name)
def test_proba_has_a_column_for_a_class_the_fold_lacks(algorithm: Algorithm) -> None:
    X, y = _data("binary")
    y = np.where(y == 1, 3, 0)  # classes 0 and 3 of 0..3: a gap XGBoost cannot take as is
    model = algorithm.build(
        algorithm.defaults(60, "multiclass", _small(algorithm)), "multiclass", 4, 0, 1, None
    )
    y_valid = y[60:].copy()
    y_valid[0] = 2  # a class the fit never saw
    algorithm.fit(model, X[:60], y[:60], X_valid=X[60:], y_valid=y_valid, max_rounds=ROUNDS)
    proba = algorithm.predict(model, X[60:], "multiclass")
    assert proba.shape == (30, 4)
    assert (proba[:, [1, 2]] == 0).all()
    np.testing.assert_allclose(proba[:, [0, 3]].sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("name", BOOSTERS)
def test_on_round_reports_the_validation_loss(name: str) -> None:
    algorithm = get_algorithm(name)
    calls: list[tuple[int, float]] = []
    _fit_predict(
        algorithm,
        algorithm.defaults(60, "binary"),
        "binary",
        on_round=lambda *c: calls.append(c),
        early_stopping_rounds=None,
    )
    assert [rounds for rounds, _ in calls] == [10, 20]
    assert all(isinstance(loss, float) and loss > 0 for _, loss in calls)


@pytest.mark.parametrize("name", BOOSTERS)
def test_pruning_from_on_round_propagates(name: str) -> None:
    algorithm = get_algorithm(name)

    def prune(rounds: int, loss: float) -> None:
        raise optuna.TrialPruned(f"pruned at {rounds}")

    with pytest.raises(optuna.TrialPruned, match="pruned at 10"):
        _fit_predict(algorithm, algorithm.defaults(60, "multiclass"), "multiclass", on_round=prune)


@pytest.mark.parametrize("name", [n for n, a in ALGORITHMS.items() if a.iterative and a.available])
def test_max_rounds_caps_and_early_stopping_cuts(name: str) -> None:
    algorithm = get_algorithm(name)
    X, y = _data("regression")
    model = algorithm.build({"learning_rate": 0.5}, "regression", 1, 0, 1, None)
    algorithm.fit(model, X[:60], y[:60], max_rounds=7)
    assert algorithm.best_rounds(model) == 7
    # Noise-fitting at a high learning rate: the validation loss soon stops improving.
    model = algorithm.build({"learning_rate": 0.5}, "regression", 1, 0, 1, None)
    algorithm.fit(model, X[:60], y[:60], X_valid=X[60:], y_valid=y[60:], early_stopping_rounds=5)
    best = algorithm.best_rounds(model)
    assert best is not None and best < 100


def test_non_iterative_families_have_no_rounds() -> None:
    algorithm = get_algorithm("random_forest")
    X, y = _data("binary")
    model = algorithm.fit(algorithm.build({"n_estimators": 4}, "binary", 2, 0, 1, None), X, y)
    assert algorithm.best_rounds(model) is None


def test_xgboost_balances_classes_through_sample_weights() -> None:
    algorithm = get_algorithm("xgboost")
    X, y = _data("binary")
    y = (X[:, 0] > 1.0).astype(np.int64)  # about 1 in 6 positive
    predictions = []
    for class_weight, weights in [
        (None, None),
        ("balanced", None),
        (None, sample_weight(y, "balanced")),
    ]:
        model = algorithm.build({}, "binary", 2, 0, 1, class_weight)
        algorithm.fit(model, X, y, max_rounds=ROUNDS, sample_weight=weights)
        predictions.append(algorithm.predict(model, X, "binary"))
    assert not np.array_equal(predictions[0], predictions[1])
    np.testing.assert_array_equal(predictions[1], predictions[2])


def test_fitted_model_pickles_without_its_callbacks() -> None:
    algorithm = get_algorithm("xgboost")
    X, y = _data("binary")
    model = algorithm.build({}, "binary", 2, 0, 1, None)
    algorithm.fit(
        model,
        X[:60],
        y[:60],
        X_valid=X[60:],
        y_valid=y[60:],
        max_rounds=ROUNDS,
        on_round=lambda *_: None,
    )
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        algorithm.predict(restored, X, "binary"), algorithm.predict(model, X, "binary")
    )
    algorithm.fit(model, X, y, max_rounds=5)  # no validation set: early stopping is not kept


def test_knn_neighbours_are_capped_by_the_rows() -> None:
    knn = get_algorithm("knn")
    X, y = _data("regression")
    model = knn.fit(knn.build({"n_neighbors": 50}, "regression", 1, 0, 1, None), X[:10], y[:10])
    assert model.n_neighbors == 10


def test_fit_on_one_class_is_a_train_error() -> None:
    algorithm = get_algorithm("lightgbm")
    X, _ = _data("binary")
    model = algorithm.build({}, "binary", 2, 0, 1, None)
    with pytest.raises(TrainError, match=r"one class only \(\[1\]\)"):
        algorithm.fit(model, X, np.ones(len(X), dtype=np.int64))


def test_build_refuses_unknown_params_tasks_and_weights() -> None:
    with pytest.raises(TrainError, match="'num_trees'"):
        get_algorithm("lightgbm").build({"num_trees": 3}, "binary", 2, 0, 1, None)
    with pytest.raises(TrainError, match="does not support regression"):
        get_algorithm("logistic").build({}, "regression", 1, 0, 1, None)
    with pytest.raises(TrainError, match="Got 'auto'") as caught:
        get_algorithm("logistic").build({}, "binary", 2, 0, 1, "auto")
    assert caught.value.field == "train.class_weight"


def test_thread_count_is_passed_explicitly() -> None:
    assert get_algorithm("lightgbm").build({}, "binary", 2, 0, 3, None).n_jobs == 3
    assert get_algorithm("xgboost").build({}, "binary", 2, 0, 3, None).n_jobs == 3
    assert get_algorithm("random_forest").build({}, "binary", 2, 0, 3, None).n_jobs == 3
    assert get_algorithm("hist_gradient_boosting").limit_threads


def test_defaults_sit_inside_the_space_and_match_the_library() -> None:
    lightgbm = get_algorithm("lightgbm")
    assert lightgbm.defaults(10_000, "binary") == {
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_child_samples": 20,
        "colsample_bytree": 1.0,
        "subsample": 1.0,
        "reg_alpha": 1e-10,  # 0 moved into the log range
        "reg_lambda": 1e-10,
    }
    assert lightgbm.defaults(10, "binary")["num_leaves"] == 10  # no more leaves than rows
    assert get_algorithm("knn").defaults(6, "binary")["n_neighbors"] == 2


def test_defaults_can_be_enqueued_as_the_first_trial() -> None:
    algorithm = get_algorithm("xgboost")
    study = optuna.create_study()
    study.enqueue_trial(algorithm.defaults(500, "binary"))
    trial = study.ask()
    assert algorithm.sample(trial, 500, "binary") == algorithm.defaults(500, "binary")


# -- the registry ----------------------------------------------------------------------


def test_algorithms_for_a_task_are_installed_supported_and_cheapest_first() -> None:
    names = [a.name for a in algorithms_for("regression")]
    assert names[:3] == ["linear", "knn", "lightgbm"]
    assert "logistic" not in names
    costs = [a.cost for a in algorithms_for("binary")]
    assert costs == sorted(costs)
    assert [a.name for a in algorithms_for("binary", ["xgboost", "logistic"])] == [
        "logistic",
        "xgboost",
    ]


def test_a_named_algorithm_must_support_the_task() -> None:
    with pytest.raises(TrainError, match=r"'logistic' .* does not support regression") as caught:
        algorithms_for("regression", ["lightgbm", "logistic"])
    assert caught.value.field == "train.algorithms"
    assert "linear" in str(caught.value)


def test_unknown_algorithm_lists_the_known_ones() -> None:
    with pytest.raises(TrainError, match="Got 'lgbm' instead") as caught:
        get_algorithm("lgbm")
    assert "lightgbm, " in str(caught.value) and caught.value.field == "train.algorithms"


def test_missing_catboost_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "catboost", None)  # makes `import catboost` fail
    with pytest.raises(TrainError, match="pip install catboost"):
        get_algorithm("catboost")
    assert "catboost" not in [a.name for a in algorithms_for("binary")]


# -- search-space overrides ---------------------------------------------------------------


def test_parse_space_reads_ranges_choices_and_values() -> None:
    override = parse_space(
        "lightgbm",
        {
            "num_leaves": [8, 256],
            "learning_rate": [0.01, 0.3, "log"],
            "boosting_type": ["gbdt", "dart"],
            "max_depth": 6,
            "min_child_samples": [5, 10, 20],
        },
    )
    assert override.entries == {
        "num_leaves": Range(8, 256, log=False, integer=True),
        "learning_rate": Range(0.01, 0.3, log=True, integer=False),
        "boosting_type": Choice(("gbdt", "dart")),
        "max_depth": Fixed(6),
        "min_child_samples": Choice((5, 10, 20)),
    }


def test_sample_and_defaults_follow_the_override() -> None:
    lightgbm = get_algorithm("lightgbm")
    override = parse_space(
        "lightgbm",
        {
            "num_leaves": [8, 16],
            "max_depth": 6,
            "boosting_type": ["dart", "gbdt"],
            "learning_rate": [0, 1],
        },
    )
    defaults = lightgbm.defaults(1000, "binary", override)
    assert defaults["num_leaves"] == 16 and defaults["max_depth"] == 6
    assert defaults["boosting_type"] == "gbdt"
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        params = lightgbm.sample(study.ask(), 1000, "binary", override)
        assert 8 <= params["num_leaves"] <= 16 and params["max_depth"] == 6
        assert isinstance(params["learning_rate"], float)  # [0, 1] of a float param
    _check(_fit_predict(lightgbm, params, "binary"), "binary")  # dart: no early stopping


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"num_leaves": [256, 8]}, "num_leaves", "low end is below its high end"),
        ({"num_leaves": [8, 8]}, "num_leaves", "low end is below its high end"),
        ({"learning_rate": [0, 0.3, "log"]}, "learning_rate", "log range with a low end > 0"),
        ({"learning_rate": [0.01, 0.3, "logarithmic"]}, "learning_rate", "third item 'log'"),
        ({"num_leaves": []}, "num_leaves", "Got \\[\\] instead"),
        ({"num_leaves": {"low": 8}}, "num_leaves", "Got \\{'low': 8\\}"),
        ({"boosting_type": [["gbdt"]]}, "boosting_type", "a list of strings, numbers"),
    ],
)
def test_malformed_override_names_the_setting(
    raw: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(TrainError, match=message) as caught:
        parse_space("lightgbm", raw)
    assert caught.value.field == f"train.spaces.lightgbm.{field}"
    assert f"'{field}' setting of train.spaces.lightgbm" in str(caught.value)


def test_override_of_an_unknown_param_lists_the_known_ones() -> None:
    with pytest.raises(TrainError, match="'leaves', which is not a param of lightgbm") as caught:
        parse_space("lightgbm", {"leaves": [8, 16]})
    assert caught.value.field == "train.spaces.lightgbm.leaves"
    assert "num_leaves" in str(caught.value)


def test_override_of_an_unknown_family_or_not_a_mapping() -> None:
    with pytest.raises(TrainError, match="unknown algorithm 'lgbm'") as caught:
        parse_space("lgbm", {})
    assert caught.value.field == "train.spaces.lgbm"
    with pytest.raises(TrainError, match="must be a mapping"):
        parse_space("lightgbm", [8, 16])


def test_override_that_leaves_nothing_to_search_is_refused() -> None:
    with pytest.raises(TrainError, match="leaves nothing to search") as caught:
        parse_space("knn", {"n_neighbors": 5, "weights": ["distance"]})
    assert caught.value.field == "train.spaces.knn"
    parse_space("knn", {"n_neighbors": 5})  # weights is still searched


def test_booleans_are_choices_not_ranges() -> None:
    override = parse_space("random_forest", {"bootstrap": [True, False]})
    assert override.entries["bootstrap"] == Choice((True, False))


@pytest.mark.parametrize(
    "module",
    [
        "_catalog",
        "_catalog_base",
        "_catalog_common",
        "_catalog_linear",
        "_catalog_trees",
        "_catalog_boosting",
        "_catalog_catboost",
        "_spaces",
    ],
)
def test_docstring_examples(module: str) -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(importlib.import_module(f"keel.train.{module}"), optionflags=flags)
    assert result.failed == 0
