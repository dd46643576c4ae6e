"""Schema inference on real bundled data sets and on a hand-made messy frame: types, roles,
ranges, categories, statistics, warnings, user edits kept from a previous schema."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from keel.data import ColumnSchema, Schema
from keel.data._infer import SchemaInferenceWarning, infer_schema
from keel.errors import SchemaError

ROWS = 12
pytestmark = pytest.mark.filterwarnings("ignore::keel.data._infer.SchemaInferenceWarning")


def _types(schema: Schema) -> dict[str, tuple[str, str]]:
    return {c.name: (c.type, c.role) for c in schema.columns}


def _infer(frame: pd.DataFrame, **kwargs: object) -> tuple[Schema, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = infer_schema(frame, **kwargs)  # type: ignore[arg-type]
    notes = [str(w.message) for w in caught if issubclass(w.category, SchemaInferenceWarning)]
    return schema, notes


@pytest.fixture(scope="module")
def messy() -> pd.DataFrame:
    zurich = pd.Timestamp("2024-03-01 09:00", tz="Europe/Zurich")
    tokyo = pd.Timestamp("2024-03-01 09:00", tz="Asia/Tokyo")
    return pd.DataFrame(
        {
            "customer_id": np.arange(100, 100 + ROWS),
            "nothing": [None] * ROWS,
            "mixed": pd.Series([1, "a", 2, "b", None, 3] * 2, dtype=object),
            "city": ["Zürich", "東京", "🙂", "Zürich", None, "Zürich"] * 2,
            "two_zones": pd.Series([zurich, tokyo] * (ROWS // 2), dtype=object),
            "one_zone": pd.date_range("2024-03-30", periods=ROWS, freq="D", tz="Europe/Zurich"),
            "visits": [1.0, 2.0, None, 4.0, 5.0, 6.0] * 2,
            "member": pd.Series([True, None, False, True, True, None] * 2, dtype=object),
            "comment": [f"free text {i} with ünïcode" for i in range(ROWS)],
            "constant": [7] * ROWS,
            "price": np.linspace(0.5, 99.5, ROWS),
            "day": [f"2024-01-{d:02d}" for d in range(1, ROWS + 1)],
            "churned": [0, 1] * (ROWS // 2),
        }
    )


def test_real_data_wine_and_diabetes() -> None:
    wine = infer_schema(load_wine(as_frame=True).frame, target="target", source="sklearn wine")
    assert wine.source == "sklearn wine" and wine.row_count == 178
    # magnesium and proline are whole numbers stored as float: integer
    assert _types(wine)["magnesium"] == ("integer", "feature")
    assert _types(wine)["proline"] == ("integer", "feature")
    assert _types(wine)["alcohol"] == ("numeric", "feature")
    assert _types(wine)["target"] == ("integer", "target")
    raw = infer_schema(load_diabetes(as_frame=True, scaled=False).frame, target="target")
    assert {c.name: c.type for c in raw.columns if c.type == "integer"}.keys() >= {"age", "sex"}
    assert raw.column("bmi").type == "numeric"


def test_statistics_match_numpy_and_pandas() -> None:
    frame = load_diabetes(as_frame=True).frame
    column = infer_schema(frame).column("bmi")
    values = frame["bmi"].to_numpy()
    expected = dict(
        zip(
            ["p01", "p25", "p50", "p75", "p99"],
            np.percentile(values, [1, 25, 50, 75, 99]),
            strict=True,
        )
    )
    for key, value in expected.items():
        assert column.stats[key] == pytest.approx(value, rel=1e-12, abs=1e-15)
    assert column.stats["mean"] == pytest.approx(values.mean())
    assert column.stats["std"] == pytest.approx(frame["bmi"].std())
    assert column.stats["n_unique"] == frame["bmi"].nunique()
    assert (column.observed_min, column.observed_max) == (values.min(), values.max())
    assert list(column.stats) == [
        "count", "null_count", "n_unique", "mean", "std", "min",
        "p01", "p25", "p50", "p75", "p99", "max",
    ]  # fmt: skip


def test_messy_frame_types_and_roles(messy: pd.DataFrame) -> None:
    schema, notes = _infer(messy, target="churned")
    assert _types(schema) == {
        "customer_id": ("integer", "id"),
        "nothing": ("text", "ignore"),
        "mixed": ("text", "feature"),
        "city": ("categorical", "feature"),
        "two_zones": ("datetime", "feature"),
        "one_zone": ("datetime", "feature"),
        "visits": ("integer", "feature"),
        "member": ("boolean", "feature"),
        "comment": ("text", "feature"),
        "constant": ("integer", "feature"),
        "price": ("numeric", "feature"),
        "day": ("datetime", "feature"),
        "churned": ("integer", "target"),
    }
    assert notes == [
        "Column 'nothing' has no values (all 12 are null); its role is 'ignore'.",
        "Column 'mixed' mixes value types (int, str); it is kept as text.",
    ]


def test_messy_frame_details(messy: pd.DataFrame) -> None:
    schema, _ = _infer(messy)
    city = schema.column("city")
    assert city.categories == {"Zürich": 6, "東京": 2, "🙂": 2}
    assert city.nullable and city.stats["null_count"] == 2
    assert schema.column("two_zones").timezone == "UTC"  # several zones: instants in UTC
    assert schema.column("two_zones").observed_min == "2024-03-01T00:00:00+00:00"  # Tokyo 09:00
    one = schema.column("one_zone")
    assert one.timezone == "Europe/Zurich"
    assert (one.observed_min, one.observed_max) == (
        "2024-03-30T00:00:00+01:00",
        "2024-04-10T00:00:00+02:00",  # across the DST change, in the column's zone
    )
    assert one.stats["min"] == datetime(2024, 3, 29, 23, tzinfo=UTC).timestamp()
    assert schema.column("day").timezone is None
    visits = schema.column("visits")
    assert visits.nullable and (visits.observed_min, visits.observed_max) == (1.0, 6.0)
    member = schema.column("member")
    assert member.nullable and member.categories == {"false": 2, "true": 6}
    assert member.stats["mean"] == 0.75
    constant = schema.column("constant")
    assert constant.stats["n_unique"] == 1 and constant.stats["std"] == 0
    assert not schema.column("customer_id").nullable
    nothing = schema.column("nothing")
    assert nothing.stats == {"count": 0, "null_count": 12, "n_unique": 0}


def test_schema_round_trips_through_json(messy: pd.DataFrame) -> None:
    schema, _ = _infer(messy.assign(inf=[np.inf, 1.0, -np.inf] * 4))
    assert Schema.from_json(schema.to_json()) == schema
    inf = schema.column("inf")
    assert (inf.observed_min, inf.observed_max) == (1.0, 1.0)  # finite values only
    assert inf.stats["count"] == 12


def test_string_datetimes_with_offsets() -> None:
    same = pd.DataFrame({"t": ["2024-01-01T10:00:00+02:00", "2024-01-02T10:00:00+02:00"] * 3})
    assert infer_schema(same).column("t").timezone == "+02:00"
    assert infer_schema(same).column("t").observed_min == "2024-01-01T10:00:00+02:00"
    several = pd.DataFrame({"t": ["2024-01-01T10:00:00+02:00", "2024-01-01T10:00:00Z"] * 3})
    column = infer_schema(several).column("t")
    assert (column.type, column.timezone) == ("datetime", "UTC")
    assert column.observed_min == "2024-01-01T08:00:00+00:00"


def test_strings_that_only_look_like_dates_or_mix_offsets() -> None:
    frame = pd.DataFrame(
        {
            "bad_day": ["2024-02-30", "2024-01-01", "2024-01-01"] * 2,
            "half_zoned": ["2024-01-01T10:00+02:00", "2024-01-01T10:00", "2024-01-01T10:00"] * 2,
            "codes": ["01234", "01234", "99999"] * 2,
        }
    )
    schema, notes = _infer(frame)
    assert _types(schema)["bad_day"] == ("categorical", "feature")
    assert _types(schema)["half_zoned"] == ("text", "feature")
    assert _types(schema)["codes"] == ("categorical", "feature")  # not numbers
    assert notes == [
        "Column 'half_zoned' mixes datetimes with and without a UTC offset (2 of 6 have one); "
        "it is kept as text."
    ]


def test_categorical_or_text_by_repetition_and_length() -> None:
    frame = pd.DataFrame(
        {
            "repeats": ["a", "b"] * 10,
            "unique": [f"u{i}" for i in range(20)],
            "long": ["x" * 60, "y" * 60] * 10,
            "as_category": pd.Categorical(["lo", "hi"] * 10, categories=["lo", "hi", "mid"]),
        }
    )
    schema = infer_schema(frame)
    assert {c.name: c.type for c in schema.columns} == {
        "repeats": "categorical",
        "unique": "text",
        "long": "text",
        "as_category": "categorical",
    }
    assert schema.column("as_category").categories == {"hi": 10, "lo": 10, "mid": 0}


def test_categories_are_capped_and_it_says_so() -> None:
    frame = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 3 + ["e"] * 2})
    schema, notes = _infer(frame, max_categories=3)
    column = schema.column("c")
    assert column.categories == {"a": 5, "b": 4, "c": 3}  # ties broken by value
    assert column.stats["n_unique"] == 5
    assert notes == [
        "Column 'c' has 5 categories; the schema keeps the 3 most frequent and the others "
        "will validate as unseen."
    ]


def test_id_detection_needs_an_id_name_and_unique_values() -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "orderId": ["o1", "o2", "o3", "o4"],
            "user_id": [1, 1, 2, 3],  # repeats: a feature (or an entity)
            "width": [1, 2, 3, 4],  # unique, but not named like an id
            "paid": [1.5, 2.5, 3.5, 4.5],
        }
    )
    roles = {c.name: c.role for c in infer_schema(frame).columns}
    assert roles == {
        "id": "id",
        "orderId": "id",
        "user_id": "feature",
        "width": "feature",
        "paid": "feature",
    }
    assert infer_schema(frame, entity="user_id").column("user_id").role == "entity"


def test_roles_are_checked(messy: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="The target column 'nope' is not in the data"):
        infer_schema(messy, target="nope")
    with pytest.raises(SchemaError, match="cannot be both target and entity"):
        infer_schema(messy, target="churned", entity="churned")
    with pytest.raises(SchemaError, match="timestamp column 'price' must hold datetimes"):
        infer_schema(messy, timestamp="price")
    assert infer_schema(messy.drop(columns="mixed"), timestamp="day").column("day").role == (
        "timestamp"
    )


def test_column_names_must_be_unique_strings() -> None:
    with pytest.raises(SchemaError, match=r"must be non-empty strings\. Got 0"):
        infer_schema(pd.DataFrame([[1, 2]]))
    with pytest.raises(SchemaError, match="appear twice: a"):
        infer_schema(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_previous_schema_keeps_user_edits(messy: pd.DataFrame) -> None:
    first, _ = _infer(messy, target="churned")
    edited = first.with_column(
        first.column("constant").model_copy(update={"type": "categorical", "pinned": True})
    )
    edited = edited.with_column(
        edited.column("price").model_copy(update={"allowed_min": 0.0, "allowed_max": 1000.0})
    )
    edited = edited.with_column(edited.column("comment").model_copy(update={"role": "ignore"}))
    edited = edited.with_column(edited.column("visits").model_copy(update={"nullable": True}))
    newer = messy.drop(columns=["mixed"]).assign(visits=[1.0] * ROWS)
    schema, notes = _infer(newer, previous=edited)
    constant = schema.column("constant")
    assert (constant.type, constant.pinned, constant.categories) == ("categorical", True, {"7": 12})
    price = schema.column("price")
    assert (price.allowed_min, price.allowed_max) == (0.0, 1000.0)
    assert schema.column("comment").role == "ignore"
    assert schema.column("churned").role == "target"  # kept from the previous schema
    assert schema.column("visits").nullable  # a user's nullable=True survives clean data
    assert "mixed" not in schema.names
    assert notes[-1] == "Column 'mixed' of the previous schema is not in the data; it is dropped."
    moved = infer_schema(newer, previous=edited, target="price")
    assert (moved.column("price").role, moved.column("churned").role) == ("target", "feature")


def test_pinned_type_that_does_not_fit_warns() -> None:
    frame = pd.DataFrame({"x": ["1", "2", "three", None]})
    previous = Schema(columns=[ColumnSchema(name="x", type="integer", pinned=True)])
    schema, notes = _infer(frame, previous=previous)
    column = schema.column("x")
    assert (column.type, column.stats["count"], column.stats["null_count"]) == ("integer", 2, 2)
    assert notes == [
        "Column 'x' is pinned to integer; 1 of its values are not integer and count as nulls."
    ]


def test_all_null_columns_of_any_dtype_are_ignored_but_an_empty_frame_is_not() -> None:
    frame = pd.DataFrame({"f": [np.nan] * 3, "s": pd.Series([None] * 3, dtype="str")})
    schema, notes = _infer(frame)
    assert _types(schema) == {"f": ("numeric", "ignore"), "s": ("text", "ignore")}
    assert len(notes) == 2 and notes[0].startswith("Column 'f' has no values")
    schema, notes = _infer(frame.head(0))
    assert [c.role for c in schema.columns] == ["feature", "feature"] and notes == []


def test_nullable_pandas_and_arrow_dtypes() -> None:
    frame = pd.DataFrame(
        {
            "Int64": pd.array([1, None, 3], dtype="Int64"),
            "boolean": pd.array([True, None, False], dtype="boolean"),
            "arrow_float": pd.array([1.5, None, 2.0], dtype="double[pyarrow]"),
            "python_str": pd.array(["a", "a", None], dtype="string[python]"),
        }
    )
    schema = infer_schema(frame)
    assert [(c.type, c.nullable) for c in schema.columns] == [
        ("integer", True),
        ("boolean", True),
        ("numeric", True),
        ("categorical", True),
    ]


@pytest.mark.slow
def test_one_million_rows_by_fifty_columns(make_wide_frame: Callable[..., pd.DataFrame]) -> None:
    frame = make_wide_frame(1_000_000)
    start = time.perf_counter()
    schema = infer_schema(frame)
    elapsed = time.perf_counter() - start
    print(f"\ninfer_schema 1M x 50: {elapsed:.2f} s")
    assert [c.type for c in schema.columns] == ["numeric"] * 20 + ["integer"] * 15 + [
        "categorical"
    ] * 15
    assert elapsed < 20  # smoke bound; the measured time is reported
