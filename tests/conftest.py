"""Shared fixtures: workspaces, and the real PostgreSQL / Redis services.

Tests that need a service use it for real. Where it is absent they fail under CI (``CI``
set) and skip with a one-line reason on a laptop.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import keel
from keel.store import SQLStore

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def _service_url(env: str, default: str, name: str) -> str:
    url = os.environ.get(env, default)
    if not _answers(url):
        message = f"{name} does not answer at {url} (set {env})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must provide it", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    return _service_url("KEEL_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL, "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("KEEL_TEST_REDIS_URL", DEFAULT_REDIS_URL, "Redis")


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A store URL whose tables live in a fresh PostgreSQL schema, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"keel_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in postgres_server_url else "?"
    yield f"{postgres_server_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[keel.Workspace]:
    """A fresh embedded workspace in a temporary folder."""
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    ws = keel.Workspace.init(tmp_path / "ws", project="test")
    yield ws
    ws.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLStore]:
    """An open SQLStore, once on SQLite and once on the real PostgreSQL (a fresh database
    each); a test module may define its own ``store`` instead."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keel.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = SQLStore(url)
    opened.open()
    yield opened
    opened.close()
