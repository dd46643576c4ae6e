"""``describe_frame``: what ``keel data show`` prints, as plain JSON-ready values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from keel.data._frame_source import _in_memory


def describe_frame(frame: Any, *, sample_rows: int = 5) -> dict[str, Any]:
    """What ``keel data show`` prints, as plain JSON-ready values.

    Args:
        frame: a pandas DataFrame (or a Polars or pyarrow one).
        sample_rows: how many of the first rows to include.

    Returns:
        ``{"shape": [rows, columns], "columns": [{"name", "dtype", "nulls"}, …],
        "sample": [{column: value, …}, …]}``: the first ``sample_rows`` rows, with missing
        values as None, times in ISO 8601 and numpy scalars as Python numbers.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        loaded = _in_memory(frame)
        if loaded is None:
            raise TypeError(
                f"describe_frame takes a pandas, Polars or pyarrow frame; got "
                f"{type(frame).__name__}. Read a file or query with read_source first."
            )
        frame = loaded.frame
    nulls = frame.isna().sum().tolist()
    columns = [
        {"name": str(name), "dtype": str(dtype), "nulls": int(count)}
        for (name, dtype), count in zip(frame.dtypes.items(), nulls, strict=True)
    ]
    names = [str(name) for name in frame.columns]
    sample = [
        {name: _plain(value) for name, value in zip(names, row, strict=True)}
        for row in frame.head(max(sample_rows, 0)).itertuples(index=False, name=None)
    ]
    return {"shape": [len(frame), len(names)], "columns": columns, "sample": sample}


def _plain(value: Any) -> Any:
    """A cell as a JSON value: None for every kind of missing, ISO text for times."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if not pd.api.types.is_scalar(value):
        return str(value)
    if pd.isna(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)  # Decimal, timedelta, bytes, anything else: its text
