"""The drift benchmark's data design (part E): its shifts are where it says they are, keel's
defaults flag exactly the large ones, and the harness scores flags as documented."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from keel.monitoring import ReferenceProfile, drift_report

BENCH = Path(__file__).parents[2] / "benchmarks"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # the helpers import each other by bare name
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables():
    data = _load("_drift_data")
    rows = 20_000
    reference = data.make_table(rows, current=False)
    current = data.make_table(rows, current=True)
    return data, reference, current


def test_tables_are_seeded_and_shaped(tables):
    data, reference, current = tables
    assert list(reference.columns) == data.NUMERIC + data.CATEGORICAL
    assert reference.shape == current.shape == (20_000, 25)
    again = data.make_table(20_000, current=True)
    assert again.equals(current)
    assert "c0_new" in set(current["cat_0"]) and "c0_new" not in set(reference["cat_0"])


def test_effect_sizes_match_the_design(tables):
    data, reference, current = tables
    effects = data.effect_sizes(reference, current)
    for column, shift in data.SHIFTS.items():
        largest = max(effects[column].values())
        if shift["expected"]:
            assert largest > 0.15, (column, effects[column])
        else:
            assert largest < 0.05, (column, effects[column])
    for column in set(effects) - set(data.SHIFTS):
        assert max(effects[column].values()) < 0.05, (column, effects[column])


def test_keel_defaults_flag_exactly_the_large_shifts(tables):
    data, reference, current = tables
    profile = ReferenceProfile.from_frame(reference, categorical=data.CATEGORICAL)
    report = drift_report(profile, current)
    expected = sorted(c for c, s in data.SHIFTS.items() if s["expected"])
    assert sorted(report.drifted) == expected
    small = {c.column: c for c in report.columns if c.column in data.SHIFTS}
    for column, shift in data.SHIFTS.items():
        if not shift["expected"]:
            assert "below the threshold" in small[column].note


def test_flag_check_scores_as_documented():
    bench = _load("bench_drift")
    ok = bench.flag_check(["cat_0", "num_00", "num_01"])
    assert ok["correct"] and not ok["missed"] and not ok["unshifted_flagged"]
    bad = bench.flag_check(["num_00", "num_05", "cat_4"])
    assert not bad["correct"]
    assert bad["missed"] == ["cat_0", "num_01"]
    assert bad["small_shifts_flagged"] == ["num_05"]
    assert bad["unshifted_flagged"] == ["cat_4"]
