"""mSPRT: peeking after every 100 observations keeps false positives at alpha, while a
fixed-horizon z-test peeked the same way does not; real effects are still found."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from keel.errors import ConfigError
from keel.experiments import (
    msprt_means,
    msprt_normal,
    msprt_proportion,
    msprt_proportions,
    proportions_ztest,
)

SIMS, LOOKS, BATCH = 2000, 100, 50  # 50 per arm: a look every 100 observations
ALPHA = 0.05
# Monte Carlo error of a rate near alpha over SIMS runs: three standard errors.
MC = 3 * np.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def _cumulative(rng, p, size_per_look):
    draws = rng.binomial(size_per_look, p, size=(SIMS, LOOKS))
    return draws.cumsum(axis=1), np.arange(1, LOOKS + 1) * size_per_look


@pytest.mark.parametrize("p", [0.02, 0.1, 0.5])
def test_exp_msprt_false_positives_stay_below_alpha_while_peeking(p):
    rng = np.random.default_rng(int(p * 1000))
    x_a, n = _cumulative(rng, p, BATCH)
    x_b, _ = _cumulative(rng, p, BATCH)
    rejected = msprt_proportions(x_a, n, x_b, n, alternative="two-sided").reject(ALPHA)
    assert rejected.shape == (SIMS, LOOKS)
    assert rejected.any(axis=1).mean() <= ALPHA + MC
    # The same data read with a fixed-horizon z-test at every look: far above alpha.
    pooled = (x_a + x_b) / (2 * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x_b - x_a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    peeked = (2 * stats.norm.sf(np.abs(np.nan_to_num(z))) <= ALPHA).any(axis=1).mean()
    assert peeked > 4 * ALPHA
    # The vectorised z is the library's test, look by look.
    one = proportions_ztest(x_a[0, -1], n[-1], x_b[0, -1], n[-1])
    assert z[0, -1] == pytest.approx(one.statistic)


def test_exp_msprt_unequal_allocation_and_one_sided_boundary_stay_valid():
    rng = np.random.default_rng(21)
    # 80 / 20 split: plug-in variance of the difference handles unequal arms.
    x_a, n_a = _cumulative(rng, 0.1, 80)
    x_b, n_b = _cumulative(rng, 0.1, 20)
    two_sided = msprt_proportions(x_a, n_a, x_b, n_b, alternative="two-sided")
    assert two_sided.reject(ALPHA).any(axis=1).mean() <= ALPHA + MC
    # Guardrail null at its boundary: canary error rate exactly delta above stable's.
    x_a, n = _cumulative(rng, 0.02, BATCH)
    x_b, _ = _cumulative(rng, 0.03, BATCH)
    guard = msprt_proportions(x_a, n, x_b, n, delta=0.01, alternative="greater")
    assert guard.reject(ALPHA).any(axis=1).mean() <= ALPHA + MC


def test_exp_msprt_means_false_positives_stay_below_alpha():
    rng = np.random.default_rng(8)
    y = rng.exponential(1.0, size=(2, SIMS, LOOKS, BATCH))  # skewed, like revenue
    sums, sumsq = y.sum(axis=3).cumsum(axis=2), (y * y).sum(axis=3).cumsum(axis=2)
    n = np.arange(1, LOOKS + 1) * BATCH
    r = msprt_means(n, sums[0], sumsq[0], n, sums[1], sumsq[1], alternative="two-sided")
    assert r.reject(ALPHA).any(axis=1).mean() <= ALPHA + MC


def test_exp_msprt_finds_a_real_effect_early():
    rng = np.random.default_rng(4)
    x_a, n = _cumulative(rng, 0.02, BATCH)
    x_b, _ = _cumulative(rng, 0.07, BATCH)
    rejected = msprt_proportions(x_a, n, x_b, n, delta=0.01, alternative="greater").reject(ALPHA)
    assert rejected.any(axis=1).mean() >= 0.99
    first = np.argmax(rejected, axis=1) + 1
    assert np.median(first * BATCH) <= 1000  # canary requests until the breach is certain
    # "less" looks the other way: the same data never says b is below a.
    assert not msprt_proportions(x_a, n, x_b, n, alternative="less").reject(ALPHA).any()


def test_exp_msprt_p_value_is_a_running_minimum_and_one_without_data():
    first = msprt_proportions(10, 1000, 40, 1000, alternative="two-sided")
    later = msprt_proportions(30, 3000, 40, 3000, alternative="two-sided", previous_p=first.p_value)
    alone = msprt_proportions(30, 3000, 40, 3000, alternative="two-sided")
    assert later.p_value == first.p_value < alone.p_value
    empty = msprt_proportions(0, 0, 0, 0)
    assert (empty.p_value, empty.statistic) == (1.0, 1.0)
    assert msprt_means(1, 1.0, 1.0, 1, 2.0, 4.0).p_value == 1.0


def test_exp_msprt_normal_mixture_formula():
    # Two-sided normal mixture (JPW 2017 eq. for a normal estimate of variance s2).
    est, s2, tau = 0.03, 0.0001, 0.05
    expected = np.sqrt(s2 / (s2 + tau**2)) * np.exp(tau**2 * est**2 / (2 * s2 * (s2 + tau**2)))
    got = msprt_normal(est, s2, tau=tau)
    assert got.statistic == pytest.approx(expected)
    assert got.p_value == pytest.approx(min(1, 1 / expected))
    # Half-normal mixture on the tested side: 2 * Phi(...) times the two-sided ratio.
    factor = 2 * stats.norm.cdf(est * tau / np.sqrt(s2 * (s2 + tau**2)))
    one = msprt_normal(est, s2, tau=tau, alternative="greater")
    assert one.statistic == pytest.approx(expected * factor)


def test_exp_msprt_one_sample_latency_share():
    assert msprt_proportion(40, 1000, p0=0.01).reject(ALPHA)
    assert not msprt_proportion(12, 1000, p0=0.01).reject(ALPHA)


def test_exp_msprt_refuses_bad_settings():
    with pytest.raises(ConfigError, match=r"'tau' setting of experiments.msprt"):
        msprt_proportions(1, 10, 2, 10, tau=0.0)
    with pytest.raises(ConfigError, match="'alternative'"):
        msprt_normal(0.1, 0.01, alternative="bigger")
