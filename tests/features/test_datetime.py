"""DatetimeFeatures: calendar, cyclical and elapsed outputs, missing fills, the record path."""

from __future__ import annotations

import doctest
import math
import pickle
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import keel.features._datetime as datetime_module
from keel.errors import FeatureError
from keel.features._datetime import DatetimeFeatures

ALL = ["calendar", "cyclical", "elapsed"]


def _row(step: DatetimeFeatures, value: object) -> dict[str, float]:
    out = step.transform(pd.DataFrame({"signup": [value]}))
    return dict(zip(step.get_feature_names_out(), out[0].tolist(), strict=True))


def test_names_follow_parts_in_a_fixed_order() -> None:
    X = pd.DataFrame({"signup": ["2024-01-01"], "last": ["2024-02-01"]})
    step = DatetimeFeatures(parts=["elapsed", "cyclical", "calendar"]).fit(X)
    names = list(step.get_feature_names_out())
    assert names[:8] == [
        "signup_year",
        "signup_month",
        "signup_day",
        "signup_dayofweek",
        "signup_hour",
        "signup_dayofyear",
        "signup_is_weekend",
        "signup_month_sin",
    ]
    assert names[13:16] == ["signup_dayofyear_sin", "signup_dayofyear_cos", "signup_elapsed_days"]
    assert len(names) == 2 * 16 and names[16 + 0] == "last_year"
    assert step.transform(X).shape == (1, 32)


def test_calendar_of_a_tz_aware_value_is_taken_in_utc() -> None:
    # 01:00 on Saturday 2 March in UTC+02:00 is 23:00 on Friday 1 March in UTC.
    step = DatetimeFeatures().fit(pd.DataFrame({"signup": ["2024-01-01"]}))
    row = _row(step, "2024-03-02T01:00:00+02:00")
    assert row == {
        "signup_year": 2024.0,
        "signup_month": 3.0,
        "signup_day": 1.0,
        "signup_dayofweek": 4.0,
        "signup_hour": 23.0,
        "signup_dayofyear": 61.0,
        "signup_is_weekend": 0.0,
    }
    assert _row(step, "2024-03-03")["signup_is_weekend"] == 1.0


def test_every_kind_of_value_for_one_instant_gives_the_same_row() -> None:
    step = DatetimeFeatures(parts=ALL).fit(pd.DataFrame({"signup": ["2020-01-01"]}))
    aware = datetime(2024, 5, 6, 14, 30, tzinfo=timezone(timedelta(hours=-4)))
    values = [
        aware,
        aware.isoformat(),
        "2024-05-06T18:30:00Z",
        datetime(2024, 5, 6, 18, 30),
        pd.Timestamp(aware),
        pd.Timestamp("2024-05-06 18:30", tz="UTC").tz_convert("Asia/Tokyo"),
        np.datetime64("2024-05-06T18:30:00.000000000"),
    ]
    rows = [_row(step, v) for v in values]
    assert all(r == rows[0] for r in rows)
    column = pd.DataFrame({"signup": pd.to_datetime(["2024-05-06T18:30"]).tz_localize("UTC")})
    assert step.transform(column)[0].tolist() == list(rows[0].values())


def test_cyclical_numbers_month_and_day_from_zero() -> None:
    step = DatetimeFeatures(parts=["cyclical"]).fit(pd.DataFrame({"d": ["2024-01-01"]}))
    row = dict(
        zip(
            step.get_feature_names_out(),
            step.transform(pd.DataFrame({"d": ["2024-01-01T06:00"]}))[0],
            strict=True,
        )
    )
    assert (row["d_month_sin"], row["d_month_cos"]) == (0.0, 1.0)  # January is 0
    assert (row["d_dayofyear_sin"], row["d_dayofyear_cos"]) == (0.0, 1.0)  # 1 January is 0
    assert row["d_hour_sin"] == pytest.approx(1.0) and abs(row["d_hour_cos"]) < 1e-15
    assert row["d_dayofweek_sin"] == 0.0  # a Monday
    july = step.transform(pd.DataFrame({"d": ["2024-07-01"]}))[0]
    assert july[0] == pytest.approx(math.sin(2 * math.pi * 6 / 12), abs=1e-15)


