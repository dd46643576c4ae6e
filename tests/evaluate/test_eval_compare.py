"""Paired model comparison, each test checked against an independent implementation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

from keel.errors import EvaluationError
from keel.evaluate._compare import compare
from keel.evaluate._delong import delong, delong_covariance
from keel.evaluate._outcomes import Outcomes, outcomes
from keel.evaluate._paired import mcnemar, newcombe_interval, paired_bootstrap
from keel.evaluate._paired_cv import _folds, five_by_two_cv, five_by_two_t
from keel.evaluate._paired_result import holm


def _pair(both: int, only_a: int, only_b: int, neither: int) -> tuple[Outcomes, Outcomes]:
    """Two binary models right on exactly the given numbers of rows."""
    right_a = np.repeat([True, True, False, False], [both, only_a, only_b, neither])
    right_b = np.repeat([True, False, True, False], [both, only_a, only_b, neither])
    y = np.arange(right_a.size) % 2
    return tuple(  # type: ignore[return-value]
        outcomes(y, np.where(right == (y == 1), 0.8, 0.3), task="binary")
        for right in (right_a, right_b)
    )


def _scored(seed: int, n: int, signal: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, 1 / (1 + np.exp(-(signal * (2 * y - 1) + rng.normal(size=n))))


# McNemar -------------------------------------------------------------------------------


@pytest.mark.parametrize(("only_a", "only_b"), [(3, 9), (0, 5), (7, 7), (12, 12), (30, 52)])
def test_mcnemar_equals_statsmodels(only_a: int, only_b: int) -> None:
    a, b = _pair(60, only_a, only_b, 20)
    exact = only_a + only_b < 25
    expected = sm_mcnemar([[60, only_a], [only_b, 20]], exact=exact, correction=True)
    result = mcnemar(a, b)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.effect == pytest.approx((only_b - only_a) / a.n)
    assert ("exact" in result.note) == exact


def test_mcnemar_textbook_example() -> None:
    # Agresti (2007), presidential approval in two surveys of 1,600 people: 794 approve
    # twice, 150 then 86 change their minds, 570 disapprove twice.
    a, b = _pair(794, 150, 86, 570)
    result = mcnemar(a, b)
    assert result.statistic == pytest.approx(63**2 / 236)  # (|150 - 86| - 1)^2 / 236
    assert result.p_value == pytest.approx(4.1e-5, rel=0.05)
    assert result.effect == pytest.approx(-64 / 1600)
    assert result.ci_low < result.effect < result.ci_high < 0


def test_newcombe_interval_matches_the_published_answer() -> None:
    # Cavo et al. (2012) paired table; the answer is from the tests of R's contingencytables
    # package (Fagerland, Lydersen and Laake, "Statistical Analysis of Contingency Tables", ch. 8).
    low, high = newcombe_interval(59, 6, 16, 80)
    assert (round(low, 4), round(high, 4)) == (-0.1186, -0.0046)
    a, b = _pair(59, 16, 6, 80)
    assert (mcnemar(a, b).ci_low, mcnemar(a, b).ci_high) == (low, high)


# DeLong --------------------------------------------------------------------------------


def _naive_delong(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong et al. (1988) from their definitions: psi over every (positive, negative)."""
    pos, neg = scores[:, positive], scores[:, ~positive]
    psi = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    v10, v01 = psi.mean(axis=2), psi.mean(axis=1)
    m, n = v10.shape[1], v01.shape[1]
    centred10 = v10 - v10.mean(axis=1, keepdims=True)
    centred01 = v01 - v01.mean(axis=1, keepdims=True)
    s10 = centred10 @ centred10.T / (m - 1)
    s01 = centred01 @ centred01.T / (n - 1)
    return psi.mean(axis=(1, 2)), s10 / m + s01 / n


@pytest.mark.parametrize("decimals", [1, 2, 8])  # 1 decimal: many ties
def test_delong_equals_the_definition_and_sklearn(decimals: int) -> None:
    y, score_a = _scored(0, 300, 0.5)
    _, score_b = _scored(1, 300, 0.8)
    scores = np.vstack([score_a, score_b]).round(decimals)
    aucs, covariance = delong_covariance(scores, y == 1)
    naive_aucs, naive_covariance = _naive_delong(scores, y == 1)
    assert aucs == pytest.approx(naive_aucs, abs=1e-12)
    assert aucs == pytest.approx([roc_auc_score(y, s) for s in scores], abs=1e-12)
    assert covariance == pytest.approx(naive_covariance, abs=1e-12)


