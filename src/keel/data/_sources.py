"""Reading a data set from wherever it is: a CSV, TSV, Parquet or JSON-lines file, a
pandas, Polars or Arrow frame in memory, or a SQL query.

Files are read by pyarrow (multithreaded, never row by row) and converted to pandas once.
When pyarrow refuses a file, ``_source_errors`` finds the line, and the error names the
file, the line, what was found and what was expected. Nothing is dropped silently: with
``bad_rows="skip"`` malformed rows are dropped and counted on ``Loaded``.

Example:
    >>> import pandas as pd
    >>> loaded = read_source(pd.DataFrame({"age": [31, 42], "city": ["Oslo", "Lima"]}))
    >>> loaded.source, loaded.frame.shape
    ('pandas DataFrame', (2, 2))
    >>> describe_frame(loaded.frame, sample_rows=1)["sample"]
    [{'age': 31, 'city': 'Oslo'}]
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from keel.data import _source_errors as problems
from keel.data._describe import describe_frame
from keel.data._frame_source import Loaded, _in_memory, _loaded, to_pandas
from keel.data._sql_source import _read_sql, _sql_parts
from keel.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["FILE_FORMATS", "BadRows", "Loaded", "describe_frame", "read_source"]

BadRows = Literal["error", "skip"]
#: File extensions keel reads (compared case-insensitively) and the format of each.
FILE_FORMATS = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".parquet": "Parquet",
    ".pq": "Parquet",
    ".jsonl": "JSON lines",
    ".ndjson": "JSON lines",
}
_CSV_BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)


def read_source(
    source: Any,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    bad_rows: BadRows = "error",
    encoding: str = "utf-8",
) -> Loaded:
    """Read a data set into a pandas DataFrame.

    Args:
        source: a path (``.csv``, ``.tsv``, ``.parquet``/``.pq``, ``.jsonl``/``.ndjson``), a
            pandas, Polars or pyarrow frame, or a SQL source: a mapping
            ``{"sql": {"url": …, "query": …}}`` or any object with ``.sql.url`` and
            ``.sql.query`` (keel.yaml's ``data.source``).
        base_dir: the folder relative paths (and relative SQLite files) are read from,
            usually the workspace root; the current directory when None.
        bad_rows: ``"error"`` stops at the first malformed CSV row or JSON line;
            ``"skip"`` drops them and reports them on ``Loaded``.
        encoding: the text encoding of a CSV/TSV file. JSON lines are always UTF-8.

    Raises:
        DataError: the source cannot be read; the message names the file, the line and
            column where there is one, what was found and what was expected.
    """
    if bad_rows not in ("error", "skip"):
        raise ValueError(f"bad_rows must be 'error' or 'skip'. Got {bad_rows!r} instead.")
    encoding = _encoding(encoding)
    if isinstance(source, str | os.PathLike):
        return _read_file(_resolve(source, base_dir), bad_rows, encoding)
    _only_csv_has_an_encoding(encoding, _kind_of(source))
    in_memory = _in_memory(source)
    if in_memory is not None:
        return in_memory
    url, query = _sql_parts(source)
    return _read_sql(url, query, base_dir)


def _encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise DataError(
            f"Unknown text encoding {name!r}; expected a Python codec name such as "
            "'utf-8', 'cp1252' or 'latin-1'."
        ) from None


def _only_csv_has_an_encoding(encoding: str, what: str) -> None:
    if encoding != "utf-8":
        raise DataError(
            f"encoding={encoding!r} applies to CSV and TSV files only; the source is {what}, "
            "which keel reads as it is (JSON lines are always UTF-8)."
        )


def _kind_of(source: Any) -> str:
    if isinstance(source, Mapping) or hasattr(source, "sql"):
        return "a SQL query"
    return f"a {type(source).__module__.split('.')[0]} {type(source).__name__}"


# -- files --------------------------------------------------------------------------------


def _resolve(source: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None) -> Path:
    path = Path(source).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir).expanduser() / path
    return path


def _read_file(path: Path, bad_rows: BadRows, encoding: str) -> Loaded:
    _check_file(path)
    kind = FILE_FORMATS[path.suffix.lower()]
    if kind in ("CSV", "TSV"):
        return _read_csv(path, "\t" if kind == "TSV" else ",", bad_rows, encoding)
    _only_csv_has_an_encoding(encoding, f"a {kind} file")
    if kind == "Parquet":
        return _read_parquet(path)
    return _read_json_lines(path, bad_rows)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise problems.missing_file(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; expected a data file ({_extensions()}).")
    if path.suffix.lower() not in FILE_FORMATS:
        found = f"the extension {path.suffix!r}" if path.suffix else "no extension"
        hint = " (JSON lines need .jsonl or .ndjson)" if path.suffix.lower() == ".json" else ""
        raise DataError(f"{path} has {found}; keel reads {_extensions()}{hint}.")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if size == 0:
        raise DataError(f"{path} is empty (0 bytes); expected {_what(path)}.")


def _extensions() -> str:
    return ", ".join(FILE_FORMATS)


def _what(path: Path) -> str:
    kind = FILE_FORMATS[path.suffix.lower()]
    if kind in ("CSV", "TSV"):
        return f"a {kind} file with a header line"
    return "a Parquet file" if kind == "Parquet" else "one JSON object per line"


def _read_csv(path: Path, delimiter: str, bad_rows: BadRows, encoding: str) -> Loaded:
    import pyarrow as pa

    dropped: list[None] = []
    try:
        table = _pyarrow_csv(path, delimiter, encoding, dropped if bad_rows == "skip" else None)
    except UnicodeDecodeError:
        raise problems.encoding_error(path, encoding) from None
    except pa.ArrowInvalid as exc:
        raise problems.csv_error(
            path, exc, delimiter=delimiter, encoding=encoding, expected=_what(path)
        ) from None
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"Cannot read {path}: {exc}") from None
    if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in table.schema.types):
        # pyarrow keeps a column with bytes that are not UTF-8 as binary instead of failing.
        raise problems.encoding_error(path, encoding)
    examples: list[problems.BadRow] = []
    if dropped:
        examples = problems.bad_csv_rows(path, delimiter=delimiter, encoding=encoding)
    frame = _to_pandas_of(path, table, encoding)
    return _loaded(frame, str(path), len(dropped), (r.describe() for r in examples))


def _pyarrow_csv(path: Path, delimiter: str, encoding: str, dropped: list[None] | None) -> pa.Table:
    """Read with pyarrow, multithreaded; malformed rows are appended to ``dropped`` and
    skipped, or raise when it is None."""
    import pyarrow as pa

    def drop(row: Any) -> str:
        assert dropped is not None
        dropped.append(None)  # only counted: pyarrow does not know the row's line
        return "skip"

    # A quoted value may hold newlines; one longer than a block makes pyarrow give up, so
    # the block grows for the (rare) file that has one.
    handler = drop if dropped is not None else None
    *smaller, largest = _CSV_BLOCK_SIZES
    for block_size in smaller:
        try:
            return _pyarrow_csv_blocks(path, delimiter, encoding, handler, block_size)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            if dropped is not None:
                dropped.clear()
    return _pyarrow_csv_blocks(path, delimiter, encoding, handler, largest)


def _pyarrow_csv_blocks(
    path: Path, delimiter: str, encoding: str, handler: Any, block_size: int
) -> pa.Table:
    from pyarrow import csv

    return csv.read_csv(
        path,
        read_options=csv.ReadOptions(use_threads=True, encoding=encoding, block_size=block_size),
        parse_options=csv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=handler
        ),
        # As pandas does: an empty field is missing in a text column too.
        convert_options=csv.ConvertOptions(strings_can_be_null=True),
    )


def _read_parquet(path: Path) -> Loaded:
    import pyarrow as pa
    from pyarrow import parquet

    try:
        table = parquet.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{path} is not a readable Parquet file: {exc}. It may be truncated or corrupt, "
            "or not Parquet at all."
        ) from None
    return _loaded(to_pandas(table), str(path))


def _read_json_lines(path: Path, bad_rows: BadRows) -> Loaded:
    import pyarrow as pa
    from pyarrow import json

    try:
        table = json.read_json(path)
    except UnicodeDecodeError:
        raise problems.encoding_error(path, "utf-8", json_lines=True) from None
    except pa.ArrowInvalid as exc:
        try:
            return _read_bad_json_lines(path, bad_rows, exc)
        except UnicodeDecodeError:
            raise problems.encoding_error(path, "utf-8", json_lines=True) from None
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"Cannot read {path}: {exc}") from None
    return _loaded(_json_frame(path, table), str(path))


def _read_bad_json_lines(path: Path, bad_rows: BadRows, failure: Exception) -> Loaded:
    """pyarrow refused the file: name the first bad line, or drop them all and read the
    rest."""
    import io

    import pyarrow as pa
    from pyarrow import json

    bad = problems.bad_json_lines(path, limit=1)
    if not bad:
        raise problems.json_error(path, failure, expected=_what(path))
    if bad_rows == "error":
        raise DataError(f"{path}, {bad[0].describe()}. Fix the line, {problems.SKIP_HINT}.")
    data, dropped, examples = problems.split_json_lines(path)
    if not data:
        first = bad[0].describe()
        raise DataError(f"{path}: none of its {dropped} lines is a JSON object; {first}.")
    try:
        table = json.read_json(io.BytesIO(data))
    except pa.ArrowInvalid as exc:
        raise problems.json_error(path, exc, expected=_what(path)) from None
    frame = _json_frame(path, table)
    return _loaded(frame, str(path), dropped, (r.describe() for r in examples))


def _json_frame(path: Path, table: pa.Table) -> pd.DataFrame:
    import pyarrow as pa

    if table.num_columns == 0:
        raise DataError(f"{path} has only blank lines; expected {_what(path)}.")
    try:
        # pyarrow's JSON reader does not check that strings are UTF-8; this pass does, and
        # costs about 1% of the read.
        table.validate(full=True)
    except pa.ArrowInvalid:
        raise problems.encoding_error(path, "utf-8", json_lines=True) from None
    return _to_pandas_of(path, table, "utf-8")


def _to_pandas_of(path: Path, table: pa.Table, encoding: str) -> pd.DataFrame:
    try:
        return to_pandas(table)
    except UnicodeDecodeError:  # a column name that is not UTF-8
        json_lines = FILE_FORMATS[path.suffix.lower()] == "JSON lines"
        raise problems.encoding_error(path, encoding, json_lines=json_lines) from None