def test_elapsed_days_count_from_the_reference_or_the_earliest_value() -> None:
    X = pd.DataFrame({"d": ["2024-01-03", "2024-01-01T12:00", None]})
    default = DatetimeFeatures(parts=["elapsed"]).fit(X)
    assert default.transform(X)[:2, 0].tolist() == [1.5, 0.0]
    fixed = DatetimeFeatures(parts=["elapsed"], reference="2023-12-31T00:00:00+00:00").fit(X)
    assert fixed.transform(X)[:2, 0].tolist() == [3.0, 1.5]
    assert fixed.transform(pd.DataFrame({"d": ["2023-12-30"]}))[0, 0] == -1.0


def test_missing_values_get_the_training_mode_and_median() -> None:
    X = pd.DataFrame({"d": ["2024-02-01", "2024-02-03", "2024-05-10T07:00", None]})
    step = DatetimeFeatures(parts=ALL).fit(X)
    filled = dict(zip(step.get_feature_names_out(), step.transform(X)[3], strict=True))
    assert filled["d_month"] == 2.0 and filled["d_day"] == 1.0  # mode; ties to the smallest
    assert filled["d_hour"] == 0.0 and filled["d_year"] == 2024.0
    assert filled["d_month_sin"] == math.sin(2 * math.pi * 1 / 12)
    assert filled["d_elapsed_days"] == 2.0  # median of 0, 2 and 99.29
    for missing in [None, math.nan, pd.NA, pd.NaT, np.datetime64("NaT"), ""]:
        assert step.transform(pd.DataFrame({"d": [missing]}))[0].tolist() == list(filled.values())
    assert step.record_function()({}) == list(filled.values())


def test_an_all_missing_column_fills_with_its_reference() -> None:
    step = DatetimeFeatures(parts=ALL, reference="2024-03-01").fit(pd.DataFrame({"d": [None]}))
    out = step.transform(pd.DataFrame({"d": [None, None]}))
    assert np.isfinite(out).all()
    assert out[0, :3].tolist() == [2024.0, 3.0, 1.0] and out[0, -1] == 0.0


def test_datetime64_columns_and_python_objects_agree() -> None:
    values = [datetime(2021, 3, 4, 5, 6, 7, 891011), None, datetime(1969, 12, 31, 23, 59)]
    objects = pd.DataFrame({"d": pd.Series(values, dtype=object)})
    typed = pd.DataFrame({"d": pd.to_datetime(pd.Series(values))})
    step = DatetimeFeatures(parts=ALL).fit(objects)
    assert np.array_equal(step.transform(objects), step.transform(typed))
    nanos = pd.DataFrame({"d": typed["d"].astype("datetime64[ns]")})
    assert np.array_equal(step.transform(objects), step.transform(nanos))


def test_dates_and_nanoseconds() -> None:
    step = DatetimeFeatures(parts=["elapsed"], reference="1970-01-01").fit(
        pd.DataFrame({"d": [date(1970, 1, 2)]})
    )
    assert step.transform(pd.DataFrame({"d": [date(1970, 1, 2)]}))[0, 0] == 1.0
    # Time is floored to whole microseconds, also before 1970.
    before = pd.DataFrame({"d": [pd.Timestamp("1969-12-31 23:59:59.999999999")]})
    assert step.transform(before)[0, 0] == -1 / 86_400_000_000


