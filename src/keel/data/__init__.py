"""The data layer: sources, the schema (a model's signature), validation, quality checks,
versioned snapshots and schema evolution.

Example:
    >>> import pandas as pd
    >>> from keel.data import infer_schema, validate_frame
    >>> frame = pd.DataFrame({"age": [31, 45, 27, 38], "plan": ["pro", "free", "pro", "pro"]})
    >>> schema = infer_schema(frame)
    >>> [(c.name, c.type) for c in schema.columns]
    [('age', 'integer'), ('plan', 'categorical')]
    >>> validate_frame(pd.DataFrame({"age": [30, None], "plan": ["pro", "gold"]}), schema).ok
    False
"""

from keel.data._diff import (
    ColumnChanges,
    ColumnShift,
    DataDiff,
    DtypeChange,
    RowChange,
    RowDiff,
    diff_frames,
    population_stability_index,
)
from keel.data._evolution import SchemaChange, SchemaDiff, compare_schemas
from keel.data._infer import SchemaInferenceWarning, infer_schema
from keel.data._profile import ColumnSummary, Finding, Profile, profile_frame
from keel.data._record import FieldError, RecordValidator
from keel.data._report import render_html, write_html
from keel.data._schema_model import SCHEMA_FORMAT_VERSION, ColumnSchema, LogicalType, Role, Schema
from keel.data._snapshot import content_hash, load_snapshot, write_snapshot
from keel.data._sources import FILE_FORMATS, Loaded, describe_frame, read_source
from keel.data._validate import ValidationReport, Violation, validate_frame

__all__ = [
    "FILE_FORMATS",
    "SCHEMA_FORMAT_VERSION",
    "ColumnChanges",
    "ColumnSchema",
    "ColumnShift",
    "ColumnSummary",
    "DataDiff",
    "DtypeChange",
    "FieldError",
    "Finding",
    "Loaded",
    "LogicalType",
    "Profile",
    "RecordValidator",
    "Role",
    "RowChange",
    "RowDiff",
    "Schema",
    "SchemaChange",
    "SchemaDiff",
    "SchemaInferenceWarning",
    "ValidationReport",
    "Violation",
    "compare_schemas",
    "content_hash",
    "describe_frame",
    "diff_frames",
    "infer_schema",
    "load_snapshot",
    "population_stability_index",
    "profile_frame",
    "read_source",
    "render_html",
    "validate_frame",
    "write_html",
    "write_snapshot",
]
