"""JSON Schemas (OpenAPI 3.0 dialect) of a model's requests, from its signature.

Example:
    >>> import pandas as pd
    >>> from keel.data import infer_schema
    >>> schema = infer_schema(pd.DataFrame({"age": [31, 45], "plan": ["pro", "free"]}))
    >>> record_schema(schema)["properties"]["age"]["type"]
    'integer'
"""

from __future__ import annotations

from typing import Any

from keel.data import Schema
from keel.serving._oip_tensors import DATATYPES

__all__ = ["ERROR", "feedback_schema", "infer_schema", "predict_schema", "record_schema"]

ERROR = {
    "type": "object",
    "required": ["error", "fields"],
    "properties": {
        "error": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "value": {},
                    "expected": {"type": "string"},
                },
            },
        },
    },
}


def record_schema(schema: Schema) -> dict[str, Any]:
    """One record: every feature is required (a null is allowed where the column is
    nullable); other keys are ignored by the validator, so they are allowed."""
    features = schema.features()
    return {
        "type": "object",
        "required": [c.name for c in features],
        "properties": {c.name: _field(c) for c in features},
    }


def _field(column: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _JSON_TYPE.get(column.type, "string")}
    if column.type in ("numeric", "integer"):
        for key, bound in (("minimum", column.allowed_min), ("maximum", column.allowed_max)):
            if isinstance(bound, int | float):
                out[key] = bound
    if column.type == "categorical" and column.categories:
        out["example"] = next(iter(column.categories))
    if column.type == "datetime":
        out["format"] = "date-time"
    if column.nullable:
        out["nullable"] = True
    return out


_JSON_TYPE = {"numeric": "number", "integer": "integer", "boolean": "boolean"}


def predict_schema(record: dict[str, Any]) -> dict[str, Any]:
    columns = {
        "type": "object",
        "required": ["columns"],
        "additionalProperties": False,
        "properties": {"columns": {"type": "object", "additionalProperties": {"type": "array"}}},
    }
    many = {"type": "array", "items": record, "minItems": 1}
    return {"oneOf": [record, many, columns]}


def feedback_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["request_id"],
        "properties": {
            "request_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "label": {},
            "reward": {"type": "number"},
        },
    }


def infer_schema(schema: Schema) -> dict[str, Any]:
    names = [c.name for c in schema.features()]
    tensor = {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"type": "string", "enum": [*names, "input"]},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"type": "string", "enum": sorted(DATATYPES)},
            "data": {"type": "array"},
        },
    }
    return {
        "type": "object",
        "required": ["inputs"],
        "properties": {
            "id": {"type": "string"},
            "inputs": {"type": "array", "items": tensor, "minItems": 1},
            "outputs": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    }