@pytest.mark.parametrize(
    ("settings_", "field"),
    [
        ({"parts": ["calendar", "weekly"]}, "parts"),
        ({"parts": []}, "parts"),
        ({"parts": "calendar"}, "parts"),
        ({"parts": ["calendar", "calendar"]}, "parts"),
        ({"reference": "yesterday"}, "reference"),
        ({"reference": 2024}, "reference"),
    ],
)
def test_bad_settings_are_refused_at_fit(settings_: dict, field: str) -> None:
    step = DatetimeFeatures(**settings_)  # __init__ only stores
    with pytest.raises(FeatureError, match=f"'{field}' setting of features.DatetimeFeatures"):
        step.fit(pd.DataFrame({"d": ["2024-01-01"]}))


@pytest.mark.parametrize("value", [12.5, 3, "2024-13-01", "soon", True])
def test_a_value_that_is_not_a_datetime_is_refused(value: object) -> None:
    step = DatetimeFeatures().fit(pd.DataFrame({"d": ["2024-01-01"]}))
    with pytest.raises(FeatureError, match=r"Column 'd'.*Got") as caught:
        step.transform(pd.DataFrame({"d": [value]}))
    assert caught.value.field == "d"
    with pytest.raises(FeatureError, match="Column 'd'"):
        step.record_function()({"d": value})


def test_misuse_is_a_feature_error() -> None:
    with pytest.raises(FeatureError, match="not fitted"):
        DatetimeFeatures().transform(pd.DataFrame({"d": ["2024-01-01"]}))
    step = DatetimeFeatures().fit(pd.DataFrame({"d": ["2024-01-01"]}))
    with pytest.raises(FeatureError, match=r"lacks \['d'\]"):
        step.transform(pd.DataFrame({"e": ["2024-01-01"]}))
    with pytest.raises(FeatureError, match="DataFrame"):
        step.transform(np.array([["2024-01-01"]]))
    with pytest.raises(FeatureError, match="input_features"):
        step.get_feature_names_out(["e"])
    assert step.get_feature_names_out(["d"])[0] == "d_year"


def test_clone_params_and_pickle() -> None:
    step = DatetimeFeatures(parts=["cyclical", "elapsed"], reference="2020-01-01")
    assert clone(step).get_params() == {"parts": ["cyclical", "elapsed"], "reference": "2020-01-01"}
    X = pd.DataFrame({"d": ["2024-01-01", None, "2025-06-07T08:09"]})
    step.fit(X)
    again = pickle.loads(pickle.dumps(step))
    out = step.transform(X)
    assert np.array_equal(again.transform(X), out)
    assert out.dtype == np.float64 and out.flags.c_contiguous and np.isfinite(out).all()


_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
_MOMENTS = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.none() | _ZONES)


@st.composite
def _raw(draw: st.DrawFn) -> object:
    moment = draw(_MOMENTS)
    kind = draw(st.sampled_from(["datetime", "iso", "timestamp", "numpy", "missing"]))
    if kind == "iso":
        return moment.isoformat(sep=draw(st.sampled_from(["T", " "])))
    if kind == "timestamp":
        return pd.Timestamp(moment) + pd.Timedelta(draw(st.integers(0, 999)), unit="ns")
    if kind == "numpy":
        naive = moment.replace(tzinfo=None)
        return np.datetime64(naive, "ns") + np.timedelta64(draw(st.integers(-999, 999)), "ns")
    return draw(st.sampled_from([None, math.nan, pd.NaT])) if kind == "missing" else moment


_FITTED = DatetimeFeatures(parts=ALL).fit(
    pd.DataFrame({"a": ["2001-02-03", "2010-10-10T10:10", None], "b": ["1950-05-05"] * 3})
)
_RECORD = _FITTED.record_function()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.fixed_dictionaries({"a": _raw(), "b": _raw()}), min_size=1, max_size=4))
def test_record_function_equals_transform(records: list[dict]) -> None:
    batch = _FITTED.transform(pd.DataFrame(records, dtype=object))
    for i, record in enumerate(records):
        expected = _FITTED.transform(pd.DataFrame([record]))[0].tolist()
        assert _RECORD(record) == expected == batch[i].tolist()


def test_module_examples_run() -> None:
    assert doctest.testmod(datetime_module).failed == 0
