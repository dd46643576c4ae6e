"""Design: sample size, MDE and duration against statsmodels' power classes."""

from __future__ import annotations

import json
import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize
from typer.testing import CliRunner

from keel.cli import app
from keel.errors import ConfigError
from keel.experiments import (
    design_experiment,
    duration_days,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
)

SIDES = {"two-sided": "two-sided", "one-sided": "larger"}


@pytest.mark.parametrize(
    ("p_a", "p_b", "alpha", "power", "ratio", "sided"),
    [
        (0.10, 0.11, 0.05, 0.8, 1.0, "two-sided"),
        (0.02, 0.025, 0.01, 0.9, 1.0, "two-sided"),
        (0.30, 0.33, 0.05, 0.8, 2.0, "one-sided"),
        (0.50, 0.45, 0.10, 0.8, 0.5, "two-sided"),
    ],
)
def test_exp_sample_size_proportions_matches_normal_ind_power(p_a, p_b, alpha, power, ratio, sided):
    h = proportion_effectsize(p_b, p_a)
    expected = NormalIndPower().solve_power(
        abs(h), alpha=alpha, power=power, ratio=ratio, alternative=SIDES[sided]
    )
    got = sample_size_proportions(
        p_a, p_b, alpha=alpha, power=power, ratio=ratio, alternative=sided
    )
    assert got.n_control == math.ceil(expected)
    assert got.n_treatment == math.ceil(got.n_control * ratio)
    assert got.effect_size == pytest.approx(h)


@pytest.mark.parametrize(
    ("mde", "sd", "alpha", "power", "ratio", "sided"),
    [
        (0.5, 5.0, 0.05, 0.8, 1.0, "two-sided"),
        (2.0, 4.0, 0.05, 0.9, 3.0, "two-sided"),
        (1.0, 2.0, 0.01, 0.8, 1.0, "one-sided"),
        (3.0, 2.0, 0.05, 0.8, 1.0, "two-sided"),  # huge effect: a handful of units
    ],
)
def test_exp_sample_size_means_matches_ttest_ind_power(mde, sd, alpha, power, ratio, sided):
    expected = TTestIndPower().solve_power(
        mde / sd, alpha=alpha, power=power, ratio=ratio, alternative=SIDES[sided]
    )
    got = sample_size_means(mde, sd=sd, alpha=alpha, power=power, ratio=ratio, alternative=sided)
    assert got.n_control == math.ceil(expected)
    assert got.total == got.n_control + got.n_treatment


def test_exp_mde_inverts_the_sample_size():
    h = NormalIndPower().solve_power(None, nobs1=5000, alpha=0.05, power=0.8, ratio=1.0)
    mde = mde_proportions(0.10, 5000)
    # statsmodels' effect-size solver stops at a looser tolerance than ours; its own
    # power function says ours is the exact one.
    h_ours = proportion_effectsize(0.10 + mde, 0.10)
    assert h_ours == pytest.approx(h, rel=1e-4)
    assert NormalIndPower().power(h_ours, 5000, 0.05, ratio=1.0) == pytest.approx(0.8, abs=1e-9)
    d = TTestIndPower().solve_power(None, nobs1=800, alpha=0.05, power=0.8, ratio=2.0)
    d_ours = mde_means(800, sd=3.0, ratio=2.0) / 3.0
    assert d_ours == pytest.approx(d, rel=1e-4)
    assert TTestIndPower().power(d_ours, 800, 0.05, ratio=2.0) == pytest.approx(0.8, abs=1e-9)
    # Round trip: the units for that MDE are the units we started from (or one fewer).
    n = sample_size_proportions(0.10, 0.10 + mde).n_control
    assert 4999 <= n <= 5000


def test_exp_duration_days():
    assert duration_days(29_490, daily_units=4000, share=0.5) == 15
    assert duration_days(1000, daily_units=1000) == 1
    assert duration_days(1001, daily_units=1000) == 2


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sample_size_proportions(0.1, 1.2), "p_treatment"),
        (lambda: sample_size_proportions(0.1, 0.1), "mde"),
        (lambda: sample_size_means(1.0, sd=0.0), "sd"),
        (lambda: sample_size_means(1.0, sd=1.0, power=0.01), "power"),
        (lambda: sample_size_means(1.0, sd=1.0, alternative="up"), "alternative"),
        (lambda: duration_days(10, daily_units=10, share=0.0), "share"),
        (lambda: design_experiment(baseline=0.1), "mde"),
        (lambda: design_experiment(metric="ratio", mde=0.1), "metric"),
    ],
)
def test_exp_bad_design_inputs_say_which_setting(call, field):
    with pytest.raises(ConfigError) as err:
        call()
    assert err.value.field == f"experiments.design.{field}"
    assert "must be" in str(err.value) and "instead." in str(err.value)


def test_exp_design_relative_mde_and_means():
    rel = design_experiment(baseline=0.10, mde=0.10, relative=True)
    assert rel["mde"] == pytest.approx(0.01)
    assert rel["n_control"] == sample_size_proportions(0.10, 0.11).n_control
    means = design_experiment(metric="mean", sd=5.0, mde=0.5, daily_units=1000)
    assert (means["n_control"], means["days"]) == (1571, 4)


def test_exp_cli_design_prints_units_and_days(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["experiments", "design", "--baseline", "0.1", "--mde", "0.01", "--daily", "4000"]
    result = runner.invoke(app, [*args, "--share", "0.5"])
    assert result.exit_code == 0, result.output
    assert "14,745 control + 14,745 treatment = 29,490" in result.stdout
    assert "15 days" in result.stdout
    result = runner.invoke(
        app, ["experiments", "design", "--baseline", "0.1", "--n", "5000", "--json"]
    )
    assert json.loads(result.stdout)["mde"] == pytest.approx(mde_proportions(0.1, 5000))


def test_exp_cli_design_rejects_bad_input_without_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["experiments", "design", "--baseline", "1.5", "--mde", "0.1"])
    assert result.exit_code == 1
    assert "The 'baseline' setting of experiments.design must be" in result.stderr
    assert "Traceback" not in result.output
