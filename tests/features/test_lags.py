"""LagFeatures: per-entity features from strictly earlier rows, batch and single record."""

from __future__ import annotations

import doctest
import math
import pickle
import time
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import keel.features._lags as lags_module
import keel.features._lags_compute as compute_module
import keel.features._lags_frame as frame_module
import keel.features._lags_keys as keys_module
import keel.features._lags_record as record_module
import keel.features._lags_spec as spec_module
from keel.errors import FeatureError
from keel.features._history import MemoryHistory
from keel.features._lags import LagFeatures

T0 = pd.Timestamp("2024-01-01")
FULL = {
    "lags": [1, 3],
    "windows": [2, "5h"],
    "stats": ["mean", "std", "min", "max"],
    "ewm": [0.5, 1.0],
    "diffs": [1, 2],
}


def make(n: int = 60, seed: int = 0, entities: int = 4) -> pd.DataFrame:
    """Rows of a few entities at whole hours (ties within an entity happen), some gaps."""
    rng = np.random.default_rng(seed)
    spend = rng.normal(50, 10, n).round(2)
    spend[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": rng.integers(0, entities, n),
            "t": T0 + pd.to_timedelta(rng.integers(0, 40, n), unit="h"),
            "spend": spend,
        }
    )


def step(**settings: object) -> LagFeatures:
    return LagFeatures(**{"by": "id", "time": "t", "columns": ["spend"], **FULL, **settings})


# -- a slow, obvious reference -------------------------------------------------------------


def reference(X: pd.DataFrame, s: LagFeatures, cap: int = 64) -> np.ndarray:
    """Each row's outputs by the definitions, one row at a time (NaN where missing)."""
    out = []
    for i in range(len(X)):
        same = [j for j in range(len(X)) if X["id"].iloc[j] == X["id"].iloc[i]]
        same.sort(key=lambda j: X["t"].iloc[j])  # stable: ties keep input order
        before = same[: same.index(i)][::-1]  # newest first
        out.append(_reference_row(X, i, before, s, cap))
    return np.array(out)


def _reference_row(
    X: pd.DataFrame, i: int, before: list[int], s: LagFeatures, cap: int
) -> list[float]:
    values = [X["spend"].iloc[j] for j in before]
    now = X["t"].iloc[i]
    row = [values[k - 1] if k <= len(values) else math.nan for k in s.lags]
    for w in s.windows:
        if isinstance(w, int):
            window = [v for v in values[:w] if not math.isnan(v)]
        else:
            span = pd.Timedelta(w)
            window = [
                X["spend"].iloc[j]
                for j in before[:cap]
                if now - span <= X["t"].iloc[j] < now and not math.isnan(X["spend"].iloc[j])
            ]
        for stat in s.stats:
            row.append(_stat(stat, window))
    for alpha in s.ewm:
        pairs = [((1 - alpha) ** k, v) for k, v in enumerate(values[:cap]) if not math.isnan(v)]
        den = sum(w for w, _ in pairs)
        row.append(sum(w * v for w, v in pairs) / den if den > 0 else math.nan)
    for k in s.diffs:
        row.append(values[0] - values[k] if k < len(values) else math.nan)
    return row


def _stat(stat: str, window: list[float]) -> float:
    if not window or (stat == "std" and len(window) < 2):
        return math.nan
    functions = {"mean": np.mean, "min": np.min, "max": np.max}
    return float(np.std(window, ddof=1) if stat == "std" else functions[stat](window))


def filled(expected: np.ndarray, fitted: LagFeatures) -> np.ndarray:
    return np.where(np.isnan(expected), fitted.fill_values_, expected)


# -- what it computes --------------------------------------------------------------------


def test_module_docstrings_run() -> None:
    modules = (lags_module, compute_module, frame_module, keys_module, record_module, spec_module)
    for module in modules:
        assert doctest.testmod(module).failed == 0, module.__name__


def test_output_names_follow_settings_order() -> None:
    chosen = step(lags=[1], windows=[7, "7D"], stats=["mean", "max"], ewm=[0.5], diffs=[1])
    fitted = chosen.fit(make())
    assert list(fitted.get_feature_names_out()) == [
        "spend_lag1", "spend_roll7_mean", "spend_roll7_max", "spend_roll7D_mean",
        "spend_roll7D_max", "spend_ewm0.5", "spend_diff1",
    ]  # fmt: skip
    assert fitted.get_feature_names_out().dtype == object


