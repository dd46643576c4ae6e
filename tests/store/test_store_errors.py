"""Database failures reach the caller as StoreError naming the store, not a driver error."""

from __future__ import annotations

import pytest

from keel.errors import StoreError
from keel.store import SQLStore


def test_unreachable_postgres_is_a_store_error() -> None:
    store = SQLStore("postgresql+psycopg://nobody@127.0.0.1:1/nowhere?connect_timeout=2")
    with pytest.raises(StoreError, match=r"127\.0\.0\.1"):
        store.open()


def test_unknown_driver_says_what_to_install() -> None:
    with pytest.raises(StoreError, match=r"not a valid database URL|not installed"):
        SQLStore("mysql+nosuchdriver://x@localhost/db").open()


def test_a_broken_table_is_a_store_error(tmp_path) -> None:
    store = SQLStore(f"sqlite:///{tmp_path / 'k.db'}")
    store.open()
    with store.writing() as conn:
        conn.exec_driver_sql("DROP TABLE latest_metrics")
    with pytest.raises(StoreError, match="no such table: latest_metrics"):
        store.metric_counts("x")
    store.close()
