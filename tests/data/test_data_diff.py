"""Data diff: rows by content and by key, column changes, distribution shift."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

import keel.data._diff as diff_module
from keel.data._diff import (
    ColumnChanges,
    DtypeChange,
    RowChange,
    diff_frames,
    population_stability_index,
)
from keel.errors import DataError

# -- rows by content ------------------------------------------------------------------


def test_rows_are_a_multiset_by_content() -> None:
    a = pd.DataFrame({"x": [1, 2, 2, 3, 5], "s": ["p", "q", "q", "r", "t"]})
    b = pd.DataFrame({"x": [3, 2, 4, 4, 5], "s": ["r", "q", "u", "u", "t"]})
    rows = diff_frames(a, b).rows
    # A: p, q, q, r, t   B: r, q, u, u, t  ->  one q and p removed, u twice added
    assert (rows.added, rows.removed, rows.changed, rows.unchanged) == (2, 2, 0, 3)
    assert rows.key is None and rows.compared_columns == ("x", "s")
    assert rows.removed_examples == ({"x": 1, "s": "p"}, {"x": 2, "s": "q"})
    assert rows.added_examples == ({"x": 4, "s": "u"},)  # one example per distinct row


def test_content_diff_counts_on_a_larger_frame() -> None:
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"id": np.arange(1000), "v": rng.normal(size=1000)})
    b = a.drop(index=range(10)).sample(frac=1, random_state=1)  # 10 removed, reordered
    b.loc[500, "v"] += 1  # one changed: one removed and one added
    new = pd.DataFrame({"id": [2000, 2001, 2002], "v": [0.0, 0.0, 0.0]})
    b = pd.concat([b, new])
    rows = diff_frames(a, b, max_examples=2).rows
    assert (rows.added, rows.removed, rows.unchanged) == (4, 11, 989)
    assert (rows.rows_a, rows.rows_b) == (1000, 993)
    assert [r["id"] for r in rows.removed_examples] == [0, 1]
    assert len(rows.added_examples) == 2


def test_max_examples_zero_gives_counts_only() -> None:
    rows = diff_frames(pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]}), max_examples=0).rows
    assert (rows.added, rows.removed) == (1, 1)
    assert rows.added_examples == rows.removed_examples == ()


def test_missing_values_are_equal_to_each_other() -> None:
    a = pd.DataFrame({"x": [1.0, np.nan], "s": pd.array(["a", None], dtype="str")})
    rows = diff_frames(a, a.iloc[::-1]).rows
    assert (rows.added, rows.removed, rows.unchanged) == (0, 0, 2)
    keyed = diff_frames(a.assign(k=[1, 2]), a.assign(k=[1, 2]), key="k").rows
    assert (keyed.changed, keyed.unchanged) == (0, 2)


# -- rows by key ----------------------------------------------------------------------


def _accounts() -> tuple[pd.DataFrame, pd.DataFrame]:
    a = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "plan": ["free", "pro", "pro", "free", "team"],
            "spend": [0.0, 10.0, 12.5, np.nan, 40.0],
        }
    )
    b = pd.DataFrame(
        {
            "id": [5, 3, 2, 6, 7, 4],
            "plan": ["team", "team", "pro", "free", "pro", "free"],
            "spend": [40.0, 30.0, 10.0, 0.0, 10.0, 5.0],
        }
    )
    return a, b


def test_rows_by_key_added_removed_and_changed() -> None:
    a, b = _accounts()
    rows = diff_frames(a, b, key=["id"]).rows
    assert rows.key == ("id",)
    assert (rows.added, rows.removed, rows.changed, rows.unchanged) == (2, 1, 2, 2)
    assert rows.added_examples == (
        {"id": 6, "plan": "free", "spend": 0.0},
        {"id": 7, "plan": "pro", "spend": 10.0},
    )
    assert rows.removed_examples == ({"id": 1, "plan": "free", "spend": 0.0},)
    assert rows.changed_examples == (
        RowChange(key={"id": 3}, values={"plan": ("pro", "team"), "spend": (12.5, 30.0)}),
        RowChange(key={"id": 4}, values={"spend": (None, 5.0)}),
    )
    assert rows.changed_by_column == {"plan": 1, "spend": 2}


def test_a_single_key_name_is_one_column() -> None:
    a, b = _accounts()
    assert diff_frames(a, b, key="id").rows == diff_frames(a, b, key=["id"]).rows


def test_rows_by_a_compound_key() -> None:
    a = pd.DataFrame({"shop": ["x", "x", "y"], "day": [1, 2, 1], "sales": [5, 6, 7]})
    b = pd.DataFrame({"shop": ["y", "x", "y"], "day": [1, 2, 2], "sales": [7, 60, 8]})
    rows = diff_frames(a, b, key=["shop", "day"]).rows
    assert (rows.added, rows.removed, rows.changed, rows.unchanged) == (1, 1, 1, 1)
    assert rows.changed_examples[0] == RowChange(
        key={"shop": "x", "day": 2}, values={"sales": (6, 60)}
    )


@pytest.mark.parametrize("side", ["A", "B"])
def test_duplicate_keys_are_an_error_naming_the_value(side: str) -> None:
    a, b = _accounts()
    doubled = pd.concat([a, a.iloc[[2]]]) if side == "A" else pd.concat([b, b.iloc[[1, 1]]])
    frames = (doubled, b) if side == "A" else (a, doubled)
    times = 2 if side == "A" else 3
    with pytest.raises(DataError, match=rf"not unique in frame {side}: 3 appears {times} times"):
        diff_frames(*frames, key="id")
    assert diff_frames(*frames).rows.key is None  # by content it works


def test_a_missing_key_column_is_an_error() -> None:
    a, b = _accounts()
    with pytest.raises(DataError, match=r"Key column\(s\) \['account'\] are not in frame A"):
        diff_frames(a, b, key="account")


def test_categories_are_compared_by_value() -> None:
    a = pd.DataFrame({"k": [1, 2], "c": pd.Categorical(["x", "y"], categories=["x", "y"])})
    b = pd.DataFrame({"k": [1, 2], "c": pd.Categorical(["x", "z"], categories=["z", "x"])})
    rows = diff_frames(a, b, key="k").rows
    assert rows.changed_examples == (RowChange(key={"k": 2}, values={"c": ("y", "z")}),)


# -- columns --------------------------------------------------------------------------


def test_columns_added_removed_and_retyped() -> None:
    a = pd.DataFrame({"id": [1, 2], "old": [1, 2], "n": [1, 2], "s": ["a", "b"]})
    b = pd.DataFrame({"id": [1, 2], "n": [1.0, 2.0], "s": ["a", "b"], "new": [0, 0]})
    diff = diff_frames(a, b)
    assert diff.columns == ColumnChanges(
        added=("new",), removed=("old",), retyped=(DtypeChange("n", "int64", "float64"),)
    )
    # rows compare on shared columns, with n converted: 1 and 1.0 are the same value
    assert diff.rows.compared_columns == ("id", "n", "s")
    assert (diff.rows.added, diff.rows.removed) == (0, 0)


def test_a_column_turned_to_strings_is_compared_as_strings_and_not_tested() -> None:
    a = pd.DataFrame({"k": [1, 2], "v": [10, 20]})
    b = pd.DataFrame({"k": [1, 2], "v": ["10", "twenty"]})
    diff = diff_frames(a, b, key="k")
    assert diff.rows.changed_examples == (RowChange(key={"k": 2}, values={"v": (20, "twenty")}),)
    assert diff.untested == {"v": "dtype changed from int64 to str"}


# -- distribution shift ---------------------------------------------------------------


def _numbers(seed: int, shift: float = 0.0, n: int = 5000) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc=shift, size=n)


def test_a_mean_shift_of_one_sd_is_flagged_and_noise_is_not() -> None:
    a = pd.DataFrame({"moved": _numbers(1), "steady": _numbers(2)})
    b = pd.DataFrame({"moved": _numbers(3, shift=1.0), "steady": _numbers(4)})
    diff = diff_frames(a, b)
    shifts = {s.column: s for s in diff.shifts}
    assert diff.shifted == ("moved",)
    assert shifts["moved"].psi is not None and shifts["moved"].psi > 0.5
    assert shifts["steady"].psi is not None and shifts["steady"].psi < 0.05
    assert shifts["steady"].kind == "numeric" and not shifts["steady"].shifted
    assert shifts["moved"].js_distance is None and shifts["moved"].chi2 is None


def test_numeric_statistics_are_scipys_and_the_psi_is_on_a_deciles() -> None:
    x, y = _numbers(5), _numbers(6, shift=0.3)
    x[::50] = np.nan
    shift = diff_frames(pd.DataFrame({"v": x}), pd.DataFrame({"v": y})).shifts[0]
    valid = x[~np.isnan(x)]
    expected = stats.ks_2samp(valid, y)
    assert shift.ks_statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert shift.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    edges = [-np.inf, *np.quantile(valid, np.arange(1, 10) / 10), np.inf]
    share_a = pd.Series(pd.cut(valid, edges)).value_counts(sort=False).to_numpy() / len(valid)
    share_b = pd.Series(pd.cut(y, edges)).value_counts(sort=False).to_numpy() / len(y)
    psi = np.sum((share_b - share_a) * np.log(share_b / share_a))
    assert shift.psi == pytest.approx(psi, rel=1e-12)
    assert (shift.n_a, shift.n_b) == (4900, 5000)
    assert shift.null_share_a == pytest.approx(0.02) and shift.null_share_b == 0.0


def test_psi_gives_empty_bins_the_epsilon_share() -> None:
    a = np.arange(100.0)
    b = np.full(10, 1000.0)  # every value beyond A's range: 9 bins empty in B
    share = 0.1
    expected = 9 * (1e-4 - share) * np.log(1e-4 / share) + (1 - share) * np.log(1 / share)
    assert population_stability_index(a, b) == pytest.approx(expected)
    assert population_stability_index(a, b, epsilon=1e-3) < expected


def _colours(seed: int, shares: list[float], n: int = 5000) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(rng.choice(["red", "green", "blue"], size=n, p=shares), dtype="str")


def test_a_categorical_shift_is_flagged_with_scipys_values() -> None:
    a = pd.DataFrame(
        {"moved": _colours(1, [0.6, 0.3, 0.1]), "steady": _colours(2, [0.5] * 2 + [0])}
    )
    b = pd.DataFrame(
        {
            "moved": _colours(3, [0.2, 0.3, 0.5]).astype("category"),
            "steady": _colours(4, [0.5] * 2 + [0]),
        }
    )
    diff = diff_frames(a, b)
    shifts = {s.column: s for s in diff.shifts}
    assert diff.shifted == ("moved",)
    table = np.array(
        [
            a["moved"].value_counts().reindex(["blue", "green", "red"]).to_numpy(),
            b["moved"].astype(str).value_counts().reindex(["blue", "green", "red"]).to_numpy(),
        ]
    )
    moved = shifts["moved"]
    assert moved.kind == "categorical" and moved.psi is None
    assert moved.js_distance == pytest.approx(
        jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum(), base=2), rel=1e-12
    )
    expected = stats.chi2_contingency(table)
    assert moved.chi2 == pytest.approx(expected.statistic, rel=1e-12)
    assert moved.chi2_pvalue == pytest.approx(expected.pvalue, abs=1e-300)
    assert moved.chi2_dof == 2
    assert shifts["steady"].js_distance is not None and shifts["steady"].js_distance < 0.05


def test_a_large_but_insignificant_shift_is_not_flagged() -> None:
    a = pd.DataFrame({"c": ["x", "x", "y"]})
    b = pd.DataFrame({"c": ["y", "y", "x"]})
    shift = diff_frames(a, b).shifts[0]
    assert shift.js_distance is not None and shift.js_distance > 0.1
    assert shift.chi2_pvalue is not None and shift.chi2_pvalue > 0.05
    assert not shift.shifted


def test_one_category_on_both_sides_has_no_shift() -> None:
    shift = diff_frames(pd.DataFrame({"c": ["x"] * 5}), pd.DataFrame({"c": ["x"] * 9})).shifts[0]
    assert (shift.js_distance, shift.chi2, shift.chi2_pvalue, shift.chi2_dof) == (0.0, 0.0, 1.0, 0)


def test_what_is_not_tested_says_why() -> None:
    a = pd.DataFrame(
        {
            "k": [1, 2],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "gone": [np.nan, np.nan],
        }
    )
    b = a.assign(k=[3, 4], gone=[1.0, 2.0])
    diff = diff_frames(a, b, key="k")
    assert diff.untested == {
        "t": "datetime64[us] columns are not tested for a shift",
        "gone": "no non-missing values in A",
    }
    assert "k" not in {s.column for s in diff.shifts}


def test_thresholds_are_arguments() -> None:
    a = pd.DataFrame({"v": _numbers(1)})
    b = pd.DataFrame({"v": _numbers(2, shift=0.2)})
    assert diff_frames(a, b).shifted == ()
    strict = diff_frames(a, b, psi_threshold=0.01)
    assert strict.shifted == ("v",)
    assert strict.thresholds == {"psi": 0.01, "js": 0.1, "alpha": 0.05}


# -- output ---------------------------------------------------------------------------


def test_to_dict_is_plain_json() -> None:
    a, b = _accounts()
    b["when"] = pd.date_range("2024-01-01", periods=6, tz="UTC")
    data = diff_frames(a, b, key="id").to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["rows"]["changed_examples"] == [
        {"key": {"id": 3}, "values": {"plan": ["pro", "team"], "spend": [12.5, 30.0]}},
        {"key": {"id": 4}, "values": {"spend": [None, 5.0]}},
    ]
    assert data["rows"]["added_examples"][0]["when"] == "2024-01-04T00:00:00+00:00"
    assert data["columns"] == {"added": ["when"], "removed": [], "retyped": []}
    assert [s["column"] for s in data["shifts"]] == ["plan", "spend"]
    assert data["shifts"][0]["psi"] is None


def test_summary_lines() -> None:
    rng = np.random.default_rng(0)
    plans = np.array(["free", "pro"])
    a = pd.DataFrame(
        {
            "id": np.arange(2000),
            "plan": plans[rng.integers(0, 2, 2000)],
            "spend": rng.normal(size=2000),
            "extra": 1,
        }
    )
    b = pd.DataFrame(
        {
            "id": np.arange(100, 2100),
            "plan": a["plan"].to_numpy(),
            "spend": rng.normal(3, size=2000),
            "when": pd.Timestamp("2024-01-01"),
        }
    )
    lines = diff_frames(a, b, key="id").summary()
    assert lines[:2] == [
        "rows: 2000 in A, 2000 in B; by key id: 100 added, 100 removed, 1900 changed",
        "  changed columns: plan (957), spend (1900)",
    ]
    assert lines[2:4] == ["columns added: when", "columns removed: extra"]
    assert lines[4].startswith("shifted: spend (PSI ")
    assert lines[5:] == ["no shift in 1 of 2 tested columns"]


def test_bad_arguments_are_refused() -> None:
    frame = pd.DataFrame({"x": [1]})
    with pytest.raises(ValueError, match=r"max_examples must be an integer >= 0\. Got -1"):
        diff_frames(frame, frame, max_examples=-1)
    with pytest.raises(ValueError, match="key must name at least one column"):
        diff_frames(frame, frame, key=[])
    with pytest.raises(DataError, match=r"duplicate column names \['x'\]"):
        diff_frames(pd.DataFrame([[1, 2]], columns=["x", "x"]), frame)


def test_docstring_examples() -> None:
    result = doctest.testmod(diff_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
