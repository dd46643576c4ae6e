"""Fixed-horizon tests, delta method, CUPED, Holm and SRM against their known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest as sm_ztest

from keel.errors import ConfigError
from keel.experiments import (
    cuped,
    holm,
    proportions_ztest,
    ratio_delta,
    srm_check,
    welch_from_stats,
    welch_ttest,
)

SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
@pytest.mark.parametrize(
    ("x_a", "n_a", "x_b", "n_b"), [(100, 1000, 130, 1000), (45, 5000, 31, 2500), (7, 80, 3, 120)]
)
def test_exp_ztest_matches_statsmodels(x_a, n_a, x_b, n_b, alternative):
    z, p = sm_ztest([x_b, x_a], [n_b, n_a], alternative=SM_ALTERNATIVE[alternative])
    got = proportions_ztest(x_a, n_a, x_b, n_b, alternative=alternative)
    assert got.statistic == pytest.approx(z, rel=1e-10)
    assert got.p_value == pytest.approx(p, rel=1e-10)
    assert got.estimate == pytest.approx(x_b / n_b - x_a / n_a)
    assert got.ci_low < got.estimate < got.ci_high


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exp_welch_matches_scipy_from_arrays_and_from_sums(alternative):
    rng = np.random.default_rng(3)
    a, b = rng.normal(10.0, 2.0, 300), rng.normal(10.3, 3.5, 120)
    expected = stats.ttest_ind(b, a, equal_var=False, alternative=alternative)
    got = welch_ttest(a, b, alternative=alternative)
    assert got.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    sums = welch_from_stats(
        a.size, a.sum(), (a * a).sum(), b.size, b.sum(), (b * b).sum(), alternative=alternative
    )
    assert sums.statistic == pytest.approx(expected.statistic, rel=1e-7)
    assert sums.p_value == pytest.approx(expected.pvalue, rel=1e-7)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (got.ci_low, got.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_exp_holm_matches_multipletests():
    p = [0.01, 0.04, 0.03, 0.20, 0.001, 0.04]
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist())
    assert holm([]) == []


def test_exp_srm_matches_chisquare_and_says_invalid():
    observed = {1: 5000, 2: 5400, 3: 10_050}
    expected = {1: 25, 2: 25, 3: 50}
    got = srm_check(observed, expected)
    ref = stats.chisquare([5000, 5400, 10_050], f_exp=[5112.5, 5112.5, 10_225])
    assert got.statistic == pytest.approx(ref.statistic)
    assert got.p_value == pytest.approx(ref.pvalue)
    assert got.verdict == "invalid" and not got.valid
    assert srm_check({1: 5000, 2: 5100}, {1: 0.5, 2: 0.5}).verdict == "valid"
    # Traffic on an arm planned at 0 % is a mismatch however small.
    assert srm_check({1: 100, 2: 1}, {1: 100, 2: 0}).verdict == "invalid"
    with pytest.raises(ConfigError, match=r"'observed' setting of experiments.srm"):
        srm_check({1: 10, 9: 3}, {1: 50, 2: 50})


def test_exp_srm_false_alarms_stay_at_alpha():
    rng = np.random.default_rng(5)
    draws = rng.multinomial(20_000, [0.5, 0.5], size=1500)
    alarms = sum(
        srm_check({1: a, 2: b}, {1: 1, 2: 1}, alpha=0.05).verdict == "invalid" for a, b in draws
    )
    assert alarms / 1500 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 1500)


def _ratio_units(rng, size, rate):
    """Units with different page views and a unit-level click rate (clustered events)."""
    views = rng.poisson(5, size) + 1
    unit_rate = np.clip(rng.beta(0.5, 0.5 / rate - 0.5, size), 0, 1)
    return rng.binomial(views, unit_rate), views


def test_exp_delta_method_variance_matches_simulation():
    # Large-sample check: across 3,000 simulated experiments the spread of R_b - R_a
    # matches the delta-method standard error; the naive event-level one is too small.
    rng = np.random.default_rng(11)
    diffs, ses, naive = [], [], []
    for _ in range(3000):
        na, da = _ratio_units(rng, 400, 0.1)
        nb, db = _ratio_units(rng, 400, 0.1)
        r = ratio_delta(na, da, nb, db)
        diffs.append(r.estimate)
        ses.append((r.ci_high - r.ci_low) / (2 * stats.norm.isf(0.025)))
        pa, pb = na.sum() / da.sum(), nb.sum() / db.sum()
        naive.append(np.sqrt(pa * (1 - pa) / da.sum() + pb * (1 - pb) / db.sum()))
    empirical = np.std(diffs, ddof=1)
    assert np.mean(ses) == pytest.approx(empirical, rel=0.05)
    assert np.mean(naive) < 0.8 * empirical
    p_values = []
    for _ in range(1000):
        na, da = _ratio_units(rng, 400, 0.1)
        nb, db = _ratio_units(rng, 400, 0.1)
        p_values.append(ratio_delta(na, da, nb, db).p_value)
    assert np.mean(np.array(p_values) <= 0.05) == pytest.approx(0.05, abs=0.025)


def test_exp_delta_method_on_a_single_unit_each_is_refused():
    with pytest.raises(ConfigError, match="numerator"):
        ratio_delta([1], [2], [1, 2], [3, 4])


def test_exp_cuped_reduces_variance_and_stays_unbiased():
    rng = np.random.default_rng(2)
    n, rho, effect = 2000, 0.8, 0.1
    estimates, plain = [], []
    for _ in range(300):
        x = rng.normal(0, 1, (2, n))
        y = 5 + rho * x + np.sqrt(1 - rho**2) * rng.normal(0, 1, (2, n))
        y[1] += effect
        r = cuped(y[0], x[0], y[1], x[1])
        estimates.append(r.comparison.estimate)
        plain.append(y[1].mean() - y[0].mean())
    assert np.mean(estimates) == pytest.approx(effect, abs=0.005)
    assert np.var(estimates) < 0.5 * np.var(plain)  # 1 - rho**2 = 0.36 of the variance
    # theta and the adjusted test are what their definitions say.
    xy = np.concatenate([y[0], y[1]]), np.concatenate([x[0], x[1]])
    theta = np.cov(xy[0], xy[1])[0, 1] / np.var(xy[1], ddof=1)
    assert r.theta == pytest.approx(theta)
    assert r.variance_reduction == pytest.approx(rho**2, abs=0.03)
    centre = xy[1].mean()
    ref = stats.ttest_ind(
        y[1] - theta * (x[1] - centre), y[0] - theta * (x[0] - centre), equal_var=False
    )
    assert r.comparison.p_value == pytest.approx(ref.pvalue, rel=1e-6)
