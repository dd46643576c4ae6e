"""keel tokens create / list / revoke, and keel serve's errors before it listens."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import keel
from keel.cli import app


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.delenv("KEEL_WORKSPACE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    keel.Workspace.init(tmp_path / "ws", project="demo").close()
    return tmp_path / "ws"


def keel_cli(workspace: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["-w", str(workspace), *args])


def test_create_prints_the_secret_once_and_list_never_shows_it(workspace: Path) -> None:
    created = keel_cli(workspace, "tokens", "create", "--role", "reader", "--name", "dash",
                       "--expires", "30d")  # fmt: skip
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("keel_") and len(secret) > 40
    assert "reader" in created.stdout and "expires" in created.stdout

    listed = keel_cli(workspace, "tokens", "list")
    assert listed.exit_code == 0, listed.output
    assert "dash" in listed.stdout and "reader" in listed.stdout
    assert secret not in listed.stdout

    rows = json.loads(keel_cli(workspace, "tokens", "list", "--json").stdout)
    assert [(r["name"], r["role"], r["revoked_at"]) for r in rows] == [("dash", "reader", None)]
    assert "digest" not in rows[0] and rows[0]["expires_at"] > rows[0]["created_at"]
    with keel.Workspace.open(workspace) as ws:
        assert ws.token_checker()(secret) == "reader"


def test_revoke_makes_the_token_useless(workspace: Path) -> None:
    created = json.loads(
        keel_cli(workspace, "tokens", "create", "--role", "deployer", "--json").stdout
    )
    revoked = keel_cli(workspace, "tokens", "revoke", created["token_id"])
    assert revoked.exit_code == 0, revoked.output
    assert f"Revoked token {created['token_id']}" in revoked.stdout
    rows = json.loads(keel_cli(workspace, "tokens", "list", "--json").stdout)
    assert rows[0]["revoked_at"] is not None
    with keel.Workspace.open(workspace) as ws:
        assert ws.token_checker()(created["token"]) is None


def test_bad_role_unknown_id_and_bad_expiry_are_clear_errors(workspace: Path) -> None:
    bad_role = keel_cli(workspace, "tokens", "create", "--role", "root")
    assert bad_role.exit_code == 1
    assert "reader, deployer, admin" in bad_role.output and "'root'" in bad_role.output
    unknown = keel_cli(workspace, "tokens", "revoke", "abc123")
    assert unknown.exit_code == 1 and "abc123" in unknown.output
    bad_expiry = keel_cli(workspace, "tokens", "create", "--role", "admin", "--expires", "soon")
    assert bad_expiry.exit_code == 1 and "'soon'" in bad_expiry.output
    assert json.loads(keel_cli(workspace, "tokens", "list", "--json").stdout) == []


def test_list_without_tokens_says_how_to_make_one(workspace: Path) -> None:
    listed = keel_cli(workspace, "tokens", "list")
    assert listed.exit_code == 0 and "keel tokens create" in listed.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (["nope@champion"], "nope"),
        (["bad/ref@x"], "bad/ref@x"),
        ([], "serve.models"),
    ],
)
def test_serve_refuses_bad_refs_before_listening(
    workspace: Path, refs: list[str], expected: str
) -> None:
    port = _free_port()
    result = keel_cli(workspace, "serve", *refs, "--port", str(port))
    assert result.exit_code == 1, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert "Serving" not in result.stdout
    assert _port_is_free(port)


def test_serve_refuses_bad_options_with_the_setting_named(workspace: Path) -> None:
    auth = keel_cli(workspace, "serve", "m@champion", "--auth", "sometimes")
    assert auth.exit_code == 1 and "auth" in auth.output and "sometimes" in auth.output
    level = keel_cli(workspace, "serve", "m@champion", "--log-level", "loud")
    assert level.exit_code == 2 and "--log-level" in level.output
    workers = keel_cli(workspace, "serve", "m@champion", "--workers", "0")
    assert workers.exit_code == 2 and "--workers" in workers.output


def test_serve_help_lists_its_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--auth", "--poll", "--log-level"):
        assert option in result.stdout
    tokens = CliRunner().invoke(app, ["tokens", "--help"], env={"COLUMNS": "200"})
    assert all(word in tokens.stdout for word in ("create", "list", "revoke"))