def test_delong_standard_error_agrees_with_the_bootstrap() -> None:
    y, score_a = _scored(2, 3000, 0.6)
    score_b = np.clip(score_a + np.random.default_rng(3).normal(0, 0.15, y.size), 0, 1)
    result = delong(outcomes(y, score_a, task="binary"), outcomes(y, score_b, task="binary"))
    rng = np.random.default_rng(4)
    differences = []
    for _ in range(500):
        rows = rng.integers(0, y.size, y.size)
        differences.append(
            roc_auc_score(y[rows], score_b[rows]) - roc_auc_score(y[rows], score_a[rows])
        )
    bootstrap_se = np.std(differences, ddof=1)
    delong_se = (result.ci_high - result.ci_low) / (2 * stats.norm.ppf(0.975))
    assert delong_se == pytest.approx(bootstrap_se, rel=0.1)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(result.effect) / delong_se))


def test_delong_of_identical_models_finds_nothing() -> None:
    y, score = _scored(5, 200, 0.7)
    o = outcomes(y, score, task="binary")
    result = delong(o, o)
    assert (result.effect, result.statistic, result.p_value) == (0.0, 0.0, 1.0)


def test_delong_refuses_multiclass_and_single_rows() -> None:
    proba = np.random.default_rng(0).dirichlet(np.ones(3), 30)
    o = outcomes(np.arange(30) % 3, proba, task="multiclass", classes=[0, 1, 2])
    with pytest.raises(EvaluationError, match=r"binary ROC AUCs.*paired_bootstrap"):
        delong(o, o)
    lonely = outcomes([0, 0, 0, 1], np.array([0.1, 0.2, 0.3, 0.9]), task="binary")
    with pytest.raises(EvaluationError, match="two rows of each class; got 1 positive"):
        delong(lonely, lonely)


# Holm and 5x2cv ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_holm_equals_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.r_[rng.random(6) ** 3, [0.01, 0.01, 0.9]]
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist(), abs=1e-15)
    assert holm([]) == []
    with pytest.raises(EvaluationError, match="p-values must lie in"):
        holm([0.2, 1.2])


def test_five_by_two_t_by_hand() -> None:
    d = np.array([[0.02, 0.01], [0.03, 0.0], [0.01, 0.02], [0.02, 0.02], [0.0, 0.03]])
    # s_i^2: 5e-5, 4.5e-4, 5e-5, 0, 4.5e-4, mean 2e-4; t = 0.02 / sqrt(2e-4) = sqrt(2).
    t, p = five_by_two_t(d)
    assert t == pytest.approx(np.sqrt(2))
    assert p == pytest.approx(2 * stats.t.sf(np.sqrt(2), df=5))
    assert five_by_two_t(np.zeros((5, 2))) == (0.0, 1.0)
    with pytest.raises(EvaluationError, match=r"\(5, 2\) array"):
        five_by_two_t(np.zeros((5, 3)))


def test_five_by_two_cv_separates_a_real_model_from_a_guess() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    guess, model = DummyClassifier(), LogisticRegression()
    result = five_by_two_cv(guess, model, X, y, seed=1)
    assert result.effect > 0.2 and result.p_value < 0.01
    assert result == five_by_two_cv(guess, model, X, y, seed=1)
    same = five_by_two_cv(model, model, X, y)
    assert (same.effect, same.p_value) == (0.0, 1.0)
    # Each half keeps the class balance: stratified folds.
    for _, test in _folds(y, seed=0):
        assert abs(y[test].mean() - y.mean()) < 0.01


def test_five_by_two_cv_names_bad_input() -> None:
    X, y = np.zeros((20, 2)), np.arange(20) % 2
    with pytest.raises(EvaluationError, match="scoring must be a scikit-learn scoring name"):
        five_by_two_cv(DummyClassifier(), DummyClassifier(), X, y, scoring="acc")
    with pytest.raises(EvaluationError, match="X has 20 rows but y has 19"):
        five_by_two_cv(DummyClassifier(), DummyClassifier(), X, y[:19])
    with pytest.raises(EvaluationError, match="at least 2 rows of each class"):
        five_by_two_cv(DummyClassifier(), DummyClassifier(), X, np.r_[np.zeros(19), 1])


# Paired bootstrap and compare ----------------------------------------------------------


def test_paired_bootstrap_of_identical_models_finds_nothing() -> None:
    y, score = _scored(6, 300, 0.5)
    o = outcomes(y, score, task="binary")
    result = paired_bootstrap(o, o, "log_loss", n_resamples=200)
    assert (result.effect, result.ci_low, result.ci_high, result.p_value) == (0, 0, 0, 1)


