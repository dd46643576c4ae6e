"""experiment_analysis over a deployment's per-minute counters, its summary and report;
and every docstring example of keel.experiments runs."""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import keel.experiments
from keel.errors import ConfigError
from keel.experiments import (
    experiment_analysis,
    holm,
    proportions_ztest,
    welch_from_stats,
)
from keel.experiments._report import allocation_timeline, metric_timeline

START = 29_000_000  # a unix minute (2025)


def _counts(seed=0, minutes=60, arms=((1, 0.010, 0.05, 0.5), (2, 0.015, 0.06, 0.5))):
    """Per-minute Tally counters of an A/B test: (version, error rate, reward rate, share)."""
    rng = np.random.default_rng(seed)
    rows = []
    for minute in range(START, START + minutes):
        for version, err, reward, share in arms:
            n = rng.poisson(1000 * share)
            e, r, hits = rng.binomial(n, err), rng.binomial(n, reward), rng.binomial(n // 2, 0.9)
            rows += [
                (minute, version, "requests", n), (minute, version, "errors", e),
                (minute, version, "reward_n", n), (minute, version, "reward_sum", r),
                (minute, version, "reward_sumsq", r), (minute, version, "label_n", n // 2),
                (minute, version, "label_hits", hits), (minute, version, "lat_03", n),
            ]  # fmt: skip
    return pd.DataFrame(rows, columns=["minute", "version", "counter", "value"])


def test_exp_analysis_tests_each_metric_against_the_control():
    counts = _counts()
    a = experiment_analysis(counts, expected_split={1: 50, 2: 50})
    total = counts.groupby(["version", "counter"])["value"].sum()
    assert a.arms == (1, 2) and a.control == 1
    assert a.totals[2]["errors"] == total[(2, "errors")]
    assert a.allocation[1] == pytest.approx(
        total[(1, "requests")] / total.xs("requests", level=1).sum()
    )
    by_metric = {m.metric: m for m in a.metrics}
    assert set(by_metric) == {"error_rate", "reward", "accuracy"}
    err = proportions_ztest(
        total[(1, "errors")], total[(1, "requests")], total[(2, "errors")], total[(2, "requests")]
    )
    assert by_metric["error_rate"].comparison == err
    reward = welch_from_stats(
        *(total[(v, c)] for v in (1, 2) for c in ("reward_n", "reward_sum", "reward_sumsq"))
    )
    assert by_metric["reward"].comparison == reward
    p = [m.comparison.p_value for m in a.metrics]
    assert [m.p_holm for m in a.metrics] == holm(p)
    assert all(m.always_valid_p >= m.comparison.p_value for m in a.metrics)
    assert a.srm is not None and a.srm.verdict == "valid"
    assert a.verdict == "significant"
    summary = a.summary()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary["metrics"][0]["metric"] == "error_rate"


def test_exp_analysis_sample_ratio_mismatch_invalidates_the_experiment():
    counts = _counts(arms=((1, 0.01, 0.05, 0.5), (2, 0.01, 0.05, 0.47)))
    a = experiment_analysis(counts, expected_split={1: 50, 2: 50})
    assert a.srm is not None and a.srm.verdict == "invalid"
    assert a.verdict == "invalid"
    # A version that got traffic without being planned is a mismatch too.
    stray = experiment_analysis(_counts(), expected_split={1: 100})
    assert stray.verdict == "invalid" and stray.arms == (1, 2)


def test_exp_analysis_without_a_split_or_data():
    a = experiment_analysis(_counts(minutes=3), control=2)
    assert a.srm is None and a.control == 2 and {m.arm for m in a.metrics} == {1}
    empty = experiment_analysis(_counts().iloc[:0])
    assert empty.verdict == "no data" and empty.summary()["metrics"] == []
    with pytest.raises(ConfigError, match=r"'counts' setting of experiments.analysis"):
        experiment_analysis(pd.DataFrame({"version": [1]}))
    with pytest.raises(ConfigError, match="'control'"):
        experiment_analysis(_counts(minutes=1), control=7)


def test_exp_timelines_end_at_the_totals():
    a = experiment_analysis(_counts(minutes=10), expected_split={1: 50, 2: 50})
    line = metric_timeline(a, "error_rate")
    last = line[line["minute"] == START + 9].set_index("version")
    for arm in (1, 2):
        assert last.loc[arm, "value"] == pytest.approx(
            a.totals[arm]["errors"] / a.totals[arm]["requests"]
        )
        assert last.loc[arm, "low"] < last.loc[arm, "value"] < last.loc[arm, "high"]
    shares = allocation_timeline(a)
    assert shares.shape == (10, 2)
    assert np.allclose(shares.sum(axis=1), 1.0)


def test_exp_html_report_is_self_contained(tmp_path: Path):
    a = experiment_analysis(_counts(), expected_split={1: 50, 2: 50})
    out = a.to_html(tmp_path / "sub" / "report.html", title="churn-api <A/B>")
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "churn-api &lt;A/B&gt;" in text
    assert text.count("<svg") == 4  # three metrics and the allocation
    # Nothing fetched from elsewhere: SVG links only point inside the page (#id).
    assert "<script" not in text and "src=" not in text
    assert not re.search(r'href="(?!#)', text)
    assert "Verdict: <b>significant</b>" in text


def _experiment_modules() -> list[str]:
    folder = Path(keel.experiments.__file__).parent
    return ["keel.experiments"] + [
        f"keel.experiments.{p.stem}"
        for p in sorted(folder.glob("_*.py"))
        if ">>>" in p.read_text() and p.stem != "__init__"
    ]


@pytest.mark.parametrize("module", _experiment_modules())
def test_exp_docstring_examples_run(module: str):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_exp_public_names_are_pinned_and_load():
    for name in keel.experiments.__all__:
        assert getattr(keel.experiments, name) is not None
    assert len(keel.experiments.__all__) == 28
