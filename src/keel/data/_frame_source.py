"""``Loaded``, what every reader returns, and reading a pandas, Polars or Arrow frame that
is already in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keel.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True, eq=False)
class Loaded:
    """What ``read_source`` read.

    Attributes:
        frame: the data, one row per record.
        source: where it came from: the path, ``"pandas DataFrame"``, ``"SQL: <url>"``
            (the URL without its password).
        dropped_rows: malformed rows left out (only with ``bad_rows="skip"``).
        dropped_examples: the first few of them, as ``"line 7: 'a,b,c,d' has 4 fields,
            expected 3"``.
    """

    frame: pd.DataFrame = field(repr=False)
    source: str
    dropped_rows: int = 0
    dropped_examples: tuple[str, ...] = ()


def _in_memory(source: Any) -> Loaded | None:
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        # A shallow copy: with copy-on-write, changing it never changes the caller's frame.
        return _loaded(source.copy(deep=False), "pandas DataFrame")
    library = type(source).__module__.split(".")[0]
    if library == "polars":  # duck-typed, so reading pandas never imports Polars
        if not hasattr(source, "to_arrow") and hasattr(source, "collect"):
            source = source.collect()  # a LazyFrame
        if hasattr(source, "to_arrow"):
            return _loaded(to_pandas(source.to_arrow()), f"polars {type(source).__name__}")
    if library == "pyarrow" or hasattr(source, "__arrow_c_stream__"):
        import pyarrow as pa

        try:
            table = pa.table(source)
        except (TypeError, pa.ArrowException):
            return None
        return _loaded(to_pandas(table), f"{library} {type(source).__name__}")
    return None


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """The one Arrow to pandas conversion every source goes through, so a column has the
    same dtype whichever way it came: dates become datetime64, strings pandas' ``str``."""
    return table.to_pandas(date_as_object=False)


def _loaded(frame: pd.DataFrame, source: str, dropped: int = 0, examples: Any = ()) -> Loaded:
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        places = [str(i + 1) for i, name in enumerate(names) if name == twice]
        raise DataError(
            f"{source}: the column name {twice!r} appears {len(places)} times (columns "
            f"{', '.join(places)}); column names must be unique."
        )
    return Loaded(frame, source, dropped, tuple(examples))
