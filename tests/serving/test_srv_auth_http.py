"""Auth on a real Starlette app: 401 without a valid token, 403 below the role, logged
without the token."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keel.serving._auth import TOKEN_ID_KEY, Auth, AuthFailed
from keel.serving._tokens import TokenChecker, create, revoke
from keel.store import SQLStore


def _app(auth: Auth) -> Starlette:
    def guarded(role: str):
        async def endpoint(request: Request) -> Response:
            try:
                auth.require(request, role)
            except AuthFailed as refused:
                return JSONResponse(refused.as_json(), refused.status_code, refused.headers)
            return JSONResponse({"ok": role, "token": request.scope[TOKEN_ID_KEY]})

        return endpoint

    return Starlette(routes=[Route(f"/{r}", guarded(r)) for r in ("reader", "deployer", "admin")])


@pytest.fixture
def store(tmp_path: Path):
    opened = SQLStore(f"sqlite:///{tmp_path / 'k.db'}")
    opened.open()
    yield opened
    opened.close()


@pytest.fixture
def client(store: SQLStore) -> Iterator[httpx.Client]:
    """A real uvicorn server on a free port of 127.0.0.1, and an httpx client for it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = _app(Auth(TokenChecker(store, ttl_s=0.0)))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = sock.getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        yield http
    server.should_exit = True
    thread.join(10)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_roles_are_ordered(store: SQLStore, client: httpx.Client) -> None:
    tokens = {role: create(store, role)[1] for role in ("reader", "deployer", "admin")}
    allowed = {
        (held, needed): client.get(f"/{needed}", headers=_bearer(tokens[held])).status_code
        for held in tokens
        for needed in tokens
    }
    assert allowed == {
        (held, needed): 200 if rank_held >= rank_needed else 403
        for rank_held, held in enumerate(tokens)
        for rank_needed, needed in enumerate(tokens)
    }


def test_a_missing_or_bad_token_gets_401_with_a_bearer_challenge(
    store: SQLStore, client: httpx.Client
) -> None:
    record, secret = create(store, "admin")
    revoke(store, record.token_id)
    expired = create(store, "admin", expires=1e-6)[1]
    basic, empty = {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}
    for headers in ({}, _bearer("keel_nope"), _bearer(secret), _bearer(expired), basic, empty):
        answer = client.get("/reader", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith('Bearer realm="keel"')
        assert answer.json()["error"] and answer.json()["fields"] == []


def test_too_low_a_role_gets_403_naming_both_roles(store: SQLStore, client: httpx.Client) -> None:
    answer = client.get("/admin", headers=_bearer(create(store, "deployer")[1]))
    assert answer.status_code == 403
    assert "'admin'" in answer.json()["error"] and "'deployer'" in answer.json()["error"]
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


def test_the_scheme_is_case_insensitive_and_the_token_id_is_left_for_audit(
    store: SQLStore, client: httpx.Client
) -> None:
    record, secret = create(store, "reader")
    answer = client.get("/reader", headers={"Authorization": f"bEaReR {secret}"})
    assert answer.json() == {"ok": "reader", "token": record.token_id}


def test_refusals_are_logged_with_the_token_id_never_the_token(
    store: SQLStore, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    record, secret = create(store, "reader")
    caplog.set_level(logging.WARNING, logger="keel.serving.auth")
    client.get("/admin", headers={**_bearer(secret), "X-Request-ID": "r-42"})
    client.get("/admin")
    client.get("/admin", headers=_bearer("keel_wrong"))
    lines = [r.getMessage() for r in caplog.records if r.name == "keel.serving.auth"]
    assert len(lines) == 3
    assert f"403, token {record.token_id}" in lines[0] and "r-42" in lines[0]
    assert "401, token none" in lines[1]
    assert "401, token " in lines[2] and "keel_wrong" not in lines[2]
    assert all(secret not in line for line in caplog.text.splitlines())
