"""Bootstrap counts, percentile intervals and p-values; the speed the design is for."""

from __future__ import annotations

import time

import numpy as np
import pytest

from keel.errors import EvaluationError
from keel.evaluate._bootstrap import (
    bootstrap_counts,
    bootstrap_p_value,
    percentile_interval,
    resample_scores,
)
from keel.evaluate._metrics import metrics_with_intervals
from keel.evaluate._outcomes import outcomes


def test_counts_are_resamples_of_all_rows() -> None:
    chunks = list(bootstrap_counts(40, 130, seed=3, chunk=64))
    assert [c.shape for c in chunks] == [(64, 40), (64, 40), (2, 40)]
    counts = np.vstack(chunks)
    assert (counts.sum(axis=1) == 40).all() and counts.min() >= 0
    assert np.array_equal(counts, counts.round())


def test_counts_follow_the_multinomial_distribution() -> None:
    counts = np.vstack(list(bootstrap_counts(50, 4000, seed=0)))
    # Each row's count is Binomial(n, 1/n): mean 1, variance 1 - 1/n.
    assert counts.mean(axis=0) == pytest.approx(np.ones(50), abs=0.06)
    assert counts.var(axis=0).mean() == pytest.approx(1 - 1 / 50, abs=0.03)
    # About (1 - 1/n)**n, 36%, of rows are left out of each resample.
    assert (counts == 0).mean() == pytest.approx((1 - 1 / 50) ** 50, abs=0.01)


def test_counts_depend_on_the_seed_only() -> None:
    whole = np.vstack(list(bootstrap_counts(13, 20, seed=5, chunk=64)))
    assert np.array_equal(whole, np.vstack(list(bootstrap_counts(13, 20, seed=5, chunk=3))))
    assert not np.array_equal(whole, np.vstack(list(bootstrap_counts(13, 20, seed=6))))


def test_scorers_see_the_same_resamples() -> None:
    def total_of(values: np.ndarray):
        return lambda counts: {"total": counts @ values}

    first, second = resample_scores([total_of(np.arange(5.0)), total_of(np.ones(5))], 5, 70)
    assert first["total"].shape == (70,)
    assert (second["total"] == 5).all()


def test_percentile_interval_skips_undefined_resamples() -> None:
    values = np.r_[np.linspace(0, 1, 101), [np.nan] * 7]
    low, high, undefined = percentile_interval(values, 0.9)
    assert (low, high, undefined) == (pytest.approx(0.05), pytest.approx(0.95), 7)
    assert np.isnan(percentile_interval(np.full(3, np.nan), 0.95)[0])


def test_p_value_counts_each_tail_with_the_plus_one_correction() -> None:
    assert bootstrap_p_value(np.zeros(99)) == 1.0
    assert bootstrap_p_value(np.full(999, 0.3)) == pytest.approx(2 / 1000)
    assert bootstrap_p_value(np.r_[-np.ones(50), np.ones(50)]) == 1.0
    assert bootstrap_p_value(np.r_[-np.ones(10), np.ones(89)]) == pytest.approx(22 / 100)
    assert np.isnan(bootstrap_p_value(np.array([np.nan])))


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "100"])
def test_bad_resample_counts_are_refused(bad) -> None:
    with pytest.raises(EvaluationError, match="n_resamples must be an integer >= 1"):
        next(bootstrap_counts(10, bad))


def test_no_rows_is_refused() -> None:
    with pytest.raises(EvaluationError, match="at least one row"):
        next(bootstrap_counts(0, 10))


def test_a_thousand_resamples_of_50k_rows_take_seconds_not_minutes() -> None:
    """The budget: a whole evaluation in 30 s on 2 cores; metric intervals get a few.

    Measured: about 1.5 s of CPU (scikit-learn called per resample: 200-400 s).
    """
    rng = np.random.default_rng(0)
    scores = rng.random(50_000)
    o = outcomes((rng.random(50_000) < scores).astype(int), scores.round(3), task="binary")
    start = time.perf_counter()
    table = metrics_with_intervals(o, n_resamples=1000)
    assert time.perf_counter() - start < 10.0
    assert table["roc_auc"].low < table["roc_auc"].value < table["roc_auc"].high
