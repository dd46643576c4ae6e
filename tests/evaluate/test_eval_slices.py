"""Error analysis: a planted bad slice of two features ranks first, intervals cover the
slice error, missing values get their own bin, bad input is refused."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from keel.errors import EvaluationError
from keel.evaluate._outcomes import outcomes
from keel.evaluate._slices import worst_slices


def _planted(n: int = 5000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A model right 90% of the time, wrong on every row with age high and plan 'pro'."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 90, n),
            "plan": rng.choice(["free", "pro", "team", "gold", "trial"], n),
            "income": rng.normal(50, 10, n),
            "region": rng.choice(["n", "s", "e", "w"], n),
        }
    )
    y = rng.integers(0, 2, n)
    predicted = np.where(rng.random(n) < 0.9, y, 1 - y)
    bad = (X["age"] > X["age"].quantile(0.8)).to_numpy() & (X["plan"] == "pro").to_numpy()
    predicted[bad] = 1 - y[bad]
    return X, y, predicted


def test_planted_pair_ranks_first_with_a_covering_interval() -> None:
    X, y, predicted = _planted()
    scored = outcomes(y, np.c_[1 - predicted, predicted].astype(float), classes=[0, 1])
    found = worst_slices(scored, X)
    worst = found[0]
    assert worst.features == ("age", "plan")
    assert worst.description.startswith("age in [") and worst.description.endswith("plan = pro")
    assert worst.error == pytest.approx(1.0)
    assert worst.ci_low <= worst.error <= worst.ci_high
    low, high = proportion_confint(round(worst.error * worst.size), worst.size, method="wilson")
    assert (worst.ci_low, worst.ci_high) == pytest.approx((low, high))
    overall = float((predicted != y).mean())
    assert worst.overall_error == pytest.approx(overall)
    assert worst.weighted_gap == pytest.approx((worst.error - overall) * worst.size / len(y))
    gaps = [s.weighted_gap for s in found]
    assert gaps == sorted(gaps, reverse=True) and all(g > 0 for g in gaps)
    assert len(found) == 10 and all(s.size >= 50 for s in found)  # 1% of 5,000 rows
    assert worst.to_dict()["features"] == ["age", "plan"]


def test_regression_absolute_error_t_interval_and_missing_bin() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    X = pd.DataFrame({"x": rng.normal(size=n), "city": rng.choice(["a", "b"], n)})
    X.loc[: n // 10, "x"] = np.nan
    y = rng.normal(size=n)
    predicted = y + rng.normal(scale=0.1, size=n)
    predicted[: n // 10 + 1] += rng.normal(scale=2.0, size=n // 10 + 1)  # bad when x missing
    found = worst_slices(outcomes(y, predicted), X, pairs=False, min_size=30)
    worst = found[0]
    assert worst.description == "x is missing" and worst.size == n // 10 + 1
    errors = np.abs(y - predicted)[: n // 10 + 1]
    assert worst.error == pytest.approx(errors.mean())
    from scipy import stats

    half = stats.t.ppf(0.975, errors.size - 1) * errors.std(ddof=1) / np.sqrt(errors.size)
    assert (worst.ci_low, worst.ci_high) == pytest.approx(
        (errors.mean() - half, errors.mean() + half)
    )


def test_rare_categories_share_other_and_small_slices_are_skipped() -> None:
    rng = np.random.default_rng(2)
    shop = np.repeat([f"s{i}" for i in range(30)], [150] * 10 + [25] * 20)
    X = pd.DataFrame({"shop": shop})
    y = rng.integers(0, 2, shop.size)
    perfect = np.c_[1 - y, y].astype(float)
    assert worst_slices(outcomes(y, perfect, classes=[0, 1]), X) == []  # nothing is worse
    wrong = np.where(np.arange(shop.size) >= 1500, 1 - y, y).astype(float)  # the rare shops
    found = worst_slices(outcomes(y, np.c_[1 - wrong, wrong], classes=[0, 1]), X, min_size=200)
    assert [s.description for s in found] == ["shop = other (20 rarer values)"]
    assert found[0].size == 500 and found[0].error == 1.0


def test_twenty_columns_fifty_thousand_rows_is_fast() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    X = pd.DataFrame(rng.normal(size=(n, 15)), columns=[f"x{i}" for i in range(15)])
    for i in range(5):
        X[f"c{i}"] = rng.choice(list("abcdefghijkl"), n)
    y = rng.integers(0, 2, n)
    wrong = np.where(rng.random(n) < 0.2, 1 - y, y).astype(float)
    started = time.perf_counter()
    worst_slices(outcomes(y, np.c_[1 - wrong, wrong], classes=[0, 1]), X)
    assert time.perf_counter() - started < 10  # about 1 s; generous for shared CI cores


def test_bad_input_raises_evaluation_error() -> None:
    X, y, predicted = _planted(200)
    scored = outcomes(y, np.c_[1 - predicted, predicted].astype(float), classes=[0, 1])
    with pytest.raises(EvaluationError, match="X has 199 rows but the outcomes have 200"):
        worst_slices(scored, X.iloc[:199])
    with pytest.raises(EvaluationError, match="DataFrame"):
        worst_slices(scored, X.to_numpy())
    with pytest.raises(EvaluationError, match="bins must be >= 2"):
        worst_slices(scored, X, bins=1)
    with pytest.raises(EvaluationError, match="confidence in"):
        worst_slices(scored, X, confidence=1.5)
