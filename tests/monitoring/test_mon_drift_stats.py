"""keel's drift statistics equal scipy's on the same arrays (to 1e-9)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from keel.monitoring import ReferenceProfile, drift_report
from keel.monitoring._stats_numeric import PSI_EPSILON


def _pair(seed: int, n_ref: int, n_cur: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref, cur = rng.normal(size=n_ref), rng.normal(0.1, 1.2, size=n_cur)
    if ties:  # rounded values: many ties across and within the samples
        ref, cur = np.round(ref, 1), np.round(cur, 1)
    return ref, cur


def _column(ref: np.ndarray, cur: np.ndarray, method: str, **kwargs: object):  # type: ignore[no-untyped-def]
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": ref}), max_sample=ref.size)
    return drift_report(profile, pd.DataFrame({"x": cur}), method=method, **kwargs).columns[0]  # type: ignore[arg-type]


CASES = [
    (0, 300, 200, False),
    (1, 5_000, 8_000, True),
    (2, 12_000, 30_000, False),
    (3, 40_000, 11_000, True),
]


@pytest.mark.parametrize(("seed", "n_ref", "n_cur", "ties"), CASES)
def test_mon_drift_ks_equals_scipy(seed: int, n_ref: int, n_cur: int, ties: bool) -> None:
    ref, cur = _pair(seed, n_ref, n_cur, ties)
    expected = stats.ks_2samp(ref, cur)
    got = _column(ref, cur, "ks")
    assert got.statistic == pytest.approx(expected.statistic, abs=1e-9, rel=1e-9)
    assert got.p_value == pytest.approx(expected.pvalue, abs=1e-9, rel=1e-9)


@pytest.mark.parametrize(("seed", "n_ref", "n_cur", "ties"), CASES)
def test_mon_drift_wasserstein_equals_scipy(seed: int, n_ref: int, n_cur: int, ties: bool) -> None:
    ref, cur = _pair(seed, n_ref, n_cur, ties)
    got = _column(ref, cur, "wasserstein")
    expected = stats.wasserstein_distance(ref, cur)
    assert got.statistic == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert got.distance == pytest.approx(expected / ref.std(), rel=1e-9)


def _decile_shares(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference-decile bins computed independently with np.histogram."""
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    # np.histogram bins are [a, b); our bins are (-inf, e1), [e1, e2), ..., [ek, inf).
    ref_counts = np.array([np.sum((ref >= a) & (ref < b)) for a, b in itertools.pairwise(edges)])
    cur_counts = np.array([np.sum((cur >= a) & (cur < b)) for a, b in itertools.pairwise(edges)])
    return ref_counts / ref.size, cur_counts / cur.size


@pytest.mark.parametrize(("seed", "n_ref", "n_cur", "ties"), CASES)
def test_mon_drift_binned_distances_equal_reference_formulas(
    seed: int, n_ref: int, n_cur: int, ties: bool
) -> None:
    ref, cur = _pair(seed, n_ref, n_cur, ties)
    p, q = _decile_shares(ref, cur)
    assert _column(ref, cur, "jensenshannon").distance == pytest.approx(
        jensenshannon(p, q, base=2), rel=1e-9, abs=1e-12
    )
    pe, qe = np.maximum(p, PSI_EPSILON), np.maximum(q, PSI_EPSILON)
    assert _column(ref, cur, "psi").distance == pytest.approx(
        np.sum((qe - pe) * np.log(qe / pe)), rel=1e-9
    )


def test_mon_drift_chi2_equals_scipy_with_unseen_categories() -> None:
    rng = np.random.default_rng(4)
    ref = rng.choice(["a", "b", "c", "d"], size=3_000, p=[0.4, 0.3, 0.2, 0.1])
    cur = rng.choice(["a", "b", "c", "e"], size=2_000, p=[0.35, 0.35, 0.2, 0.1])
    got = _column_cat(ref, cur, "chi2")
    names = ["a", "b", "c", "d", "e"]
    table = np.array([[np.sum(ref == n) for n in names], [np.sum(cur == n) for n in names]])
    expected = stats.chi2_contingency(table, correction=False)
    assert got.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    assert "'e'" in got.note
    p, q = table[0] / table[0].sum(), table[1] / table[1].sum()
    assert _column_cat(ref, cur, "jensenshannon").distance == pytest.approx(
        jensenshannon(p, q, base=2), rel=1e-9
    )


def _column_cat(ref: np.ndarray, cur: np.ndarray, method: str):  # type: ignore[no-untyped-def]
    profile = ReferenceProfile.from_frame(pd.DataFrame({"c": ref}))
    return drift_report(profile, pd.DataFrame({"c": cur}), method=method).columns[0]


def test_mon_drift_sampled_reference_is_seeded_and_sorted() -> None:
    frame = pd.DataFrame({"x": np.random.default_rng(5).normal(size=20_000)})
    a = ReferenceProfile.from_frame(frame, max_sample=1_000, seed=7)["x"].values
    b = ReferenceProfile.from_frame(frame, max_sample=1_000, seed=7)["x"].values
    assert a is not None and b is not None and a.size == 1_000
    assert np.array_equal(a, b) and np.all(np.diff(a) >= 0)
