"""Migrations create exactly the tables in _schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel.store import SQLStore
from keel.store._schema import metadata


def _drift(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = SQLStore(url)
    store.open()
    with store.reading() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    return diff


def test_sqlite_migrations_match_schema(tmp_path: Path) -> None:
    assert _drift(f"sqlite:///{tmp_path / 'k.db'}") == []


@pytest.mark.postgres
def test_postgres_migrations_match_schema(postgres_url: str) -> None:
    assert _drift(postgres_url) == []


def test_opening_twice_migrates_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    for _ in range(2):
        store = SQLStore(url)
        store.open()
        store.close()
    from keel.store._migrate import sqlite_schema_version
    from keel.store._schema import SCHEMA_VERSION

    assert sqlite_schema_version(tmp_path / "k.db") == SCHEMA_VERSION


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    from keel.errors import StoreError

    bogus = tmp_path / "k.db"
    bogus.write_text("not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a keel store"):
        SQLStore(f"sqlite:///{bogus}").open()
