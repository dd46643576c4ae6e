"""Bearer-token access control: each endpoint needs a role, roles are ordered.

``reader`` may predict and read, ``deployer`` also reload, roll back and send feedback,
``admin`` everything. A request without a usable token gets 401 (with
``WWW-Authenticate: Bearer``, RFC 6750); one whose token's role is too low gets 403. Both
are logged (logger ``keel.serving.auth``) with the token's public id or ``none``, never
the token.

Example:
    >>> from starlette.requests import Request
    >>> auth = Auth(lambda token: {"keel_r": "reader"}.get(token))
    >>> def request(token):
    ...     headers = [(b"authorization", f"Bearer {token}".encode())]
    ...     return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})
    >>> auth.require(request("keel_r"), "reader")
    >>> try:
    ...     auth.require(request("keel_r"), "deployer")
    ... except AuthFailed as refused:
    ...     print(refused.status_code, refused.detail)
    403 This call needs the role 'deployer' or above; the token's role is 'reader'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from keel.errors import KeelError
from keel.serving._tokens import ROLES, token_id_of

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

__all__ = ["ROLES", "Auth", "AuthFailed"]

logger = logging.getLogger("keel.serving.auth")

_RANK = {role: rank for rank, role in enumerate(ROLES)}
#: Where ``require`` leaves the public id of the token that passed (for audit records).
TOKEN_ID_KEY = "keel.token_id"


class AuthFailed(KeelError):
    """A request was refused: ``status_code`` 401 (no valid token) or 403 (role too low).

    ``headers`` are to be sent with the answer; ``detail`` says why, without the token.
    """

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers or {}

    def as_json(self) -> dict[str, object]:
        """The body in the serving API's error format."""
        return {"error": self.detail, "fields": []}


class Auth:
    """Checks bearer tokens against ``check_token`` (a token → its role, or None).

    ``check_token`` does the constant-time comparison (see ``keel.serving._tokens``); pass
    a ``TokenChecker`` on a server so that lookups are cached.
    """

    def __init__(self, check_token: Callable[[str], str | None]):
        self.check_token = check_token

    def require(self, request: HTTPConnection, role: str) -> None:
        """Return when the request's token has ``role`` or a higher one; else raise.

        Raises:
            AuthFailed: 401 without a token or with an unknown, revoked or expired one;
                403 with a valid token whose role is lower than ``role``.
        """
        needed = _RANK[role]  # a KeyError here is a bug in the caller, not bad input
        token = _bearer_token(request.headers.get("authorization"))
        if token is None:
            raise _refuse(request, 401, "none", "This call needs a bearer token.", "")
        token_id = token_id_of(token) or "not-a-keel-token"
        granted = self.check_token(token)
        if granted is None:
            detail = "The bearer token is unknown, revoked or expired."
            raise _refuse(request, 401, token_id, detail, ', error="invalid_token"')
        if _RANK[granted] < needed:
            detail = f"This call needs the role {role!r} or above; the token's role is {granted!r}."
            raise _refuse(request, 403, token_id, detail, ', error="insufficient_scope"')
        request.scope[TOKEN_ID_KEY] = token_id


def _bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _refuse(
    request: HTTPConnection, status: int, token_id: str, detail: str, challenge: str
) -> AuthFailed:
    client = request.client.host if request.client else "-"
    logger.warning(
        "refused %s %s from %s: %d, token %s, request id %s: %s",
        request.scope.get("method", "-"),
        request.url.path,
        client,
        status,
        token_id,
        request.headers.get("x-request-id", "-"),
        detail,
    )
    # RFC 6750: the challenge goes with both answers, naming the error when there is one.
    return AuthFailed(status, detail, {"WWW-Authenticate": f'Bearer realm="keel"{challenge}'})
