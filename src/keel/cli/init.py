"""``keel init``: create keel.yaml and the ``.keel/`` store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from keel.cli._context import state
from keel.cli._output import escape, stdout


def init(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Folder of the new workspace (created if missing).",
            show_default="--workspace, or the current directory",
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Project name.", show_default="the folder name"),
    ] = None,
) -> None:
    """Create a workspace: a commented keel.yaml and the .keel/ store."""
    from rich.table import Table

    from keel.workspace import Workspace

    with Workspace.init(directory or state(ctx).workspace, project=project) as ws:
        grid = Table.grid(padding=(0, 2))
        grid.add_row("settings", escape(str(ws.root / "keel.yaml")))
        grid.add_row("metadata", escape(_safe_url(ws.store.url)))
        grid.add_row("artifacts", escape(ws.artifacts.location))
        out = stdout()
        name = escape(repr(ws.config.project))
        out.print(f"Created workspace {name} in {escape(str(ws.root))}")
        out.print(grid)
        out.print("Next: [bold]keel demo[/] shows tracking at work.")


def _safe_url(url: str) -> str:
    """The store URL with any password masked."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
