"""Reading a data set from a SQL query, through SQLAlchemy; the source's text never shows
the URL's password."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keel.data import _source_errors as problems
from keel.data._frame_source import Loaded, _loaded
from keel.errors import DataError

_SQL_SHAPE = "{'sql': {'url': 'dialect+driver://user@host/db', 'query': 'SELECT …'}}"


def _sql_parts(source: Any) -> tuple[str, str]:
    if isinstance(source, Mapping):
        if "sql" not in source:
            keys = ", ".join(repr(k) for k in source) or "none"
            raise DataError(f"A data source mapping must be {_SQL_SHAPE}; its keys: {keys}.")
        sql = source["sql"]
    elif hasattr(source, "sql"):
        sql = source.sql
    else:
        raise DataError(
            f"Cannot read a data source of type {type(source).__name__}; expected a file path, "
            f"a pandas, Polars or pyarrow frame, or {_SQL_SHAPE}."
        )
    get = sql.get if isinstance(sql, Mapping) else lambda name: getattr(sql, name, None)
    url, query = get("url"), get("query")
    if not (isinstance(url, str) and url and isinstance(query, str) and query.strip()):
        raise DataError(f"A SQL source needs a url and a query, as {_SQL_SHAPE}; got {sql!r}.")
    return url, query


def _read_sql(url: str, query: str, base_dir: str | os.PathLike[str] | None) -> Loaded:
    import pandas as pd
    import sqlalchemy as sa

    try:
        parsed = _resolve_sqlite(sa.make_url(url), base_dir)
    except sa.exc.ArgumentError:
        raise DataError(
            f"The SQL source's url {_hide_password(url)!r} is not a SQLAlchemy URL; expected "
            "dialect+driver://user@host/database, e.g. postgresql+psycopg://me@db/sales "
            "or sqlite:///data.db."
        ) from None
    safe = parsed.render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(parsed)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise DataError(
            f"No database driver for the SQL source {safe}: {exc}. For PostgreSQL use "
            "postgresql+psycopg://… and pip install 'keel[postgres]'."
        ) from None
    try:
        with engine.connect() as connection:
            # text(): the query goes to the database as written (a % stays a %).
            frame = pd.read_sql(sa.text(query), connection)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        raise problems.sql_error(exc, url=safe, query=query, password=parsed.password) from None
    finally:
        engine.dispose()
    return _loaded(frame, f"SQL: {safe}")


def _resolve_sqlite(url: Any, base_dir: str | os.PathLike[str] | None) -> Any:
    """A relative SQLite file is read from ``base_dir``, as the store's own URL is."""
    database = url.database
    if not url.drivername.startswith("sqlite") or base_dir is None or not database:
        return url
    if database == ":memory:" or database.startswith("file:") or Path(database).is_absolute():
        return url
    return url.set(database=str(Path(base_dir).expanduser() / database))


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
