"""DuckDB plumbing of the log reader: a view over a window's Parquet segments, the SQL
of a window's rows, and which hour folders a window needs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from keel.monitoring._window import Window

__all__ = ["Connection", "folder_for_rows", "iso", "quote", "visible", "where"]

_HOUR_US = 3_600_000_000


class Connection:
    """An in-memory DuckDB with the view ``log`` over the given segments (``_us``: ``at``
    in microseconds)."""

    def __init__(self, files: list[Path], threads: int | None):
        self.files, self.threads = files, threads

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        self.db = duckdb.connect()
        if self.threads:
            self.db.execute(f"SET threads = {int(self.threads)}")
        if not self.files:
            self.db.execute(
                'CREATE VIEW log AS SELECT NULL::VARCHAR AS request_id, NULL::BIGINT AS "row", '
                "NULL::BIGINT AS _us WHERE false"
            )
            return self.db
        paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in self.files)
        self.db.execute(
            f'CREATE VIEW log AS SELECT *, epoch_us("at") AS _us '
            f"FROM read_parquet([{paths}], union_by_name = true)"
        )
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def where(window: Window, prefix: str = "") -> tuple[str, list[Any]]:
    us, rid, row = f"{prefix}_us", f"{prefix}request_id", f'{prefix}"row"'
    if window.cutoff is None:
        return f"{us} BETWEEN ? AND ?", [window.start_us, window.end_us]
    at, request, position = window.cutoff
    tie = f"({us} = ? AND ({rid} > ? OR ({rid} = ? AND {row} >= ?)))"
    return (
        f"{us} <= ? AND ({us} > ? OR {tie})",
        [window.end_us, at, at, request, request, position],
    )


def visible(paths: Iterator[Path], start_us: int | None) -> list[Path]:
    # Segment folders are UTC hours (yyyymmddHH); a window starting at start_us needs only
    # those of its hour and later. An hour of slack keeps a row written at a boundary.
    first = None if start_us is None else _hour_name(start_us - _HOUR_US)
    found = [
        p for p in paths if not p.name.startswith(".") and (first is None or p.parent.name >= first)
    ]
    return sorted(found)


def folder_for_rows(files: list[Path], rows: int | None) -> str | None:
    """The oldest hour folder a count window of the newest ``rows`` rows can reach: newest
    folders first until their row counts (Parquet footers only) add up to ``rows``."""
    if rows is None:
        return None
    import pyarrow.parquet as pq

    by_folder: dict[str, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent.name, []).append(f)
    total = 0
    for name in sorted(by_folder, reverse=True):
        total += sum(pq.ParquetFile(f).metadata.num_rows for f in by_folder[name])
        if total >= rows:
            return name
    return None


def _hour_name(us: int) -> str:
    import datetime as dt

    moment = dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC)
    return moment.strftime("%Y%m%d%H")


def iso(us: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC).isoformat()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
