"""``keel tokens``: API tokens for ``keel serve --auth required``, each with a role; the
secret is printed once and only its SHA-256 digest is kept."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from keel.cli import _output as fmt
from keel.cli._context import open_workspace
from keel.cli._options import JsonOption

if TYPE_CHECKING:
    from keel.serving._tokens import TokenRow

app = typer.Typer(
    help="API tokens for the model server: create (printed once), list, revoke.",
    no_args_is_help=True,
)


@app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="reader (predict, read), deployer (also reload, rollback, feedback) or "
            "admin (everything).",
        ),
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="What it is for, shown by `list`.")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires", metavar="DURATION", help="e.g. 30d, 12h, 90m, 2w.", show_default="never"
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Create a token and print its secret: this is the only time it is shown."""
    with open_workspace(ctx) as ws:
        row, secret = ws.create_token(role, name=name, expires=expires)
    if json:
        fmt.emit_json({**_public(row), "token": secret})
        return
    out = fmt.stdout()
    out.print(f"Created token [bold]{row.token_id}[/] ({row.role}{_expiry_text(row)}).")
    out.print("Its secret, shown only now (send it as `Authorization: Bearer <secret>`):")
    typer.echo(secret)


@app.command("list")
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """List tokens: id, name, role, created, expires, revoked (never the secrets)."""
    with open_workspace(ctx) as ws:
        rows = ws.list_tokens()
    if json:
        fmt.emit_json([_public(row) for row in rows])
        return
    if not rows:
        fmt.stdout().print("No tokens yet: run `keel tokens create --role reader`.")
        return
    table = fmt.table("id", "name", "role", "created", "expires", "revoked")
    for row in rows:
        table.add_row(
            row.token_id,
            fmt.escape(row.name or ""),
            row.role,
            fmt.when(row.created_at),
            fmt.when(row.expires_at) if row.expires_at else "never",
            fmt.when(row.revoked_at) if row.revoked_at else "",
        )
    fmt.stdout().print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The id `list` shows.")],
) -> None:
    """Revoke a token now (a running server notices within a few seconds)."""
    with open_workspace(ctx) as ws:
        row = ws.revoke_token(token_id)
    fmt.stdout().print(f"Revoked token {row.token_id} ({row.role}).")


def _public(row: TokenRow) -> dict[str, object]:
    """The record without its digest."""
    found = dataclasses.asdict(row)
    found.pop("digest", None)
    return found


def _expiry_text(row: TokenRow) -> str:
    return f", expires {fmt.when(row.expires_at)}" if row.expires_at else ", never expires"