def test_training_features_match_the_definitions() -> None:
    X = make(80, seed=1)
    s = step()
    found = s.fit_transform(X)
    np.testing.assert_allclose(found, filled(reference(X, s), s), rtol=1e-9, atol=1e-12)
    assert found.dtype == np.float64 and found.flags.c_contiguous and np.isfinite(found).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30), st.integers(1, 4))
def test_definitions_hold_on_random_frames(seed: int, n: int, cap: int) -> None:
    X = make(n, seed=seed, entities=3)
    s = step(max_history=cap)
    found = s.fit_transform(X)
    np.testing.assert_allclose(found, filled(reference(X, s, cap), s), rtol=1e-9, atol=1e-12)


def test_without_time_rows_follow_input_order() -> None:
    X = pd.DataFrame({"id": [1, 2, 1, 1], "spend": [1.0, 5.0, 2.0, 4.0]})
    s = LagFeatures(by="id", columns=["spend"], lags=[1], windows=[2], ewm=[0.5])
    found = s.fit_transform(X)
    assert found[:, 0].tolist() == [1.5, 1.5, 1.0, 2.0]  # fill: median of lag1 values 1, 2
    assert found[3, 1] == 1.5 and found[3, 2] == (2.0 + 0.5 * 1.0) / 1.5


def test_fill_values_are_training_medians_and_zero_when_never_seen() -> None:
    X = pd.DataFrame({"id": [1, 1, 1, 2], "spend": [1.0, 3.0, 10.0, 0.0]})
    s = LagFeatures(by="id", columns=["spend"], lags=[1, 5]).fit(X)
    assert s.fill_values_.tolist() == [2.0, 0.0]


# -- leakage ------------------------------------------------------------------------------


def computed(fitted: LagFeatures, X: pd.DataFrame, history: object = None) -> np.ndarray:
    """The outputs before filling (NaN where missing): fills are medians of training
    features, which a change to the training rows may move."""
    plan = fitted.plan_
    return frame_module.batch_features(plan, frame_module.parse_rows(plan, X), history)  # type: ignore[arg-type]


def test_a_rows_own_value_and_later_values_never_change_its_features() -> None:
    X = make(50, seed=3)
    s = step().fit(X)
    base = computed(s, X)
    t = X["t"].to_numpy()
    for i in range(0, 50, 3):
        same = X["id"] == X["id"].iloc[i]
        later = same & ((t > t[i]) | ((t == t[i]) & (np.arange(50) > i)))
        changed = X.copy()
        changed.loc[i, "spend"] = 1e6
        changed.loc[later, "spend"] = -1e6
        np.testing.assert_array_equal(computed(s, changed)[i], base[i])
    assert base.shape == (50, 14) and not np.isnan(base).all()


def test_a_shuffled_frame_gives_each_row_the_same_features() -> None:
    X = make(60, seed=4).drop_duplicates(["id", "t"]).reset_index(drop=True)
    shuffled = X.sample(frac=1.0, random_state=0)
    found = step().fit_transform(shuffled)
    np.testing.assert_array_equal(found, step().fit_transform(X)[shuffled.index.to_numpy()])


def test_time_windows_leave_out_rows_at_the_same_time() -> None:
    one = T0 + pd.Timedelta(hours=1)
    X = pd.DataFrame({"id": [1] * 4, "t": [T0, one, one, one], "spend": [1.0, 2.0, 4.0, 8.0]})
    s = LagFeatures(by="id", time="t", columns=["spend"], windows=["1D"], stats=["mean", "max"])
    found = computed(s.fit(X), X)
    # The three rows at 01:00 read only the 00:00 row; a lag still sees ties in input order.
    assert found[1:].tolist() == [[1.0, 1.0]] * 3
    lag = LagFeatures(by="id", time="t", columns=["spend"], lags=[1]).fit_transform(X)
    assert lag[1:, 0].tolist() == [1.0, 2.0, 4.0]


def test_transform_reads_training_history_as_if_appended() -> None:
    X = make(120, seed=5)
    split = T0 + pd.Timedelta(hours=30)
    train, test = X[X["t"] < split], X[X["t"] >= split]
    together = step().fit_transform(pd.concat([train, test]))
    fitted = step().fit(train)
    # Fills differ (medians of different rows): compare the values computed.
    joint = computed(fitted, pd.concat([train, test]))[len(train) :]
    np.testing.assert_array_equal(computed(fitted, test, fitted.history_), joint)
    assert together.shape[0] == len(X)


