"""Compare the schema a model was trained on with the schema of new data.

Each difference is one ``SchemaChange`` at one of three levels:

- ``compatible``: the model takes the new data as it is: a new nullable column, an
  integer column that now holds fractions (every numeric feature reaches a model as
  float64), new categories (the encoder maps unknown categories to its unknown bucket),
  categories no longer seen, a narrower range, a column that no longer has nulls.
- ``warning``: works, but check it: values beyond the range the model saw, a feature that
  now has nulls, a new non-nullable column the model does not use, a role or timezone
  changed, categorical and text swapped, booleans now 0/1 numbers, a non-feature column
  (id, timestamp, entity) removed or retyped.
- ``breaking``: the model cannot use the data: a feature or the target removed or retyped
  incompatibly (numeric narrowed to integer: values are being truncated upstream; a
  category column became numeric; naive and timezone-aware datetimes swapped), or values
  observed outside the range the expected schema allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from keel.data._record import range_of
from keel.data._schema_model import ColumnSchema, Schema
from keel.errors import SchemaError

__all__ = ["Level", "SchemaChange", "SchemaDiff", "compare_schemas"]

Level = Literal["compatible", "warning", "breaking"]
#: Columns whose changes can break a model; other roles' breaking changes are warnings.
_USED = frozenset({"feature", "target"})
_NUMBERS = frozenset({"numeric", "integer"})
_TYPE_CHANGES: dict[tuple[str, str], Level] = {
    ("integer", "numeric"): "compatible",
    ("categorical", "text"): "warning",
    ("text", "categorical"): "warning",
}


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One difference between the expected and the actual schema."""

    column: str
    kind: str
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.level}: column {self.column!r}: {self.message}"


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """Every change from ``expected`` to ``actual``, in column order."""

    changes: tuple[SchemaChange, ...]

    @property
    def breaking(self) -> list[SchemaChange]:
        return [c for c in self.changes if c.level == "breaking"]

    @property
    def warnings(self) -> list[SchemaChange]:
        return [c for c in self.changes if c.level == "warning"]

    @property
    def compatible(self) -> list[SchemaChange]:
        return [c for c in self.changes if c.level == "compatible"]

    @property
    def ok(self) -> bool:
        """No breaking change."""
        return not self.breaking

    def raise_if_breaking(self) -> None:
        """Raises SchemaError listing every breaking change; does nothing otherwise."""
        breaking = self.breaking
        if breaking:
            lines = "\n  ".join(str(c) for c in breaking)
            raise SchemaError(f"{len(breaking)} breaking schema change(s):\n  {lines}")

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.changes) or "no changes"


def compare_schemas(expected: Schema, actual: Schema) -> SchemaDiff:
    """Classify every difference between two schemas (levels in the module docstring).

    Args:
        expected: the schema the model was trained on (its signature).
        actual: the schema of the new data, e.g. ``infer_schema(new_frame)``.

    Example:
        >>> from keel.data import ColumnSchema, Schema
        >>> old = Schema(columns=[ColumnSchema(name="age", type="integer")])
        >>> new = Schema(columns=[ColumnSchema(name="age", type="numeric")])
        >>> [(c.kind, c.level) for c in compare_schemas(old, new).changes]
        [('type', 'compatible')]
    """
    changes: list[SchemaChange] = []
    seen = {c.name: c for c in actual.columns}
    for before in expected.columns:
        after = seen.get(before.name)
        changes += _removed(before) if after is None else _changed(before, after)
    known = set(expected.names)
    changes += [_added(c) for c in actual.columns if c.name not in known]
    return SchemaDiff(tuple(changes))


def _level(column: ColumnSchema, level: Level) -> Level:
    if column.role == "ignore":
        return "compatible"
    return "warning" if level == "breaking" and column.role not in _USED else level


def _change(column: ColumnSchema, kind: str, level: Level, message: str) -> SchemaChange:
    return SchemaChange(column.name, kind, _level(column, level), message)


