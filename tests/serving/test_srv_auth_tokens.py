"""API tokens: printed once, kept as a digest, checked in full, expiring and revocable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from keel.serving._tokens import (
    TokenChecker,
    TokenError,
    check,
    create,
    list_tokens,
    parse_expires,
    revoke,
    token_id_of,
)
from keel.store import SQLStore


def test_a_new_token_is_random_and_only_its_digest_is_stored(
    store: SQLStore, tmp_path: Path
) -> None:
    record, secret = create(store, "deployer", name="ci")
    other = create(store, "deployer")[1]
    assert secret.startswith("keel_") and len(secret) == 5 + 43 and secret != other
    assert record.token_id == token_id_of(secret) and record.role == "deployer"
    assert check(store, secret) == "deployer"
    if store.dialect == "sqlite":
        assert secret.encode() not in (tmp_path / "keel.db").read_bytes()
    assert all(secret not in repr(vars(row)) for row in list_tokens(store))


def test_unknown_malformed_and_altered_tokens_are_refused(store: SQLStore) -> None:
    _, secret = create(store, "admin")
    for presented in ("", "keel_", secret + "x", secret[:-1], "Bearer " + secret, "x" * 10_000):
        assert check(store, presented) is None


def test_the_whole_digest_is_compared_not_only_the_id(store: SQLStore) -> None:
    """The row is found by the id (the digest's first 12 digits); a stored digest that
    differs only in its last digit must still refuse the token."""
    from sqlalchemy import update

    from keel.store._schema import api_tokens

    record, secret = create(store, "reader")
    altered = record.digest[:-1] + ("0" if record.digest[-1] != "0" else "1")
    with store.writing() as conn:
        conn.execute(update(api_tokens).values(digest=altered))
    assert store.api_token(record.token_id) is not None
    assert check(store, secret) is None


def test_expiry_is_honoured(store: SQLStore) -> None:
    record, secret = create(store, "reader", expires="2h")
    assert record.expires_at == pytest.approx(record.created_at + 7200)
    assert check(store, secret, now=record.created_at + 7199) == "reader"
    assert check(store, secret, now=record.created_at + 7200) is None


def test_revoked_tokens_stop_working_and_unknown_ids_are_named(store: SQLStore) -> None:
    record, secret = create(store, "admin")
    keep = create(store, "reader")[1]
    revoked = revoke(store, record.token_id)
    assert revoked.revoked_at is not None
    assert check(store, secret) is None and check(store, keep) == "reader"
    assert record.token_id not in [r.token_id for r in list_tokens(store, include_revoked=False)]
    with pytest.raises(TokenError, match="no token with id 'nope'"):
        revoke(store, "nope")


def test_roles_and_expiries_are_validated(store: SQLStore) -> None:
    with pytest.raises(TokenError, match=r"one of reader, deployer, admin\. Got 'root'"):
        create(store, "root")
    for bad in ("30x", "soon", "-1d", 0, -5):
        with pytest.raises(TokenError, match="expiry"):
            parse_expires(bad)
    assert parse_expires("30d") == 30 * 86400 and parse_expires("1.5h") == 5400
    assert parse_expires(90) == 90 and parse_expires(None) is None


def test_the_cached_checker_sees_expiry_at_once_and_revocation_within_its_ttl(
    store: SQLStore,
) -> None:
    _, short = create(store, "reader", expires=0.3)
    record, secret = create(store, "deployer")
    checker = TokenChecker(store, ttl_s=0.2)
    assert checker(short) == "reader" and checker(secret) == "deployer"
    revoke(store, record.token_id)
    assert checker(secret) == "deployer"  # still cached
    time.sleep(0.35)
    assert checker(short) is None  # expired, though its row was cached
    assert checker(secret) is None  # the cache entry aged out, the revocation is seen


def test_the_checker_cache_stays_bounded(store: SQLStore) -> None:
    checker = TokenChecker(store, max_entries=10)
    for i in range(50):
        assert checker(f"keel_guess{i}") is None
    assert len(checker._rows) <= 10