def test_paired_bootstrap_finds_a_clearly_better_model() -> None:
    y, weak = _scored(7, 500, 0.2)
    _, strong = _scored(7, 500, 2.0)
    a, b = outcomes(y, weak, task="binary"), outcomes(y, strong, task="binary")
    result = paired_bootstrap(a, b, "log_loss", seed=3)
    assert result.estimate_b < result.estimate_a  # a loss: lower is better ...
    assert result.effect == pytest.approx(result.estimate_a - result.estimate_b)  # ... so A - B
    assert 0 < result.ci_low < result.effect < result.ci_high and result.p_value < 0.01
    assert result == paired_bootstrap(a, b, "log_loss", seed=3)
    assert paired_bootstrap(b, a, "log_loss", seed=3).effect == -result.effect


def test_compare_reaches_each_verdict() -> None:
    y, weak = _scored(8, 1000, 0.3)
    _, strong = _scored(8, 1000, 1.5)
    a, b = outcomes(y, weak, task="binary"), outcomes(y, strong, task="binary")
    better = compare(a, b, n_resamples=300)
    assert better.verdict == "B is better" and better.metrics == ["roc_auc", "accuracy", "log_loss"]
    assert [t.test for t in better.tests] == ["delong", "mcnemar", "paired_bootstrap"]
    assert better["roc_auc"].p_adjusted >= better["roc_auc"].p_value
    assert compare(b, a, n_resamples=300).verdict == "A is better"
    assert compare(a, a, n_resamples=100).verdict == "no significant difference"
    # Right as often as the strong model but certain even when wrong: better accuracy than
    # A, far worse log loss.
    reckless = outcomes(y, np.where(strong > 0.5, 1 - 1e-6, 1e-6), task="binary")
    mixed = compare(a, reckless, ["accuracy", "log_loss"], n_resamples=300)
    assert mixed["accuracy"].effect > 0 > mixed["log_loss"].effect
    assert mixed.verdict == "mixed"


def test_compare_reads_as_text_and_json() -> None:
    rng = np.random.default_rng(9)
    y = rng.normal(size=200)
    a = outcomes(y, y + rng.normal(size=200), task="regression")
    b = outcomes(y, y + 0.5 * rng.normal(size=200), task="regression")
    result = compare(a, b, n_resamples=100)
    assert result.metrics == ["rmse", "mae", "r2"]
    record = json.loads(json.dumps(result.to_dict()))
    assert record["tests"][0]["statistic"] is None and record["verdict"] == result.verdict
    text = result.to_text()
    assert "adjusted p" in text and "lower is better" in text and result.verdict in text


def test_compare_multiclass_tests_accuracy_with_mcnemar_and_the_rest_by_bootstrap() -> None:
    rng = np.random.default_rng(11)
    y = rng.integers(0, 3, 300)
    a = outcomes(y, rng.dirichlet(np.ones(3), 300), task="multiclass", classes=[0, 1, 2])
    b = outcomes(y, (np.eye(3)[y] + a.output) / 2, task="multiclass", classes=[0, 1, 2])
    result = compare(a, b, n_resamples=200)
    assert [t.test for t in result.tests] == ["mcnemar", "paired_bootstrap", "paired_bootstrap"]
    assert result.metrics == ["accuracy", "log_loss", "f1_macro"]
    assert result.verdict == "B is better"
    auc = paired_bootstrap(a, b, "roc_auc", n_resamples=200)
    assert auc.effect > 0 and auc.p_value < 0.01


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a, b, r: compare(a, b.subset(np.arange(10))), "on 40 rows but model B on 10"),
        (lambda a, b, r: compare(a, r), "binary but model B's are regression"),
        (
            lambda a, b, r: mcnemar(a, outcomes(1 - a.y, b.output, task="binary")),
            "labels differ at 40",
        ),
        (lambda a, b, r: compare(a, b, ["rmse"]), "'rmse' is defined for regression"),
        (lambda a, b, r: paired_bootstrap(a, b, "auc"), "'auc' is not a metric"),
        (lambda a, b, r: compare(a, b, n_resamples=0), "n_resamples must be"),
        (lambda a, b, r: paired_bootstrap(a, b, "mae"), "'mae' is defined for regression"),
        (lambda a, b, r: compare(a, b, alpha=5), "alpha must lie"),
        (lambda a, b, r: mcnemar(r, r), "regression outcomes"),
    ],
)
def test_bad_comparisons_name_the_problem(call, message: str) -> None:
    y, score = _scored(10, 40, 0.5)
    a, b = outcomes(y, score, task="binary"), outcomes(y, score**2, task="binary")
    r = outcomes(np.arange(40.0), np.arange(40.0), task="regression")
    with pytest.raises(EvaluationError, match=message):
        call(a, b, r)


def test_paired_bootstrap_refuses_an_undefined_metric() -> None:
    o = outcomes([1, 1, 1], np.array([0.2, 0.7, 0.9]), classes=[0, 1])
    with pytest.raises(EvaluationError, match="roc_auc is undefined on model A's rows"):
        paired_bootstrap(o, o, "roc_auc")
