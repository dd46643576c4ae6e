"""drift_report: known shifts flagged, unshifted columns not, clear messages, stable JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keel.errors import ConfigError, MonitoringError
from keel.monitoring import (
    DriftMethod,
    ReferenceProfile,
    drift_method,
    drift_methods,
    drift_report,
)
from keel.monitoring._methods import MethodResult, unregister


def _tables(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cats = ["a", "b", "c", "d"]

    def frame(shift: bool) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "steady": rng.normal(size=n),
                "steady_cat": rng.choice(cats, size=n, p=[0.4, 0.3, 0.2, 0.1]),
                "mean": rng.normal(0.5 if shift else 0.0, size=n),
                "scale": rng.normal(0.0, 1.5 if shift else 1.0, size=n),
                "tiny": rng.normal(0.03 if shift else 0.0, size=n),  # significant, below threshold
                "cat": rng.choice(
                    cats, size=n, p=[0.1, 0.2, 0.3, 0.4] if shift else [0.4, 0.3, 0.2, 0.1]
                ),
            }
        )

    return frame(False), frame(True)


def test_mon_drift_known_shifts_flagged_unshifted_not() -> None:
    reference, current = _tables(50_000, seed=0)
    report = drift_report(ReferenceProfile.from_frame(reference), current)
    assert report.drifted == ["mean", "scale", "cat"]
    assert report.share_drifted == pytest.approx(0.5)
    tiny = next(c for c in report.columns if c.column == "tiny")
    assert not tiny.drifted and tiny.p_value is not None and tiny.p_value < 0.05
    assert "below the threshold 0.1: not flagged" in tiny.note
    methods = {c.column: c.method for c in report.columns}
    assert methods == {
        "steady": "wasserstein",
        "steady_cat": "jensenshannon",
        "mean": "wasserstein",
        "scale": "wasserstein",
        "tiny": "wasserstein",
        "cat": "jensenshannon",
    }


def test_mon_drift_auto_uses_tests_on_small_windows() -> None:
    reference, current = _tables(500, seed=1)
    report = drift_report(reference, current)
    assert {c.method for c in report.columns} == {"ks", "chi2"}
    assert {"mean", "scale", "cat"} <= set(report.drifted)


@pytest.mark.parametrize(("column", "method"), [("steady", "ks"), ("steady_cat", "chi2")])
def test_mon_drift_false_positive_rate_at_the_stated_level(column: str, method: str) -> None:
    flagged = 0
    for seed in range(100):
        reference, current = _tables(200, seed=100 + seed)
        report = drift_report(reference, current, method=method, columns=[column])
        flagged += report.columns[0].drifted
    # 100 null draws at level 0.05: 5 expected; P(more than 12) < 0.002.
    assert flagged <= 12


def test_mon_drift_false_positive_rate_of_auto_on_large_null_windows() -> None:
    flagged = 0
    for seed in range(20):
        reference, current = _tables(5_000, seed=300 + seed)
        report = drift_report(reference, current, columns=["steady", "steady_cat"])
        flagged += len(report.drifted)
    assert flagged == 0


def test_mon_drift_thresholds_global_per_method_and_per_column() -> None:
    reference, current = _tables(20_000, seed=2)
    profile = ReferenceProfile.from_frame(reference)
    assert "tiny" in drift_report(profile, current, thresholds=0.01).drifted
    per_method = drift_report(profile, current, thresholds={"wasserstein": 0.9})
    assert per_method.drifted == ["cat"]
    per_column = drift_report(profile, current, thresholds={"wasserstein": 0.9, "mean": 0.2})
    assert per_column.drifted == ["mean", "cat"]
    with pytest.raises(ConfigError, match=r"'thresholds' setting .* must be a number > 0\. Got -1"):
        drift_report(profile, current, thresholds={"mean": -1})
    with pytest.raises(ConfigError, match="between 0 and 1"):
        drift_report(profile, current, method="ks", thresholds=5)


def test_mon_drift_method_choices_and_errors() -> None:
    reference, current = _tables(2_000, seed=3)
    profile = ReferenceProfile.from_frame(reference)
    report = drift_report(profile, current, method="ks")
    cat = next(c for c in report.columns if c.column == "cat")
    assert cat.method == "jensenshannon" and "ks does not apply" in cat.note
    with pytest.raises(ConfigError, match=r"'method' setting of monitor.drift must be 'auto' or"):
        drift_report(profile, current, method="nope")
    with pytest.raises(ConfigError, match="must fit a categorical column"):
        drift_report(profile, current, method={"cat": "ks"})
    assert drift_report(profile, current, method={"mean": "psi"}).columns[2].method == "psi"


def test_mon_drift_empty_window_missing_column_and_empty_column() -> None:
    reference, current = _tables(1_000, seed=4)
    profile = ReferenceProfile.from_frame(reference)
    with pytest.raises(MonitoringError, match="The current data is empty"):
        drift_report(profile, current.iloc[:0])
    with pytest.raises(MonitoringError, match="current data has no column 'cat'"):
        drift_report(profile, current.drop(columns="cat"))
    with pytest.raises(MonitoringError, match="'mean' is numeric in the reference but holds"):
        drift_report(profile, current.assign(mean="high"))
    nulls = current.assign(mean=np.nan)
    column = next(c for c in drift_report(profile, nulls).columns if c.column == "mean")
    assert not column.drifted and "no non-null values" in column.note
    assert drift_report(profile, nulls).to_dict()["columns"][2]["distance"] is None


def test_mon_drift_constant_columns() -> None:
    reference = pd.DataFrame({"k": np.full(3_000, 2.0), "c": ["x"] * 3_000})
    same = drift_report(reference, reference)
    assert same.drifted == []
    assert "constant on both sides (same value)" in same.columns[0].note
    assert "one category on both sides" in same.columns[1].note
    moved = drift_report(reference, pd.DataFrame({"k": np.full(3_000, 3.0), "c": ["y"] * 3_000}))
    assert moved.drifted == ["k", "c"]
    assert "not normalised" in moved.columns[0].note


def test_mon_drift_json_shape_is_pinned() -> None:
    reference, current = _tables(1_500, seed=5)
    data = drift_report(reference, current, columns=["mean", "cat"]).to_dict()
    assert list(data) == [
        "schema_version",
        "method",
        "n_reference",
        "n_current",
        "share_drifted",
        "drifted",
        "columns",
    ]
    assert data["schema_version"] == 1 and data["method"] == "auto"
    assert list(data["columns"][0]) == [
        "column",
        "kind",
        "method",
        "statistic",
        "p_value",
        "distance",
        "threshold",
        "drifted",
        "n_reference",
        "n_current",
        "note",
        "compares",
    ]
    assert data["columns"][1]["compares"] == "distance" and data["drifted"] == ["mean", "cat"]
    json.dumps(data, allow_nan=False)


def test_mon_drift_profile_save_load_and_package_profile(tmp_path: Path) -> None:
    from keel.data import infer_schema
    from keel.models._profile import reference_profile

    reference, current = _tables(3_000, seed=6)
    profile = ReferenceProfile.from_frame(reference)
    profile.save(tmp_path / "p.npz")
    loaded = ReferenceProfile.load(tmp_path / "p.npz")
    assert drift_report(loaded, current).to_dict() == drift_report(profile, current).to_dict()
    (tmp_path / "bad.npz").write_bytes(b"not a profile")
    with pytest.raises(MonitoringError, match="is not a keel reference profile"):
        ReferenceProfile.load(tmp_path / "bad.npz")
    package = ReferenceProfile.from_package_profile(
        reference_profile(reference, infer_schema(reference))
    )
    report = drift_report(package, current)
    assert {c.column: c.method for c in report.columns}["mean"] == "psi"
    assert {"mean", "cat"} <= set(report.drifted) and "steady" not in report.drifted


def test_mon_drift_method_registration_and_clash() -> None:
    with pytest.raises(ConfigError, match="'psi' is a built-in drift method"):

        @drift_method("psi")
        class Clash(DriftMethod):
            def compute(self, current):  # type: ignore[no-untyped-def]
                return MethodResult(0.0, None, 0.0)

    @drift_method("mon_drift_mean_gap")
    class MeanGap(DriftMethod):
        kinds = frozenset({"numeric"})
        default_threshold = 0.3

        def compute(self, current):  # type: ignore[no-untyped-def]
            gap = abs(current.values.mean() - current.reference.values.mean())
            return MethodResult(gap, None, gap / current.reference.std)

    try:
        assert "mon_drift_mean_gap" in drift_methods()
        reference, current = _tables(2_000, seed=7)
        report = drift_report(reference, current, method={"mean": "mon_drift_mean_gap"})
        assert report.columns[2].method == "mon_drift_mean_gap" and report.columns[2].drifted
    finally:
        unregister("mon_drift_mean_gap")


def test_mon_drift_html_is_self_contained(tmp_path: Path) -> None:
    reference, current = _tables(2_000, seed=8)
    drift_report(reference, current).to_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert (
        page.count("<svg") == 3
        and "<script" not in page
        and "http" not in page.replace("http://www.w3.org/2000/svg", "")
    )
