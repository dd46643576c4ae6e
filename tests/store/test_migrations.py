"""Migrations create exactly the tables in _schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel.store import SQLStore
from keel.store._schema import VERSION_TABLE, metadata


def _keel_tables_only(name: str | None, kind: str, parents: dict) -> bool:
    """Optuna keeps its own tables in the same database; they are not keel's schema."""
    return kind != "table" or name in metadata.tables


# Tables that revisions after 0003 create, children first.
_TABLES_AFTER_0003 = (
    "alert_events",
    "monitor_reports",
    "deployment_counts",
    "deployment_events",
    "deployments",
    "api_tokens",
    "alias_events",
    "model_aliases",
    "model_versions",
    "registered_models",
)


def _drift(url: str) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = SQLStore(url)
    store.open()
    with store.reading() as conn:
        opts = {"version_table": VERSION_TABLE, "include_name": _keel_tables_only}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, metadata)
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


def test_optuna_shares_the_database_and_old_stores_move_their_version_table(
    tmp_path: Path,
) -> None:
    import sqlite3

    import optuna

    url = f"sqlite:///{tmp_path / 'k.db'}"
    SQLStore(url).open()
    # A store written before schema version 4 kept keel's revision in alembic_version.
    with sqlite3.connect(tmp_path / "k.db") as db:
        db.execute(f"ALTER TABLE {VERSION_TABLE} RENAME TO alembic_version")
        db.execute("UPDATE alembic_version SET version_num = '0003'")
        db.execute("UPDATE keel_meta SET value = '3' WHERE key = 'schema_version'")
        for table in _TABLES_AFTER_0003:  # a store at revision 0003 did not have them
            db.execute(f"DROP TABLE {table}")
    store = SQLStore(url)
    store.open()
    store.close()
    with sqlite3.connect(tmp_path / "k.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert VERSION_TABLE in tables and "alembic_version" not in tables
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=url, study_name="s")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert _drift(url) == []  # keel's tables unchanged beside Optuna's
    reopened = SQLStore(url)
    reopened.open()
    reopened.close()
