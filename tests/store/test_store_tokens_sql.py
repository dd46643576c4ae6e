"""API token rows in the store, on SQLite and PostgreSQL: only digests, revocation kept."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from keel.store import SQLStore
from keel.store._sql_tokens import TokenRow


def _row(token_id: str, digest: str, **fields) -> TokenRow:
    values = {"name": None, "role": "reader", "created_at": 1000.0, "expires_at": None}
    values.update(fields)
    return TokenRow(token_id=token_id, digest=digest, revoked_at=None, **values)


def test_a_token_row_reads_back_as_written(store: SQLStore) -> None:
    row = _row("a" * 12, "a" * 64, name="ci", role="deployer", expires_at=2000.0)
    store.add_api_token(row)
    assert store.api_token("a" * 12) == row
    assert store.api_token("b" * 12) is None


def test_tokens_list_oldest_first_and_revoked_ones_on_request(store: SQLStore) -> None:
    store.add_api_token(_row("b" * 12, "b" * 64, created_at=2.0))
    store.add_api_token(_row("a" * 12, "a" * 64, created_at=1.0))
    assert store.revoke_api_token("b" * 12) is True
    assert [r.token_id for r in store.api_tokens()] == ["a" * 12, "b" * 12]
    assert [r.token_id for r in store.api_tokens(include_revoked=False)] == ["a" * 12]


def test_revoking_twice_keeps_the_first_time_and_unknown_ids_say_so(store: SQLStore) -> None:
    store.add_api_token(_row("a" * 12, "a" * 64))
    store.revoke_api_token("a" * 12)
    first = store.api_token("a" * 12)
    assert first is not None and first.revoked_at is not None
    assert store.revoke_api_token("a" * 12) is True
    assert store.api_token("a" * 12) == first
    assert store.revoke_api_token("c" * 12) is False


def test_ids_and_digests_are_unique(store: SQLStore) -> None:
    store.add_api_token(_row("a" * 12, "a" * 64))
    with pytest.raises(IntegrityError):
        store.add_api_token(_row("a" * 12, "b" * 64))
    with pytest.raises(IntegrityError):
        store.add_api_token(_row("b" * 12, "a" * 64))


def test_validity_honours_revocation_and_expiry() -> None:
    row = _row("a" * 12, "a" * 64, expires_at=100.0)
    assert row.valid_at(99.0) and not row.valid_at(100.0)
    assert not TokenRow(**{**vars(row), "revoked_at": 50.0}).valid_at(10.0)
    assert _row("b" * 12, "b" * 64).valid_at(1e12)  # no expiry
