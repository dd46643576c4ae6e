"""The data layer: sources, the schema (a model's signature), validation, quality checks,
versioned snapshots and schema evolution."""

from keel.data._schema_model import SCHEMA_FORMAT_VERSION, ColumnSchema, LogicalType, Role, Schema

__all__ = ["SCHEMA_FORMAT_VERSION", "ColumnSchema", "LogicalType", "Role", "Schema"]