def test_history_later_than_a_row_is_never_read() -> None:
    X = pd.DataFrame({"id": [1, 1], "t": [T0, T0 + pd.Timedelta(days=9)], "spend": [1.0, 2.0]})
    s = LagFeatures(by="id", time="t", columns=["spend"], lags=[1]).fit(X)
    early = pd.DataFrame({"id": [1], "t": [T0 + pd.Timedelta(days=1)], "spend": [0.0]})
    assert s.transform(early).tolist() == [[1.0]]
    assert s.record_function()({"id": 1, "t": T0 + pd.Timedelta(days=1)}) == [1.0]


def test_an_unseen_entity_and_rows_without_entity_or_time_get_the_fills() -> None:
    s = step().fit(make())
    new = pd.DataFrame({"id": [99, None, 1], "t": [T0, T0, None], "spend": [1.0, 2.0, 3.0]})
    found = s.transform(new)
    assert (found == s.fill_values_).all()
    f = s.record_function()
    assert f({"id": 99, "t": T0}) == f({"t": T0}) == f({"id": 1}) == s.fill_values_.tolist()


# -- the single-record path ----------------------------------------------------------------

RECORDS = st.fixed_dictionaries(
    {
        "id": st.sampled_from([0, 1, 2, 3, 7, 1.0, None]),
        "t": st.one_of(
            st.none(),
            st.integers(-5, 50).map(lambda h: (T0 + pd.Timedelta(hours=h)).to_pydatetime()),
        ),
        "spend": st.one_of(st.none(), st.floats(-1e3, 1e3)),
    }
)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 1000), RECORDS)
def test_record_function_equals_transform(seed: int, record: dict) -> None:
    s = step(windows=[2, "5h", "1D"], max_history=6).fit(make(50, seed=seed))
    expected = s.transform(pd.DataFrame([record]))[0]
    assert s.record_function()(record) == expected.tolist()


def test_record_function_reads_appended_history_and_does_not_append() -> None:
    s = LagFeatures(by="id", time="t", columns=["spend"], lags=[1, 2]).fit(make())
    f = s.record_function()
    record = {"id": 5, "t": T0 + pd.Timedelta(days=3), "spend": 10.0}
    assert f(record) == f(record) == s.fill_values_.tolist()
    s.history_.append(pd.DataFrame([record]))
    assert f({**record, "t": T0 + pd.Timedelta(days=4)})[0] == 10.0


def test_time_values_of_every_kind_agree() -> None:
    days = pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC")
    X = pd.DataFrame({"id": [1, 1], "t": days, "spend": [1.0, 2.0]})
    s = LagFeatures(by="id", time="t", columns=["spend"], lags=[1], windows=["1D"]).fit(X)
    f = s.record_function()
    later = [
        datetime(2024, 1, 3, tzinfo=UTC),
        pd.Timestamp("2024-01-03", tz="UTC"),
        np.datetime64("2024-01-03"),
    ]
    for value in later:
        expected = s.transform(pd.DataFrame({"id": [1], "t": [value], "spend": [0.0]}))[0]
        assert f({"id": 1, "t": value}) == expected.tolist() == [2.0, 2.0]
    assert f({"id": 1, "t": date(2024, 1, 3)}) == [2.0, 2.0]


def test_a_numeric_time_column_orders_rows() -> None:
    X = pd.DataFrame({"id": [1, 1, 1], "step": [3, 1, 2], "spend": [30.0, 10.0, 20.0]})
    s = LagFeatures(by="id", time="step", columns=["spend"], lags=[1])
    assert s.fit_transform(X)[:, 0].tolist() == [20.0, 15.0, 10.0]
    assert s.record_function()({"id": 1, "step": 3.5}) == [30.0]
    assert s.record_function()({"id": 1, "step": 2.5}) == [15.0]  # only step 3 was kept
    with pytest.raises(FeatureError, match="held numeric values in fit"):
        s.record_function()({"id": 1, "step": T0})
    with pytest.raises(FeatureError, match="held numeric values in fit"):
        s.transform(pd.DataFrame({"id": [1], "step": [T0], "spend": [1.0]}))


# -- estimator contract -----------------------------------------------------------------------


def test_clone_get_params_and_pickle_round_trip() -> None:
    s = step(max_history=8)
    assert clone(s).get_params() == s.get_params()
    fitted = s.fit(make())
    loaded = pickle.loads(pickle.dumps(fitted))
    test = make(30, seed=9).assign(t=lambda d: d["t"] + pd.Timedelta(days=5))
    np.testing.assert_array_equal(loaded.transform(test), fitted.transform(test))
    record = {"id": 1, "t": T0 + pd.Timedelta(days=5)}
    assert loaded.record_function()(record) == fitted.record_function()(record)
    assert isinstance(fitted.history_, MemoryHistory) and fitted.history_.maxlen == 8


