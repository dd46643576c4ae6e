"""SQLAlchemy engines for the two supported databases, tuned for many writers.

SQLite: WAL journal (readers never block the writer), ``synchronous=NORMAL`` (a committed
transaction survives a killed process; an OS crash may lose the last transactions), a 60 s
busy timeout, and ``BEGIN IMMEDIATE`` for write transactions. The last point matters: a
deferred transaction that reads and then writes cannot wait for the lock, it fails at once
with 'database is locked'; taking the write lock up front lets SQLite's busy handler queue
concurrent writers instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_S = 60.0
_WRITE_OPTION = "keel_write"


def sqlite_path(url: str) -> Path | None:
    """The database file of a ``sqlite:///path`` URL; None for other URLs and in-memory."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def create_engines(url: str) -> tuple[Engine, Engine]:
    """Return ``(read_engine, write_engine)`` for ``url``; they share one connection pool.

    Raises:
        StoreError: the URL names a database driver that is not installed.
    """
    from sqlalchemy import create_engine, event

    kwargs: dict[str, Any] = {}
    is_sqlite = url.startswith("sqlite")
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if sqlite_path(url) is None:  # in-memory: every connection must see the same database
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:
        extra = "postgres" if url.startswith("postgres") else None
        hint = f" Install it with: pip install 'keel[{extra}]'" if extra else ""
        raise StoreError(
            f"The driver for store URL {url!r} is not installed ({exc}).{hint}"
        ) from None
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise StoreError(f"Store URL {url!r} is not a valid database URL: {exc}") from None
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine, engine.execution_options(**{_WRITE_OPTION: True})


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event (pysqlite's own is broken for this).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
