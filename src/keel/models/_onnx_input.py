"""The float matrix a pipeline-scope graph reads from a batch: RecordValidator's encoding of
each feature column, row by row, without a Python loop over records.

Numeric, integer and boolean columns become numbers exactly as the feature pipeline's own
``numeric_column`` reads them (so native and ONNX see the same values); columns of other
types never enter a pipeline-scope graph (the export refuses them) and are filled with NaN.

Example:
    >>> import pandas as pd
    >>> from keel.data import infer_schema
    >>> frame = pd.DataFrame({"a": [1.0, None], "b": [True, False]})
    >>> schema_matrix(frame, infer_schema(frame)).tolist()
    [[1.0, 1.0], [nan, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from keel.data import Schema
from keel.errors import FeatureError, ModelError
from keel.features._prepare import numeric_column

__all__ = ["NUMERIC_TYPES", "schema_matrix"]

NUMERIC_TYPES = frozenset({"numeric", "integer", "boolean"})


def schema_matrix(frame: Any, schema: Schema, dtype: Any = np.float64) -> np.ndarray:
    """Array of shape (n_rows, n_features) of ``dtype``, columns in ``schema.features()`` order.

    Raises:
        ModelError: a feature column is absent, or holds a value that is not a number.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ModelError(
            f"Batch predictions take a pandas DataFrame. Got {type(frame).__name__} instead.",
            field="frame",
        )
    features = schema.features()
    missing = [c.name for c in features if c.name not in frame.columns]
    if missing:
        raise ModelError(
            f"The frame has no column {', '.join(map(repr, missing))}, which the model's "
            f"signature expects. Columns present: {', '.join(map(str, frame.columns))}.",
            field=missing[0],
        )
    names = [c.name for c in features]
    if all(c.type in NUMERIC_TYPES and _plain_number(frame[c.name]) for c in features):
        # One pandas copy of the whole block: 0.1 s for 1M x 30 floats, where filling a
        # row-major matrix column by column took 0.5-0.9 s (strided writes).
        block = frame[names].to_numpy(dtype=dtype, na_value=np.nan)
        return np.ascontiguousarray(block)
    out = np.full((len(frame), len(features)), np.nan, dtype=dtype, order="F")
    for index, column in enumerate(features):
        if column.type in NUMERIC_TYPES:
            try:
                out[:, index] = numeric_column(frame[column.name])
            except FeatureError as exc:
                raise ModelError(str(exc), field=column.name) from None
    return np.ascontiguousarray(out)


def _plain_number(series: pd.Series) -> bool:
    """A numpy integer or float column (booleans and objects take the careful path)."""
    return series.dtype.kind in "iuf"