def test_single_rows_and_missing_values_give_finite_outputs() -> None:
    s = step()
    one = pd.DataFrame({"id": [1], "t": [T0], "spend": [None]})
    assert s.fit_transform(one).tolist() == [[0.0] * 14]
    frame = pd.DataFrame(
        {
            "id": pd.array([1, 1, pd.NA], dtype="Int64"),
            "t": [T0, pd.NaT, T0],
            "spend": pd.array([1.0, pd.NA, 2.0], dtype="Float64"),
        }
    )
    assert np.isfinite(s.fit(make()).transform(frame)).all()
    hours = T0 + pd.to_timedelta([0, 1, 2], unit="h")
    huge = pd.DataFrame({"id": [1, 1, 1], "t": hours, "spend": [1e308, 1e308, np.inf]})
    assert np.isfinite(step().fit_transform(huge)).all()


def test_unfitted_use_is_a_feature_error() -> None:
    with pytest.raises(FeatureError, match="not fitted"):
        step().transform(make())


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ({"lags": [0]}, "lags", r"distinct integers >= 1. Got \[0\]"),
        ({"lags": [1, 1]}, "lags", "distinct"),
        ({"diffs": [True]}, "diffs", "integers >= 1"),
        ({"windows": ["7"]}, "windows", "time spans"),
        ({"windows": ["soon"]}, "windows", "'soon'"),
        ({"windows": ["1M"]}, "windows", "'1M'"),
        ({"windows": [0]}, "windows", "row counts >= 1"),
        ({"stats": ["median"]}, "stats", "median"),
        ({"stats": []}, "stats", "non-empty"),
        ({"ewm": [0.0]}, "ewm", r"\(0, 1\]"),
        ({"ewm": [1.5]}, "ewm", "1.5"),
        ({"max_history": 0}, "max_history", "integer >= 1"),
        ({"lags": [], "windows": [], "ewm": [], "diffs": []}, "lags", "makes no features"),
        ({"history": "memory"}, "history", "HistoryStore"),
        ({"columns": ["id"]}, "columns", "other than 'by'"),
        ({"columns": []}, "columns", "non-empty"),
        ({"by": ""}, "by", "entity column"),
        ({"time": "id"}, "time", "other than 'id'"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict, field: str, message: str) -> None:
    with pytest.raises(FeatureError, match=message) as info:
        step(**settings).fit(make())
    assert info.value.field == field


def test_time_spans_need_a_time_column_of_datetimes() -> None:
    with pytest.raises(FeatureError, match="no 'time' column") as info:
        LagFeatures(by="id", columns=["spend"], windows=["7D"]).fit(make())
    assert info.value.field == "windows"
    X = pd.DataFrame({"id": [1], "step": [1], "spend": [1.0]})
    with pytest.raises(FeatureError, match="need a datetime time column"):
        LagFeatures(by="id", time="step", columns=["spend"], windows=["7D"]).fit(X)


@pytest.mark.parametrize(
    ("frame", "field", "message"),
    [
        (make().drop(columns="id"), "id", "'by' setting .* names column 'id'"),
        (make().drop(columns="spend"), "spend", "'columns' setting"),
        (make().assign(spend="high"), "spend", "must name numeric columns"),
        (make().assign(t="yesterday"), "t", "must hold datetimes or numbers"),
        (make().assign(t=True), "t", "must hold datetimes or numbers"),
    ],
)
def test_bad_input_names_the_column(frame: pd.DataFrame, field: str, message: str) -> None:
    with pytest.raises(FeatureError, match=message) as info:
        step().fit(frame)
    assert info.value.field == field


def test_a_non_frame_input_is_refused() -> None:
    with pytest.raises(FeatureError, match="needs a pandas DataFrame"):
        step().fit(np.zeros((3, 3)))


@pytest.mark.slow
def test_a_million_rows_take_seconds() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    X = pd.DataFrame(
        {
            "id": rng.integers(0, 10_000, n),
            "t": T0 + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "spend": rng.normal(100, 20, n),
        }
    )
    s = LagFeatures(by="id", time="t", columns=["spend"], lags=[1, 7], windows=[7, 28])
    start = time.perf_counter()
    assert s.fit_transform(X).shape == (n, 4)
    assert time.perf_counter() - start < 10
