"""Predictions on validated rows: the function a model's Batcher calls.

keel.data.RecordValidator turns each record into a float64 row (categories as codes,
datetimes as epoch seconds). A pipeline-scope ONNX graph reads exactly that row, so the
fast path hands the stacked rows to the ONNX Runtime session as ``Predictor.predict_proba_one``
does for one. Any other predictor (native backend, model-scope graph, a wrapped predictor)
gets the rows decoded back into a DataFrame of the schema's types and ``Predictor.output``.

Example:
    >>> import pandas as pd
    >>> from keel.data import infer_schema
    >>> frame = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5] * 5, "c": ["a", "b"] * 10})
    >>> schema = infer_schema(frame)
    >>> decode_rows(np.array([[1.5, 1.0], [2.0, -1.0]]), schema).to_dict("list")
    {'x': [1.5, 2.0], 'c': ['b', nan]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from keel.data import Schema

__all__ = ["decode_rows", "rows_predict"]

RowsPredict = Callable[[np.ndarray], np.ndarray]


def rows_predict(predictor: Any) -> RowsPredict:
    """Probabilities (n_rows, n_classes) or values (n_rows,), float64, for validated rows
    of shape (n_rows, n_features)."""
    compiled = getattr(predictor, "_compiled_batch", None)
    if compiled is not None:
        return lambda rows: np.asarray(compiled.output(rows), dtype=np.float64)
    session = getattr(predictor, "_one_session", None)
    if session is not None and getattr(predictor, "scope", None) == "pipeline":
        return _session_predict(predictor, session)
    schema = predictor.trained.schema
    regression = predictor.task == "regression"

    def through_frame(rows: np.ndarray) -> np.ndarray:
        out = np.asarray(predictor.output(decode_rows(rows, schema)), dtype=np.float64)
        return out.reshape(-1) if regression else out

    return through_frame


def _session_predict(predictor: Any, session: Any) -> RowsPredict:
    # The one-thread session: micro-batches are at most a few hundred rows, where a thread
    # pool's wake-up costs more than it saves (keel.models._onnx_parity.open_session).
    names, dtype = predictor._output, predictor._dtype
    regression = predictor.task == "regression"

    def run(rows: np.ndarray) -> np.ndarray:
        if rows.dtype == dtype:
            inputs = rows
        else:
            # A float64 beyond float32's range becomes +-inf, which a tree compares as it
            # would the value itself; the validator already accepted it as a number.
            with np.errstate(over="ignore"):
                inputs = rows.astype(dtype)
        out = session.run(names, {"input": inputs})[0]
        out = out if out.dtype == np.float64 else out.astype(np.float64)
        return out.reshape(-1) if regression else out

    return run


def decode_rows(rows: np.ndarray, schema: Schema) -> pd.DataFrame:
    """Rows in RecordValidator's encoding as a DataFrame of the schema's feature columns
    (a code outside the categories, ``-1``, becomes missing)."""
    columns = {}
    for index, column in enumerate(schema.features()):
        values = rows[:, index]
        columns[column.name] = _decoded(values, column)
    return pd.DataFrame(columns)


def _decoded(values: np.ndarray, column: Any) -> Any:
    if column.type == "categorical":
        names = np.array([None, *list(column.categories or {})], dtype=object)
        codes = np.nan_to_num(values.astype(np.float64), nan=-1.0).astype(np.int64)
        return names[np.where(codes < 0, 0, codes + 1)]
    if column.type == "datetime":
        return pd.to_datetime(values.astype(np.float64), unit="s", utc=column.timezone is not None)
    if column.type == "boolean":
        return pd.array([None if np.isnan(v) else bool(v) for v in values], dtype="boolean")
    if column.type == "text":
        return values
    return values.astype(np.float64)
