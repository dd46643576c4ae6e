"""API tokens: created with a role, printed once, kept only as a SHA-256 digest.

A token is ``keel_`` followed by 32 random bytes in URL-safe base64 (256 bits: guessing
is hopeless, so a plain SHA-256 digest suffices where a password would need a slow hash).
Its id is the digest's first 12 hex digits: public, shown by ``keel tokens list`` and in
logs, and derivable from a presented token without a lookup. Checking a token looks its
row up by id and then compares the full digests with ``hmac.compare_digest``, so the
answer's timing says nothing about how much of a guess was right.

Example:
    >>> from keel.store import SQLStore
    >>> store = SQLStore("sqlite://"); store.open()
    >>> record, secret = create(store, "reader", name="dashboards", expires="30d")
    >>> check(store, secret), check(store, secret + "x"), record.role
    ('reader', None, 'reader')
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from keel.errors import KeelError
from keel.store._sql_tokens import TokenRow

if TYPE_CHECKING:
    from keel.store import SQLStore

__all__ = [
    "ROLES",
    "TokenChecker",
    "TokenError",
    "TokenRow",
    "check",
    "create",
    "list_tokens",
    "parse_expires",
    "revoke",
    "token_id_of",
]

#: From least to most trusted; a role may do everything the ones before it may.
ROLES = ("reader", "deployer", "admin")
PREFIX = "keel_"
ID_LENGTH = 12
# Longer than any token create() makes: a huge header is refused before it is hashed.
_MAX_TOKEN_CHARS = 128
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


class TokenError(KeelError):
    """A token request is wrong: an unknown role or token id, a bad expiry."""


def create(
    store: SQLStore,
    role: str,
    name: str | None = None,
    expires: str | float | timedelta | None = None,
) -> tuple[TokenRow, str]:
    """Make a token with ``role``; returns its record and the secret, which is not kept.

    Args:
        expires: how long it stays valid ("30d", "12h", seconds, a timedelta), or None
            for a token that never expires.
    """
    _check_role(role)
    lifetime = parse_expires(expires)
    secret = PREFIX + secrets.token_urlsafe(32)
    digest = _digest(secret)
    now = time.time()
    row = TokenRow(
        token_id=digest[:ID_LENGTH],
        name=name,
        role=role,
        digest=digest,
        created_at=now,
        expires_at=None if lifetime is None else now + lifetime,
        revoked_at=None,
    )
    store.add_api_token(row)
    return row, secret


def list_tokens(store: SQLStore, *, include_revoked: bool = True) -> list[TokenRow]:
    return store.api_tokens(include_revoked=include_revoked)


def revoke(store: SQLStore, token_id: str) -> TokenRow:
    """Revoke a token at once (a server caching lookups sees it within its ``ttl_s``)."""
    if not store.revoke_api_token(token_id):
        known = ", ".join(row.token_id for row in store.api_tokens()) or "none"
        raise TokenError(f"There is no token with id {token_id!r}. Known ids: {known}.")
    found = store.api_token(token_id)
    assert found is not None
    return found


def check(store: SQLStore, secret: str, *, now: float | None = None) -> str | None:
    """The role of a valid token; None for an unknown, revoked or expired one."""
    digest = _presented_digest(secret)
    if digest is None:
        return None
    return _role_if_valid(store.api_token(digest[:ID_LENGTH]), digest, now)


def token_id_of(secret: str) -> str | None:
    """The id a presented token would have (None when it cannot be a keel token)."""
    digest = _presented_digest(secret)
    return None if digest is None else digest[:ID_LENGTH]


class TokenChecker:
    """``check`` with its lookups cached for ``ttl_s``, for the request path.

    A cached row is still compared in constant time and its expiry tested on every call;
    only a revocation takes up to ``ttl_s`` to be seen. Unknown ids are cached too (so
    a flood of bad tokens does not become a flood of queries); the cache is cleared when
    it holds ``max_entries``, which bounds its memory.
    """

    def __init__(self, store: SQLStore, *, ttl_s: float = 5.0, max_entries: int = 10_000):
        self.store = store
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._rows: dict[str, tuple[TokenRow | None, float]] = {}

    def __call__(self, secret: str) -> str | None:
        digest = _presented_digest(secret)
        if digest is None:
            return None
        return _role_if_valid(self._row(digest[:ID_LENGTH]), digest, None)

    def _row(self, token_id: str) -> TokenRow | None:
        now = time.monotonic()
        cached = self._rows.get(token_id)
        if cached is not None and now - cached[1] < self.ttl_s:
            return cached[0]
        row = self.store.api_token(token_id)
        if len(self._rows) >= self.max_entries:
            self._rows.clear()
        self._rows[token_id] = (row, now)
        return row


def parse_expires(value: str | float | timedelta | None) -> float | None:
    """Seconds a token lives: "30d" (s, m, h, d or w), a number of seconds, a timedelta."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise TokenError(
                f"The token expiry must be a number followed by s, m, h, d or w (as in "
                f"'30d'). Got {value!r} instead."
            )
        seconds = float(match[1]) * _UNITS[match[2]]
    else:
        seconds = float(value)
    if not seconds > 0:
        raise TokenError(f"The token expiry must be positive. Got {value!r} instead.")
    return seconds


def _role_if_valid(row: TokenRow | None, digest: str, now: float | None) -> str | None:
    if row is None or not hmac.compare_digest(row.digest, digest):
        return None
    if not row.valid_at(time.time() if now is None else now):
        return None
    return row.role if row.role in ROLES else None


def _presented_digest(secret: str) -> str | None:
    if not secret.startswith(PREFIX) or len(secret) > _MAX_TOKEN_CHARS:
        return None
    return _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise TokenError(f"The token role must be one of {', '.join(ROLES)}. Got {role!r} instead.")
