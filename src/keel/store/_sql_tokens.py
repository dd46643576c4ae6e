"""API tokens' SQL: rows keyed by token id, holding only the SHA-256 digest of each token.

The store never sees a token itself; ``keel.serving._tokens`` hashes it, looks the row up
by id and compares digests in constant time. Every function takes a connection inside the
caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from keel.store._schema import api_tokens


@dataclass(frozen=True)
class TokenRow:
    """One API token as stored: everything but the secret."""

    token_id: str
    name: str | None
    role: str
    digest: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def valid_at(self, now: float) -> bool:
        """Neither revoked nor expired at ``now`` (seconds since the epoch)."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


def insert_token(conn: Connection, row: TokenRow) -> None:
    conn.execute(insert(api_tokens).values(**vars(row)))


def get_token(conn: Connection, token_id: str) -> TokenRow | None:
    found = conn.execute(select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
    return None if found is None else TokenRow(**found._asdict())


def list_tokens(conn: Connection, include_revoked: bool) -> list[TokenRow]:
    stmt = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.token_id)
    if not include_revoked:
        stmt = stmt.where(api_tokens.c.revoked_at.is_(None))
    return [TokenRow(**row._asdict()) for row in conn.execute(stmt)]


def revoke_token(conn: Connection, token_id: str, now: float) -> bool:
    """Mark a token revoked; False when no such token. Revoking twice keeps the first time."""
    if get_token(conn, token_id) is None:
        return False
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return True
