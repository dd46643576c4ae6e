"""The store conformance kit on the embedded SQLite store and on the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from keel.testing import StoreTests


class TestSQLiteStore(StoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'keel.db'}"


@pytest.mark.postgres
class TestPostgresStore(StoreTests):
    @pytest.fixture
    def store_url(self, postgres_url: str) -> str:
        return postgres_url
