"""Schema evolution: each change is compatible, a warning or breaking, and breaking changes
raise a SchemaError that lists them all."""

from __future__ import annotations

import pandas as pd
import pytest

from keel.data import ColumnSchema, Schema
from keel.data._evolution import SchemaChange, compare_schemas
from keel.data._infer import infer_schema
from keel.errors import SchemaError


def _schema(*columns: ColumnSchema) -> Schema:
    return Schema(columns=list(columns))


def _levels(expected: Schema, actual: Schema) -> list[tuple[str, str, str]]:
    return [(c.column, c.kind, c.level) for c in compare_schemas(expected, actual).changes]


def num(name: str = "x", **kw: object) -> ColumnSchema:
    return ColumnSchema(name=name, type="numeric", **kw)  # type: ignore[arg-type]


def test_identical_schemas_have_no_changes() -> None:
    schema = _schema(num(observed_min=0, observed_max=1))
    diff = compare_schemas(schema, schema)
    assert diff.changes == () and diff.ok and str(diff) == "no changes"
    diff.raise_if_breaking()


@pytest.mark.parametrize(
    ("before", "after", "level"),
    [
        ("integer", "numeric", "compatible"),  # widened: every numeric feature is float64
        ("numeric", "integer", "breaking"),  # narrowed: values truncated upstream
        ("categorical", "numeric", "breaking"),
        ("categorical", "text", "warning"),
        ("text", "categorical", "warning"),
        ("datetime", "text", "breaking"),
        ("boolean", "categorical", "breaking"),
    ],
)
def test_type_changes(before: str, after: str, level: str) -> None:
    old = _schema(ColumnSchema(name="x", type=before))  # type: ignore[arg-type]
    new = _schema(ColumnSchema(name="x", type=after))  # type: ignore[arg-type]
    assert _levels(old, new) == [("x", "type", level)]


def test_booleans_as_zero_one_numbers_are_a_warning() -> None:
    old = _schema(ColumnSchema(name="b", type="boolean"))
    zero_one = _schema(ColumnSchema(name="b", type="integer", observed_min=0, observed_max=1))
    counts = _schema(ColumnSchema(name="b", type="integer", observed_min=0, observed_max=7))
    assert _levels(old, zero_one) == [("b", "type", "warning")]
    assert _levels(old, counts) == [("b", "type", "breaking")]


def test_added_and_removed_columns() -> None:
    old = _schema(
        num("feature"),
        num("label", role="target"),
        num("when_id", role="id"),
        num("unused", role="ignore"),
    )
    new = _schema(num("extra_nullable"), num("extra_required", nullable=False))
    assert _levels(old, new) == [
        ("feature", "removed", "breaking"),
        ("label", "removed", "breaking"),
        ("when_id", "removed", "warning"),  # not a model input
        ("unused", "removed", "compatible"),
        ("extra_nullable", "added", "compatible"),
        ("extra_required", "added", "warning"),
    ]


def test_nullability_and_roles() -> None:
    old = _schema(num("a", nullable=False), num("b", nullable=True), num("c"))
    new = _schema(num("a", nullable=True), num("b", nullable=False), num("c", role="id"))
    assert _levels(old, new) == [
        ("a", "nullable", "warning"),
        ("b", "nullable", "compatible"),
        ("c", "role", "warning"),
    ]


def test_categories_added_and_removed_are_compatible() -> None:
    old = _schema(ColumnSchema(name="c", type="categorical", categories={"a": 3, "b": 2}))
    new = _schema(ColumnSchema(name="c", type="categorical", categories={"a": 1, "z": 9}))
    changes = compare_schemas(old, new).changes
    assert [(c.kind, c.level) for c in changes] == [
        ("categories_added", "compatible"),
        ("categories_removed", "compatible"),
    ]
    assert changes[0].message == "1 new categories ('z'), encoded as unknown"


def test_ranges_widened_narrowed_and_outside_allowed() -> None:
    old = _schema(num(observed_min=0, observed_max=10, allowed_min=0, allowed_max=100))
    assert _levels(old, _schema(num(observed_min=-1, observed_max=10))) == [
        ("x", "outside_allowed_range", "breaking"),
        ("x", "range_widened", "warning"),
    ]
    assert _levels(old, _schema(num(observed_min=0, observed_max=50))) == [
        ("x", "range_widened", "warning")
    ]
    assert _levels(old, _schema(num(observed_min=2, observed_max=8))) == [
        ("x", "range_narrowed", "compatible")
    ]


def test_timezones() -> None:
    def at(zone: str | None) -> Schema:
        return _schema(ColumnSchema(name="t", type="datetime", timezone=zone))

    assert _levels(at("UTC"), at("Europe/Zurich")) == [("t", "timezone", "warning")]
    assert _levels(at(None), at("UTC")) == [("t", "timezone", "breaking")]


def test_breaking_changes_of_non_model_columns_are_warnings() -> None:
    old = _schema(ColumnSchema(name="t", type="datetime", role="timestamp"))
    new = _schema(ColumnSchema(name="t", type="text", role="timestamp"))
    assert _levels(old, new) == [("t", "type", "warning")]


def test_raise_if_breaking_lists_every_breaking_change() -> None:
    old = _schema(num("a"), ColumnSchema(name="c", type="categorical"), num("gone"))
    new = _schema(num("a", nullable=False), num("c"))
    diff = compare_schemas(old, new)
    assert not diff.ok
    assert [c.column for c in diff.breaking] == ["c", "gone"]
    assert [c.column for c in diff.compatible] == ["a"]
    with pytest.raises(SchemaError) as caught:
        diff.raise_if_breaking()
    assert str(caught.value) == (
        "2 breaking schema change(s):\n"
        "  breaking: column 'c': type changed from categorical to numeric\n"
        "  breaking: column 'gone': the feature column is gone"
    )


def test_on_inferred_schemas_of_old_and_new_data() -> None:
    old = pd.DataFrame({"age": [20, 30, 40, 50] * 2, "plan": list("abab") * 2, "y": [0, 1] * 4})
    new = pd.DataFrame(
        {"age": [20.5, 31.0, 44.0, 90.0] * 2, "plan": list("acab") * 2, "y": [1, 0] * 4}
    )
    diff = compare_schemas(infer_schema(old, target="y"), infer_schema(new, target="y"))
    assert [(c.column, c.kind, c.level) for c in diff.changes] == [
        ("age", "type", "compatible"),
        ("age", "range_widened", "warning"),
        ("plan", "categories_added", "compatible"),
    ]
    assert diff.ok and isinstance(diff.changes[0], SchemaChange)
    assert (
        str(diff.warnings[0]) == "warning: column 'age': range widened [20.0, 50.0] -> [20.5, 90.0]"
    )
