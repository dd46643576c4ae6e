"""The edge bundle's schema.json and README.md, made from a package's schema and manifest.

schema.json holds what the standalone predict.py needs and nothing of keel: the feature
columns in the order the graph reads them, with their logical type, nullability, allowed
range and categories (in code order: a category's position is its code), the graph's input
and output names, the task and the class labels.

Example:
    >>> from keel.data import ColumnSchema, Schema
    >>> schema = Schema(columns=[ColumnSchema(name="age", type="integer", nullable=False)])
    >>> onnx = {"input": "input", "input_columns": ["age"], "outputs": ["values"]}
    >>> bundle_schema(schema, onnx, task="regression", classes=None)["columns"]
    [{'name': 'age', 'type': 'integer', 'nullable': False}]
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from string import Template
from typing import Any

from keel.data import ColumnSchema, Schema
from keel.errors import ModelError

__all__ = ["BUNDLE_SCHEMA_VERSION", "bundle_readme", "bundle_schema"]

#: The version of schema.json's layout; the template's predict.py refuses a newer one.
BUNDLE_SCHEMA_VERSION = 1
_README = Path(__file__).parent / "templates" / "bundle_README.md"


def bundle_schema(
    schema: Schema, onnx: dict[str, Any], *, task: str, classes: list[Any] | None
) -> dict[str, Any]:
    """The content of schema.json (a JSON-ready dict).

    Raises:
        ModelError: the graph's input columns are not the schema's features, or a feature is
            text (a float tensor cannot hold it).
    """
    features = schema.features()
    names = [c.name for c in features]
    if list(onnx.get("input_columns") or []) != names:
        raise ModelError(
            f"The ONNX graph reads columns {onnx.get('input_columns')} but the package's "
            f"schema has features {names}; the package is inconsistent: write it again.",
            field="onnx",
        )
    return {
        "format": "keel-bundle-schema",
        "version": BUNDLE_SCHEMA_VERSION,
        "task": task,
        "classes": classes,
        "input": onnx.get("input", "input"),
        "output": onnx["outputs"][0],
        "columns": [_column(c) for c in features],
    }


def _column(column: ColumnSchema) -> dict[str, Any]:
    if column.type == "text":
        raise ModelError(
            f"Feature {column.name!r} is text, which an edge bundle's float input cannot hold.",
            field=column.name,
        )
    entry: dict[str, Any] = {"name": column.name, "type": column.type, "nullable": column.nullable}
    if column.type == "categorical":
        entry["categories"] = list(column.categories or {})
    if column.type == "datetime":
        entry["timezone"] = column.timezone
    for bound in ("allowed_min", "allowed_max"):
        value = getattr(column, bound)
        if value is not None and column.type in ("numeric", "integer"):
            entry[bound] = float(value)
    return entry


def bundle_readme(schema: dict[str, Any], source: Schema, *, model: str, checked: str) -> str:
    """README.md: what the bundle is, how to install and call it, its input columns; the
    example record holds each column's median (or first category) from ``source``."""
    rows = "\n".join(
        f"| `{c['name']}` | {c['type']} | {'yes' if c['nullable'] else 'no'} | {_notes(c)} |"
        for c in schema["columns"]
    )
    example = "".join(f"\n    {c.name!r}: {_example(c)!r}," for c in source.features())
    classes = schema["classes"]
    returns = (
        "the value (a float)"
        if classes is None
        else f"the label, one of {', '.join(map(repr, classes))}"
    )
    return Template(_README.read_text(encoding="utf-8")).substitute(
        model=model,
        checked=checked,
        task=schema["task"],
        returns=returns,
        columns=rows,
        example="{" + example + "\n}",
        versions=_versions(),
    )


def _notes(column: dict[str, Any]) -> str:
    if column.get("categories"):
        shown = ", ".join(column["categories"][:8])
        return f"one of {shown}{', ...' if len(column['categories']) > 8 else ''}"
    low, high = column.get("allowed_min"), column.get("allowed_max")
    if low is not None or high is not None:
        return f"from {'-inf' if low is None else low} to {'inf' if high is None else high}"
    return ""


def _example(column: ColumnSchema) -> Any:
    if column.categories:
        return next(iter(column.categories))
    if column.type == "boolean":
        return True
    if column.type == "datetime":
        return "2024-05-01T12:00:00" + ("+00:00" if column.timezone else "")
    median = column.stats.get("p50", 1.0)
    return int(median) if column.type == "integer" else round(float(median), 4)


def _versions() -> str:
    found = []
    for name in ("numpy", "onnxruntime"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:  # pragma: no cover - both are keel dependencies
            continue
    return ", ".join(found)