def _removed(before: ColumnSchema) -> list[SchemaChange]:
    return [_change(before, "removed", "breaking", f"the {before.role} column is gone")]


def _added(after: ColumnSchema) -> SchemaChange:
    if after.nullable:
        return SchemaChange(after.name, "added", "compatible", f"new nullable {after.type} column")
    message = f"new non-nullable {after.type} column, not used by the model"
    return SchemaChange(after.name, "added", "warning", message)


def _changed(before: ColumnSchema, after: ColumnSchema) -> list[SchemaChange]:
    changes = []
    if before.role != after.role:
        message = f"role changed from {before.role} to {after.role}"
        changes.append(_change(before, "role", "warning", message))
    if before.type != after.type:
        changes.append(_retyped(before, after))
    elif before.type == "datetime":
        changes += _timezone(before, after)
    if not before.nullable and after.nullable:
        changes.append(_change(before, "nullable", "warning", "now has nulls; the model saw none"))
    elif before.nullable and not after.nullable:
        changes.append(_change(before, "nullable", "compatible", "no longer has nulls"))
    if before.type == after.type == "categorical":
        changes += _categories(before, after)
    if {before.type, after.type} <= _NUMBERS or before.type == after.type == "datetime":
        changes += _ranges(before, after)
    return changes


def _retyped(before: ColumnSchema, after: ColumnSchema) -> SchemaChange:
    level = _TYPE_CHANGES.get((before.type, after.type), "breaking")
    if before.type == "boolean" and after.type in ("integer", "numeric"):
        low, high = range_of(after, "observed")
        level = (
            "warning" if low is not None and high is not None and 0 <= low <= high <= 1 else level
        )
    message = f"type changed from {before.type} to {after.type}"
    return _change(before, "type", level, message)


def _timezone(before: ColumnSchema, after: ColumnSchema) -> list[SchemaChange]:
    if before.timezone == after.timezone:
        return []
    message = f"timezone changed from {before.timezone or 'naive'} to {after.timezone or 'naive'}"
    aware_both = before.timezone is not None and after.timezone is not None
    return [_change(before, "timezone", "warning" if aware_both else "breaking", message)]


def _categories(before: ColumnSchema, after: ColumnSchema) -> list[SchemaChange]:
    old, new = set(before.categories or {}), set(after.categories or {})
    changes = []
    if new - old:
        shown = ", ".join(repr(c) for c in sorted(new - old)[:5])
        message = f"{len(new - old)} new categories ({shown}), encoded as unknown"
        changes.append(_change(before, "categories_added", "compatible", message))
    if old - new:
        shown = ", ".join(repr(c) for c in sorted(old - new)[:5])
        message = f"{len(old - new)} categories no longer seen ({shown})"
        changes.append(_change(before, "categories_removed", "compatible", message))
    return changes


def _ranges(before: ColumnSchema, after: ColumnSchema) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    seen_low, seen_high = range_of(before, "observed")
    low, high = range_of(after, "observed")
    if low is None or high is None:
        return changes
    allowed_low, allowed_high = range_of(before, "allowed")
    if (allowed_low is not None and low < allowed_low) or (
        allowed_high is not None and high > allowed_high
    ):
        message = (
            f"observed range [{after.observed_min}, {after.observed_max}] is outside the "
            f"allowed range [{before.allowed_min}, {before.allowed_max}]"
        )
        changes.append(_change(before, "outside_allowed_range", "breaking", message))
    if seen_low is None or seen_high is None:
        return changes
    span = (
        f"[{before.observed_min}, {before.observed_max}] -> "
        f"[{after.observed_min}, {after.observed_max}]"
    )
    if low < seen_low or high > seen_high:
        changes.append(_change(before, "range_widened", "warning", f"range widened {span}"))
    elif low > seen_low or high < seen_high:
        changes.append(_change(before, "range_narrowed", "compatible", f"range narrowed {span}"))
    return changes
