"""Schema versioning: refuse a store from a newer keel, apply Alembic migrations on open.

The schema version lives in ``keel_meta`` as a plain integer, so it can be read without
Alembic (whose import alone costs about 0.3 s) and, for SQLite, without SQLAlchemy. Alembic
is imported only when the store is new or older than this keel.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from keel import __version__
from keel.errors import StoreError, StoreVersionError
from keel.store._version import SCHEMA_VERSION

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_ID = 0x6B65656C  # "keel": one advisory lock for migrations per database


def sqlite_schema_version(path: Path) -> int | None:
    """Read the schema version of a SQLite store with the standard library only.

    Returns None when the file or its ``keel_meta`` table does not exist yet.
    """
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM keel_meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise StoreError(f"Cannot read the keel store {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a keel store (not a SQLite database: {exc}).") from None
    return int(row[0]) if row else None


def check_version(found: int | None, where: str) -> bool:
    """True when the store needs migrating; raise when it is newer than this keel."""
    if found is not None and found > SCHEMA_VERSION:
        raise StoreVersionError(
            f"The store at {where} has schema version {found}, written by a newer keel; this "
            f"keel ({__version__}) supports schema version {SCHEMA_VERSION} at most. "
            "Upgrade keel to open it.",
            found=str(found),
            supported=str(SCHEMA_VERSION),
        )
    return found != SCHEMA_VERSION


def ensure_schema(write_engine: Engine, where: str) -> None:
    """Bring the database to this keel's schema, holding a lock so two openers don't race."""
    with _migration_lock(write_engine), write_engine.connect() as conn:
        if not check_version(_read_version(conn), where):
            return
        _upgrade(conn)
        conn.commit()


def _read_version(conn: Connection) -> int | None:
    from sqlalchemy import inspect, select

    from keel.store._schema import meta

    if not inspect(conn).has_table("keel_meta"):
        return None
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else None


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import delete, insert

    from keel.store._schema import meta

    _adopt_default_version_table(conn)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
    conn.execute(delete(meta).where(meta.c.key.in_(["schema_version", "written_by"])))
    conn.execute(
        insert(meta),
        [
            {"key": "schema_version", "value": str(SCHEMA_VERSION)},
            {"key": "written_by", "value": f"keel {__version__} at {time.time():.0f}"},
        ],
    )


def _adopt_default_version_table(conn: Connection) -> None:
    """Stores written before schema version 4 kept keel's revision in ``alembic_version``,
    the table Optuna needs for its own: move it to keel's table."""
    from sqlalchemy import inspect, text

    from keel.store._schema import VERSION_TABLE

    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables or VERSION_TABLE in tables:
        return
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision in _KEEL_REVISIONS:
        conn.execute(text(f"ALTER TABLE alembic_version RENAME TO {VERSION_TABLE}"))


# Revisions that only keel wrote into ``alembic_version`` (before it had a table of its own).
_KEEL_REVISIONS = {"0001", "0002", "0003"}


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    from keel.store._engine import sqlite_path

    path = sqlite_path(str(engine.url))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.migrate-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_LOCK_ID})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_LOCK_ID})")
                conn.commit()
    else:
        yield
